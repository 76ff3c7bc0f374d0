"""The decision to hand a case to a human: fraud, amounts over the limit, reversals and corrections
past their windows in working days, and limits from the operators' file."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.lookup.decision import DecisionLimits, decide
from bot.lookup.timelines import load_table
from bot.merchant_api.models import Transaction
from tests.bot.lookup.decision_support import LIMITS, NOW, _paid_twice, at, claim, outcome_of, txn

# --- escalation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "records",
    [[], [txn()], [txn(response_code="05")], list(_paid_twice())],
)
def test_fraud_always_goes_to_a_human(records: list[Transaction]) -> None:
    decision = decide(records, claim(fraud_suspected=True, sharper_key_given=True), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "escalated", "fraud")


@pytest.mark.parametrize(
    "fields, got_goods, expected",
    [
        ({"reversal_status": "pending"}, None, ("escalated", "over_limit")),
        ({"reversal_status": "failed", "settlement_status": "settled"}, None, ("escalated", "over_limit")),
        ({"reversal_status": "none", "settlement_status": "settled"}, None, ("escalated", "over_limit")),
        (
            {"terminal_result": "completed", "reversal_status": "none", "settlement_status": "settled"},
            False,
            ("escalated", "over_limit"),
        ),
        # Only tickets need the bot's authority; explaining a record does not.
        ({"response_code": "51", "reversal_status": "none"}, None, ("no_charge", "declined")),
        ({"reversal_status": "completed"}, None, ("reversal_in_progress", "reversal_completed")),
        (
            {"terminal_result": "completed", "reversal_status": "none", "settlement_status": "settled"},
            None,
            ("charge_succeeded", "completed"),
        ),
    ],
)
def test_over_the_limit(fields: dict[str, Any], got_goods: bool | None, expected: tuple[str, str]) -> None:
    amount = Decimal("6999.00")
    record = txn(amount=amount, **fields)
    decision = decide([record], claim(amount=amount, got_goods=got_goods), LIMITS, NOW)
    assert (decision.outcome, decision.reason) == expected
    assert decision.transaction == record


def test_the_limit_itself_is_still_within_it() -> None:
    amount = Decimal("5000.00")
    decision = decide([txn(amount=amount)], claim(amount=amount), LIMITS, NOW)
    assert decision.outcome == "refund_ticket"
    over = Decimal("5000.01")
    assert decide([txn(amount=over)], claim(amount=over), LIMITS, NOW).outcome == "escalated"


def test_a_duplicate_over_the_limit_keeps_both_debits_for_the_human() -> None:
    first, second = (replace(t, amount=Decimal("6000.00")) for t in _paid_twice())
    decision = decide([first, second], claim(amount=Decimal("6000.00")), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "escalated", "over_limit")
    assert (decision.transaction, decision.duplicate_of) == (first, second)


def test_a_dispute_for_nothing_found_over_the_limit_goes_to_a_human() -> None:
    decision = decide([], claim(amount=Decimal("8000.00"), sharper_key_given=True), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "escalated", "over_limit")


# Tuesday 29 September 2026, just before the golden week: 7 working days later is Wednesday
# 14 October (30 Sep, 8, 9, 10 (make-up Saturday), 12, 13, 14 Oct); 20 working days is Monday 2 November.
PRE_HOLIDAY = at(9, 29, 15, 0)


@pytest.mark.parametrize(
    "now, expected",
    [
        (at(10, 7, 12, 0), ("refund_ticket", "reversal_pending")),
        (at(10, 14, 23, 59), ("refund_ticket", "reversal_pending")),
        (at(10, 15, 0, 0), ("escalated", "window_passed")),
        # 16:30 UTC on the 14th is already the 15th in Beijing.
        (datetime(2026, 10, 14, 16, 30, tzinfo=ZoneInfo("UTC")), ("escalated", "window_passed")),
    ],
)
def test_a_reversal_pending_past_its_worst_case_goes_to_a_human(
    now: datetime, expected: tuple[str, str]
) -> None:
    decision = decide([txn(created_at=PRE_HOLIDAY)], claim(), LIMITS, now)
    assert (decision.outcome, decision.reason) == expected


@pytest.mark.parametrize("reversal, reason", [("failed", "reversal_failed"), ("none", "no_reversal")])
def test_a_correction_past_its_window_goes_to_a_human(reversal: str, reason: str) -> None:
    record = txn(created_at=PRE_HOLIDAY, reversal_status=reversal, settlement_status="settled")
    assert (decide([record], claim(), LIMITS, at(11, 2, 18)).outcome, reason) == ("refund_ticket", reason)
    late = decide([record], claim(), LIMITS, at(11, 3, 9))
    assert (late.outcome, late.reason, late.transaction) == ("escalated", "window_passed", record)


def test_the_amount_limit_is_named_before_the_window() -> None:
    amount = Decimal("6999.00")
    record = txn(created_at=PRE_HOLIDAY, amount=amount)
    assert decide([record], claim(amount=amount), LIMITS, at(11, 20, 9)).reason == "over_limit"


def test_an_old_completed_reversal_is_still_explained_not_escalated() -> None:
    record = txn(created_at=PRE_HOLIDAY, reversal_status="completed")
    assert decide([record], claim(), LIMITS, at(11, 20, 9)).outcome == "reversal_in_progress"


def test_the_limits_come_from_the_operators_file() -> None:
    assert DecisionLimits.from_table(load_table()) == LIMITS
