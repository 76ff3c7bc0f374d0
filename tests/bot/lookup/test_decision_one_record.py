"""The decision on one record: the domain table row by row, and every combination of response code
and statuses."""

import itertools

import pytest

from bot.lookup.decision import decide
from tests.bot.lookup.decision_support import (
    DECLINE_CODES,
    LIMITS,
    NOW,
    REVERSAL_CODES,
    REVERSAL_STATUSES,
    SETTLEMENT_STATUSES,
    TERMINAL_RESULTS,
    UNAVAILABLE_CODES,
    claim,
    outcome_of,
    txn,
)

# --- one record: the domain table, row by row -------------------------------------------------------


@pytest.mark.parametrize(
    "code, terminal, reversal, settlement, got_goods, expected",
    [
        # Declined at the issuer: nothing charged, whatever else the record says.
        ("05", "failed", "none", "unsettled", None, ("no_charge", "declined")),
        ("51", "failed", "none", "unsettled", None, ("no_charge", "declined")),
        ("55", "failed", "none", "unsettled", None, ("no_charge", "declined")),
        ("14", "failed", "none", "unsettled", None, ("no_charge", "declined")),  # another decline
        ("51", "failed", "pending", "unsettled", None, ("no_charge", "declined")),
        ("05", "failed", "failed", "settled", None, ("no_charge", "declined")),
        # Approved, reversal completed: the money is on its way back.
        ("00", "failed", "completed", "unsettled", None, ("reversal_in_progress", "reversal_completed")),
        ("A0", "failed", "completed", "unsettled", None, ("reversal_in_progress", "reversal_completed")),
        ("a0", "failed", "completed", "unsettled", None, ("reversal_in_progress", "reversal_completed")),
        ("06", "failed", "completed", "unsettled", None, ("reversal_in_progress", "reversal_completed")),
        ("00", "completed", "completed", "settled", None, ("reversal_in_progress", "reversal_completed")),
        ("00", "completed", "none", "refunded", None, ("reversal_in_progress", "refunded")),
        # Approved, reversal pending: a refund ticket so that the merchant pushes it out.
        ("00", "failed", "pending", "unsettled", None, ("refund_ticket", "reversal_pending")),
        ("68", "failed", "pending", "unsettled", None, ("refund_ticket", "reversal_pending")),
        ("98", "failed", "pending", "unsettled", None, ("refund_ticket", "reversal_pending")),
        # Approved, reversal failed or never tried: a refund ticket for the acquirer's correction.
        ("00", "failed", "failed", "settled", None, ("refund_ticket", "reversal_failed")),
        ("00", "failed", "none", "settled", None, ("refund_ticket", "no_reversal")),
        ("00", "failed", "none", "unsettled", None, ("refund_ticket", "no_reversal")),
        ("68", "failed", "none", "unsettled", None, ("refund_ticket", "no_reversal")),
        # Completed normally: the payment went through; nothing received makes it a dispute.
        ("00", "completed", "none", "settled", None, ("charge_succeeded", "completed")),
        ("00", "completed", "none", "unsettled", None, ("charge_succeeded", "completed")),
        ("00", "completed", "none", "settled", True, ("charge_succeeded", "completed")),
        ("00", "completed", "none", "settled", False, ("dispute_ticket", "completed_not_received")),
        # Issuer or switch unavailable: usually nothing charged; settled after all means a timeout.
        ("91", "failed", "none", "unsettled", None, ("no_charge", "declined")),
        ("96", "failed", "pending", "unsettled", None, ("no_charge", "declined")),
        ("96", "failed", "none", "settled", None, ("refund_ticket", "no_reversal")),
        ("91", "failed", "pending", "settled", None, ("refund_ticket", "reversal_pending")),
        ("96", "failed", "completed", "settled", None, ("reversal_in_progress", "reversal_completed")),
        ("91", "failed", "none", "refunded", None, ("reversal_in_progress", "refunded")),
        # Duplicate transmission on its own: refused unless it settled.
        ("94", "failed", "none", "unsettled", None, ("no_charge", "declined")),
        ("94", "failed", "none", "settled", None, ("refund_ticket", "no_reversal")),
    ],
)
def test_one_record(
    code: str,
    terminal: str,
    reversal: str,
    settlement: str,
    got_goods: bool | None,
    expected: tuple[str, str],
) -> None:
    record = txn(
        response_code=code, terminal_result=terminal, reversal_status=reversal, settlement_status=settlement
    )
    decision = decide([record], claim(got_goods=got_goods), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", *expected)
    assert decision.transaction == record
    assert decision.duplicate_of is None
    assert decision.candidates == ()


def _expected_for_approved(
    reversal: str, settlement: str, terminal: str, got_goods: bool | None
) -> tuple[str, str]:
    # The domain table for a record the issuer approved (or charged after all), as data.
    if reversal == "completed":
        return ("reversal_in_progress", "reversal_completed")
    if settlement == "refunded":
        return ("reversal_in_progress", "refunded")
    if reversal == "pending":
        return ("refund_ticket", "reversal_pending")
    if reversal == "failed":
        return ("refund_ticket", "reversal_failed")
    if terminal == "completed":
        if got_goods is False:
            return ("dispute_ticket", "completed_not_received")
        return ("charge_succeeded", "completed")
    return ("refund_ticket", "no_reversal")


def test_every_combination_of_code_and_statuses() -> None:
    codes = DECLINE_CODES + REVERSAL_CODES + UNAVAILABLE_CODES
    combinations = itertools.product(
        codes, TERMINAL_RESULTS, REVERSAL_STATUSES, SETTLEMENT_STATUSES, (None, True, False)
    )
    for code, terminal, reversal, settlement, got_goods in combinations:
        record = txn(
            response_code=code,
            terminal_result=terminal,
            reversal_status=reversal,
            settlement_status=settlement,
        )
        decision = decide([record], claim(got_goods=got_goods), LIMITS, NOW)
        if code in DECLINE_CODES or (code in UNAVAILABLE_CODES and settlement == "unsettled"):
            expected = ("no_charge", "declined")
        else:
            expected = _expected_for_approved(reversal, settlement, terminal, got_goods)
        assert (decision.outcome, decision.reason) == expected, (
            code,
            terminal,
            reversal,
            settlement,
            got_goods,
        )
