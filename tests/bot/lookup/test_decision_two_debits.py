"""The decision on two debits for one purchase: paid again after a failed reversal, duplicates, two
purchases, duplicate transmissions."""

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.lookup.decision import decide
from tests.bot.lookup.decision_support import LIMITS, NOW, SALE, _paid_twice, at, claim, outcome_of, txn


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
