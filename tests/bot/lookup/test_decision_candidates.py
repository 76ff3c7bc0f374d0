"""The decision among several records or none: the customer chooses between candidates, nothing found
or another amount, a declined attempt beside a completed payment, and claims in whole yuan."""

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.lookup.decision import decide
from tests.bot.lookup.decision_support import LIMITS, NOW, SALE, at, claim, outcome_of, txn

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
