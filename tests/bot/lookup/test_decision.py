import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lookup.decision import (
    REASONS,
    Claim,
    Decision,
    DecisionLimits,
    decide,
)
from bot.lookup.outcomes import OUTCOMES, TICKET_OUTCOMES
from bot.lookup.timelines import load_table
from bot.merchant_api.models import Transaction

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = DecisionLimits(
    max_auto_amount=Decimal("5000.00"),
    reversal_window_days=7,
    correction_window_days=20,
    duplicate_window=timedelta(minutes=10),
)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
AMOUNT = Decimal("128.50")

DECLINE_CODES = ("05", "51", "55", "14", "54", "61", "Z1", "", "XX")
REVERSAL_CODES = ("00", "68", "98", "A0", "06")
UNAVAILABLE_CODES = ("91", "96", "94")
TERMINAL_RESULTS = ("completed", "failed")
REVERSAL_STATUSES = ("none", "pending", "completed", "failed")
SETTLEMENT_STATUSES = ("unsettled", "settled", "refunded")


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def txn(transaction_id: str = "TXN0005", **fields: Any) -> Transaction:
    values: dict[str, Any] = {
        "transaction_id": transaction_id,
        "merchant_id": "898290054990001",
        "merchant_name": "全家便利店(徐汇店)",
        "terminal_id": "10293847",
        "card_last4": "3821",
        "card_type": "debit",
        "network": "unionpay",
        "amount": AMOUNT,
        "currency": "CNY",
        "created_at": at(11, 24, 15, 32, 8),
        "response_code": "00",
        "terminal_result": "failed",
        "reversal_status": "pending",
        "settlement_status": "unsettled",
    }
    values.update(fields)
    return Transaction(**values)


# A normal sale: the terminal completed and the money settled.
SALE: dict[str, Any] = {
    "terminal_result": "completed",
    "reversal_status": "none",
    "settlement_status": "settled",
}


def claim(**fields: Any) -> Claim:
    values: dict[str, Any] = {
        "start": at(11, 24, 15, 0),
        "end": at(11, 24, 16, 0),
        "amount": AMOUNT,
        "terminal_id": "10293847",
        "merchant_name": None,
    }
    values.update(fields)
    return Claim(**values)


def outcome_of(decision: Decision) -> tuple[str, str | None, str]:
    return decision.kind, decision.outcome, decision.reason


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


# --- two debits for one purchase --------------------------------------------------------------------


def _paid_twice() -> tuple[Transaction, Transaction]:
    first = txn(
        "TXN0008",
        created_at=at(11, 23, 17, 58, 2),
        terminal_result="failed",
        reversal_status="failed",
        settlement_status="settled",
    )
    second = txn(
        "TXN0009",
        created_at=at(11, 23, 18, 1, 36),
        terminal_result="completed",
        reversal_status="none",
        settlement_status="settled",
    )
    return first, second


@pytest.mark.parametrize("order", [0, 1])
def test_paid_again_after_a_failed_reversal_refunds_the_debit_that_said_failed(order: int) -> None:
    first, second = _paid_twice()
    records = [first, second] if order == 0 else [second, first]
    decision = decide(records, claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "refund_ticket", "duplicate")
    # The completed second payment is the purchase; the one the terminal called failed goes back.
    assert decision.transaction == first
    assert decision.duplicate_of == second


def test_two_completed_debits_minutes_apart_are_a_duplicate() -> None:
    first = txn("TXN0010", created_at=at(11, 22, 12, 14, 9), **SALE)
    second = replace(first, transaction_id="TXN0011", created_at=at(11, 22, 12, 16, 47))
    decision = decide([second, first], claim(), LIMITS, NOW)
    assert (decision.outcome, decision.reason, decision.transaction, decision.duplicate_of) == (
        "refund_ticket",
        "duplicate",
        second,
        first,
    )


def test_debits_far_apart_are_two_purchases_and_the_failed_one_is_the_complaint() -> None:
    first, second = _paid_twice()
    later = replace(second, created_at=first.created_at + timedelta(minutes=45))
    decision = decide([first, later], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "refund_ticket", "reversal_failed")
    assert decision.transaction == first


def test_two_payments_that_both_failed_on_one_card_are_still_a_choice() -> None:
    first, second = _paid_twice()
    later = replace(second, created_at=first.created_at + timedelta(minutes=45), terminal_result="failed")
    decision = decide([first, later], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("choose", None, "several_matches")
    assert decision.candidates == (first, later)


def test_a_reversed_first_attempt_is_not_a_double_debit() -> None:
    first, second = _paid_twice()
    reversed_first = replace(first, reversal_status="completed", settlement_status="unsettled")
    decision = decide([reversed_first, second], claim(), LIMITS, NOW)
    # Not a double debit: the attempt that failed was reversed, and that is the one complained about.
    assert outcome_of(decision) == ("outcome", "reversal_in_progress", "reversal_completed")
    assert decision.transaction == reversed_first


def test_debits_on_different_terminals_are_two_purchases() -> None:
    first, second = _paid_twice()
    elsewhere = replace(second, terminal_id="10293848")
    decision = decide([first, elsewhere], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "refund_ticket", "reversal_failed")
    assert decision.transaction == first


def test_paid_three_times_goes_to_a_human() -> None:
    first, second = _paid_twice()
    third = replace(second, transaction_id="TXN0099", created_at=second.created_at + timedelta(minutes=2))
    decision = decide([third, first, second], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "escalated", "duplicate")
    assert (decision.transaction, decision.duplicate_of) == (second, first)
    assert decision.candidates == (first, second, third)


def test_a_duplicate_on_one_card_among_other_cards_asks_which_payment_is_theirs() -> None:
    first, second = _paid_twice()
    stranger = replace(second, transaction_id="TXN0050", card_last4="9035")
    decision = decide([first, second, stranger], claim(), LIMITS, NOW)
    assert decision.kind == "choose"
    # Once the customer names their card, the lookup narrows to it and the duplicate is found.
    assert decide([first, second], claim(sharper_key_given=True), LIMITS, NOW).reason == "duplicate"


def test_a_refused_duplicate_transmission_is_not_a_second_purchase() -> None:
    sale = txn("TXN0025", created_at=at(11, 20, 19, 3, 27), **SALE)
    echo = replace(
        sale,
        transaction_id="TXN0026",
        created_at=at(11, 20, 19, 3, 29),
        response_code="94",
        terminal_result="failed",
        settlement_status="unsettled",
    )
    decision = decide([echo, sale], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "charge_succeeded", "completed")
    assert decision.transaction == sale


def test_a_duplicate_transmission_that_settled_is_a_double_debit() -> None:
    sale = txn("TXN0025", created_at=at(11, 20, 19, 3, 27), **SALE)
    echo = replace(sale, transaction_id="TXN0026", created_at=at(11, 20, 19, 3, 29), response_code="94")
    decision = decide([sale, echo], claim(), LIMITS, NOW)
    assert (decision.outcome, decision.reason, decision.transaction, decision.duplicate_of) == (
        "refund_ticket",
        "duplicate",
        echo,
        sale,
    )


# --- several candidates -----------------------------------------------------------------------------


def test_several_cards_at_one_terminal_make_the_customer_choose_oldest_first() -> None:
    base = txn(terminal_id="31570043", amount=Decimal("50.00"))
    records = [
        replace(base, transaction_id="TXN0020", card_last4="7781", created_at=at(11, 24, 18, 35, 2), **SALE),
        replace(base, transaction_id="TXN0017", card_last4="6622", created_at=at(11, 24, 18, 31, 10), **SALE),
        replace(
            base,
            transaction_id="TXN0019",
            card_last4="4410",
            created_at=at(11, 24, 18, 33, 20),
            response_code="51",
        ),
        replace(base, transaction_id="TXN0018", card_last4="9035", created_at=at(11, 24, 18, 32, 47)),
    ]
    decision = decide(records, claim(amount=Decimal("50.00")), LIMITS, NOW)
    assert outcome_of(decision) == ("choose", None, "several_matches")
    assert [t.transaction_id for t in decision.candidates] == ["TXN0017", "TXN0018", "TXN0019", "TXN0020"]
    assert decision.transaction is None


def test_other_amounts_in_the_window_are_not_candidates() -> None:
    mine = txn()
    other = txn("TXN0040", amount=Decimal("12.00"), card_last4="1111")
    decision = decide([other, mine], claim(), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "refund_ticket", "reversal_pending")
    assert decision.transaction == mine


# --- nothing found, or another amount ---------------------------------------------------------------


def test_nothing_found_first_asks_for_a_sharper_key_then_opens_a_dispute() -> None:
    first = decide([], claim(), LIMITS, NOW)
    assert outcome_of(first) == ("ask_sharper_key", None, "not_found")
    assert first.transaction is None
    second = decide([], claim(sharper_key_given=True), LIMITS, NOW)
    assert outcome_of(second) == ("outcome", "dispute_ticket", "not_found")
    assert second.transaction is None


def test_only_another_amount_first_asks_then_disputes_that_record() -> None:
    other = txn(amount=Decimal("120.00"))
    assert outcome_of(decide([other], claim(), LIMITS, NOW)) == ("ask_sharper_key", None, "amount_differs")
    decision = decide([other], claim(sharper_key_given=True), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "dispute_ticket", "amount_differs")
    assert decision.transaction == other


def test_several_other_amounts_dispute_without_naming_a_record() -> None:
    others = [txn("TXN1", amount=Decimal("120.00")), txn("TXN2", amount=Decimal("12.80"))]
    decision = decide(others, claim(sharper_key_given=True), LIMITS, NOW)
    assert outcome_of(decision) == ("outcome", "dispute_ticket", "amount_differs")
    assert decision.transaction is None


def test_amounts_compare_as_money_not_as_text() -> None:
    assert (
        decide([txn(amount=Decimal("128.5"))], claim(amount=Decimal("128.50")), LIMITS, NOW).kind == "outcome"
    )


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


# --- properties -------------------------------------------------------------------------------------

_codes = st.sampled_from(DECLINE_CODES + REVERSAL_CODES + UNAVAILABLE_CODES + ("a0", " 00 "))
_amounts = st.sampled_from([Decimal("128.50"), Decimal("50.00"), Decimal("6999.00")])
_times = st.integers(0, 60 * 24 * 40).map(lambda minutes: at(9, 20, 0) + timedelta(minutes=minutes))

_transactions = st.builds(
    txn,
    transaction_id=st.text("0123456789", min_size=4, max_size=4).map("TXN{}".format),
    terminal_id=st.sampled_from(["10293847", "31570043"]),
    card_last4=st.sampled_from(["3821", "9035"]),
    card_type=st.sampled_from(["debit", "credit"]),
    network=st.sampled_from(["unionpay", "visa", "mastercard"]),
    amount=_amounts,
    created_at=_times,
    response_code=_codes,
    terminal_result=st.sampled_from(TERMINAL_RESULTS),
    reversal_status=st.sampled_from(REVERSAL_STATUSES),
    settlement_status=st.sampled_from(SETTLEMENT_STATUSES),
)
_claims = st.builds(
    claim,
    amount=_amounts,
    sharper_key_given=st.booleans(),
    fraud_suspected=st.booleans(),
    got_goods=st.sampled_from([None, True, False]),
)
_records = st.lists(_transactions, max_size=5, unique_by=lambda t: t.transaction_id)
_nows = st.integers(0, 60 * 24 * 80).map(lambda minutes: at(9, 20, 0) + timedelta(minutes=minutes))

# The outcomes each reason may come with.
_REASON_OUTCOMES = {
    "declined": {"no_charge"},
    "reversal_completed": {"reversal_in_progress"},
    "refunded": {"reversal_in_progress"},
    "reversal_pending": {"refund_ticket"},
    "reversal_failed": {"refund_ticket"},
    "no_reversal": {"refund_ticket"},
    "duplicate": {"refund_ticket", "escalated"},
    "completed": {"charge_succeeded"},
    "completed_not_received": {"dispute_ticket"},
    "not_found": {"dispute_ticket", None},
    "amount_differs": {"dispute_ticket", None},
    "several_matches": {None},
    "over_limit": {"escalated"},
    "window_passed": {"escalated"},
    "fraud": {"escalated"},
}


def test_every_reason_is_accounted_for() -> None:
    assert set(_REASON_OUTCOMES) == set(REASONS)


@settings(max_examples=400)
@given(_records, _claims, _nows)
def test_decide_never_raises_and_stays_within_the_contract(
    records: list[Transaction], the_claim: Claim, now: datetime
) -> None:
    decision = decide(records, the_claim, LIMITS, now)
    assert decision.kind in ("outcome", "ask_sharper_key", "choose")
    assert (decision.kind == "outcome") == (decision.outcome is not None)
    if decision.outcome is not None:
        assert decision.outcome in OUTCOMES
    assert decision.outcome in _REASON_OUTCOMES[decision.reason]
    for t in (decision.transaction, decision.duplicate_of, *decision.candidates):
        assert t is None or t in records


@given(_records, _claims, _nows, st.randoms(use_true_random=False))
def test_the_order_of_the_apis_answer_does_not_matter(
    records: list[Transaction], the_claim: Claim, now: datetime, random: Any
) -> None:
    shuffled = list(records)
    random.shuffle(shuffled)
    assert decide(shuffled, the_claim, LIMITS, now) == decide(records, the_claim, LIMITS, now)


@given(_transactions, _claims, _nows)
def test_a_declined_record_is_never_a_ticket(record: Transaction, the_claim: Claim, now: datetime) -> None:
    declined = replace(record, response_code="51", amount=the_claim.amount)
    decision = decide([declined], the_claim, LIMITS, now)
    assert not decision.is_ticket
    assert decision.outcome == ("escalated" if the_claim.fraud_suspected else "no_charge")


@given(_records, _claims, _nows)
def test_the_bot_never_opens_a_ticket_above_its_limit(
    records: list[Transaction], the_claim: Claim, now: datetime
) -> None:
    decision = decide(records, the_claim, LIMITS, now)
    if decision.outcome in TICKET_OUTCOMES:
        at_stake = decision.transaction.amount if decision.transaction else the_claim.amount
        assert at_stake <= LIMITS.max_auto_amount


@given(_records, _claims, _nows)
def test_the_shape_of_each_kind(records: list[Transaction], the_claim: Claim, now: datetime) -> None:
    decision = decide(records, the_claim, LIMITS, now)
    if the_claim.fraud_suspected:
        assert (decision.outcome, decision.reason) == ("escalated", "fraud")
    if decision.kind == "ask_sharper_key":
        assert not the_claim.sharper_key_given
        assert not any(t.amount == the_claim.amount for t in records)
    if decision.kind == "choose":
        assert len(decision.candidates) >= 2
        assert all(t.amount == the_claim.amount for t in decision.candidates)
        times = [t.created_at for t in decision.candidates]
        assert times == sorted(times)
    if decision.duplicate_of is not None:
        kept, repeat = decision.duplicate_of, decision.transaction
        assert repeat is not None
        assert decision.reason in ("duplicate", "over_limit")
        assert (kept.terminal_id, kept.card_last4, kept.amount) == (
            repeat.terminal_id,
            repeat.card_last4,
            repeat.amount,
        )
        assert kept.settlement_status == repeat.settlement_status == "settled"
        assert timedelta(0) <= repeat.created_at - kept.created_at <= LIMITS.duplicate_window


def test_a_declined_attempt_and_a_completed_payment_mean_the_completed_one() -> None:
    declined = txn("TXN0040", created_at=at(11, 23, 17, 58, 2), response_code="55", terminal_result="failed",
                   settlement_status="unsettled")  # fmt: skip
    paid = txn("TXN0041", created_at=at(11, 23, 18, 1, 36), **SALE)
    decision = decide([declined, paid], claim(), LIMITS, NOW)
    assert (decision.outcome, decision.transaction) == ("charge_succeeded", paid)
    # Unless the customer sees two entries: the second is the declined attempt's pending hold.
    seen = decide([declined, paid], replace(claim(), two_debits_seen=True), LIMITS, NOW)
    assert (seen.outcome, seen.transaction) == ("no_charge", declined)


@pytest.mark.parametrize(("paid", "claimed"), [("326.45", "326"), ("326.90", "327"), ("326.90", "326")])
def test_a_whole_yuan_claim_is_the_payment_the_customer_rounded(paid: str, claimed: str) -> None:
    mine = txn(amount=Decimal(paid))
    decision = decide([mine], claim(amount=Decimal(claimed)), LIMITS, NOW)
    assert decision.kind == "outcome"
    assert decision.transaction == mine


def test_an_exact_amount_is_preferred_to_a_rounded_one() -> None:
    rounded, exact = txn("TXN1", amount=Decimal("326.45")), txn("TXN2", amount=Decimal("326.00"))
    decision = decide([rounded, exact], claim(amount=Decimal("326")), LIMITS, NOW)
    assert decision.transaction == exact


@pytest.mark.parametrize(("paid", "claimed"), [("327.10", "326"), ("326.45", "326.40"), ("13.80", "12")])
def test_an_amount_with_jiao_or_a_yuan_apart_is_not_rounding(paid: str, claimed: str) -> None:
    decision = decide([txn(amount=Decimal(paid))], claim(amount=Decimal(claimed)), LIMITS, NOW)
    assert decision.reason == "amount_differs"
