"""Properties of the decision: every reason accounted for; on any records, claim and moment it never
raises, stays within the contract, ignores the order of the API's answer, never makes a declined
record a ticket or opens one above the limit, and gives each kind its shape."""

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lookup.decision import REASONS, Claim, decide
from bot.lookup.outcomes import OUTCOMES, TICKET_OUTCOMES
from bot.merchant_api.models import Transaction
from tests.bot.lookup.decision_support import (
    DECLINE_CODES,
    LIMITS,
    REVERSAL_CODES,
    REVERSAL_STATUSES,
    SETTLEMENT_STATUSES,
    TERMINAL_RESULTS,
    UNAVAILABLE_CODES,
    at,
    claim,
    txn,
)

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
