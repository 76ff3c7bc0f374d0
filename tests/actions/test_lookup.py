"""actions/lookup.py without servers: the complaint a tracker holds, and how each outcome is told."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.lookup
from actions.lookup import complaint_from, tell_result
from bot.lookup.complaint import CaseResult
from bot.lookup.outcomes import OUTCOMES
from bot.merchant_api import Transaction
from bot.text.formatting import format_date
from tests.actions.conftest import make_tracker

CHINA = timezone(timedelta(hours=8))
WINDOW = {
    "transaction_window_start": "2026-11-25T19:50:00+08:00",
    "transaction_window_end": "2026-11-25T20:10:00+08:00",
    "transaction_time_exact": False,
}
FACTS = {**WINDOW, "language": "en", "amount": "128.50", "terminal_id": "10293847"}
EXPECTED_BY = date(2026, 12, 2)
TRANSACTION = Transaction(
    transaction_id="TXN0005",
    merchant_id="898290054990001",
    merchant_name="全家便利店(徐汇店)",
    terminal_id="10293847",
    card_last4="3821",
    card_type="debit",
    network="unionpay",
    amount=Decimal("128.50"),
    currency="CNY",
    created_at=datetime(2026, 11, 25, 20, 0, tzinfo=CHINA),
    response_code="96",
    terminal_result="failed",
    reversal_status="pending",
    settlement_status="unsettled",
)


def _texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def _payloads(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def _slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.fixture
def handed_off(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The hand-overs tell_result asks for, recorded instead of queued (no case store)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    async def record(tracker: Any, reason: str, **known: Any) -> None:
        calls.append((reason, known))

    monkeypatch.setattr(actions.lookup, "hand_off", record)
    return calls


# --- complaint_from -----------------------------------------------------------------------------


def test_the_complaint_holds_what_the_slots_hold(domain) -> None:
    slots = {
        **FACTS,
        "merchant_name": "全家",
        "card_last4": "3821",
        "rrn": "831212129288",
        "voucher_no": "081394",
    }
    complaint = complaint_from(make_tracker(domain, "3821", slots=slots))

    assert complaint.conversation_id == "test"  # make_tracker's sender
    assert complaint.language == "en"
    assert complaint.window_start == datetime(2026, 11, 25, 19, 50, tzinfo=CHINA)
    assert complaint.window_end == datetime(2026, 11, 25, 20, 10, tzinfo=CHINA)
    assert complaint.amount == Decimal("128.50")
    assert (complaint.terminal_id, complaint.merchant_name) == ("10293847", "全家")
    assert (complaint.card_last4, complaint.rrn, complaint.voucher_no) == ("3821", "831212129288", "081394")
    assert complaint.sharper_key_given


def test_a_shop_name_without_a_terminal_and_no_sharper_key(domain) -> None:
    slots = {**FACTS, "terminal_id": None, "merchant_name": "Lawson", "language": None}
    complaint = complaint_from(make_tracker(domain, "Lawson", slots=slots))

    assert (complaint.terminal_id, complaint.merchant_name) == (None, "Lawson")
    assert (complaint.card_last4, complaint.rrn, complaint.voucher_no) == (None, None, None)
    assert not complaint.sharper_key_given
    assert complaint.language in ("zh", "en")  # the configured default when the slot is empty
    assert (complaint.got_goods, complaint.fraud_suspected) == (None, False)


@pytest.mark.parametrize("missing", ["transaction_window_start", "transaction_window_end"])
def test_no_time_window_is_no_complaint(domain, missing: str) -> None:
    tracker = make_tracker(domain, "128.5", slots={**FACTS, missing: None})
    with pytest.raises(ValueError, match="no transaction time"):
        complaint_from(tracker)


def test_slots_the_lookup_would_refuse_are_refused_here(domain) -> None:
    tracker = make_tracker(domain, "12", slots={**FACTS, "card_last4": "12"})
    with pytest.raises(ValueError, match="last 4 digits"):
        complaint_from(tracker)


# --- tell_result --------------------------------------------------------------------------------


def _result(outcome: str, reason: str = "test", **changes: Any) -> CaseResult:
    values: dict[str, Any] = {
        "outcome": outcome,
        "reason": reason,
        "ticket_number": "RF-20261125-0001-A",
        "transaction": TRANSACTION,
        "expected_by": EXPECTED_BY,
    }
    values.update(changes)
    return CaseResult(**values)


RESPONSES = [
    ("no_charge", "declined", "utter_outcome_no_charge", False),
    ("reversal_in_progress", "reversal_completed", "utter_outcome_reversal_in_progress", True),
    ("refund_ticket", "reversal_pending", "utter_outcome_refund_ticket", True),
    ("refund_ticket", "duplicate", "utter_outcome_duplicate", True),
    ("dispute_ticket", "not_found", "utter_outcome_dispute_ticket", True),
    ("charge_succeeded", "goods_received", "utter_outcome_charge_succeeded", False),
    ("escalated", "several_matches", "utter_outcome_escalated", True),
]


def test_every_outcome_has_a_response() -> None:
    assert {outcome for outcome, *_ in RESPONSES} == set(OUTCOMES)


@pytest.mark.parametrize(("outcome", "reason", "response", "money_on_its_way"), RESPONSES)
async def test_each_outcome_is_told_with_its_response_payload_and_slots(
    domain, handed_off, outcome: str, reason: str, response: str, money_on_its_way: bool
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "yes", slots=FACTS)
    result = _result(outcome, reason)

    events = await tell_result(dispatcher, tracker, domain, result)

    texts = _texts(dispatcher)
    [told] = [m["text"] for m in domain["responses"][response] if m.get("condition")]
    assert texts[0] == told.format(ticket="RF-20261125-0001-A", date=format_date(EXPECTED_BY, "en"))
    assert _payloads(dispatcher) == [result.payload()]
    meanwhile = [m["text"] for m in domain["responses"]["utter_what_to_do_meanwhile"] if m.get("condition")]
    assert (texts[-1] == meanwhile[0]) is money_on_its_way
    assert len(texts) == 1 + money_on_its_way
    assert _slots(events) == {"ticket_number": "RF-20261125-0001-A", "case_outcome": outcome}


async def test_a_result_without_ticket_or_date_says_a_dash(domain, handed_off) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "是的", slots={**FACTS, "language": "zh"})

    events = await tell_result(
        dispatcher, tracker, domain, _result("no_charge", ticket_number=None, expected_by=None)
    )

    [text] = _texts(dispatcher)
    assert "-" in text and "{" not in text
    assert _payloads(dispatcher)[0]["ticket_id"] is None
    assert _slots(events) == {"ticket_number": None, "case_outcome": "no_charge"}


@pytest.mark.parametrize(
    ("reason", "why"),
    [("window_passed", "utter_escalated_overdue"), ("over_limit", "utter_escalated_over_limit")],
)
async def test_an_escalation_says_why_then_hands_over_with_its_ticket(
    domain, handed_off, reason: str, why: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "yes", slots=FACTS)

    await tell_result(
        dispatcher, tracker, domain, _result("escalated", reason, ticket_number="ES-20261125-0001-P")
    )

    [said_why] = [m["text"] for m in domain["responses"][why] if m.get("condition")]
    assert _texts(dispatcher)[0] == said_why
    assert "ES-20261125-0001-P" in _texts(dispatcher)[1]
    assert handed_off == [
        (
            "policy",
            {
                "ticket_number": "ES-20261125-0001-P",
                "outcome": "escalated",
                "transaction_id": "TXN0005",
                "card_last4": "3821",
            },
        )
    ]


async def test_an_escalation_for_another_reason_gives_none_and_only_outcomes_escalated_hand_over(
    domain, handed_off
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "yes", slots=FACTS)

    await tell_result(dispatcher, tracker, domain, _result("escalated", "several_matches", transaction=None))
    await tell_result(CollectingDispatcher(), tracker, domain, _result("refund_ticket", "reversal_pending"))

    assert _texts(dispatcher)[0].startswith("This case needs a person")
    assert handed_off == [
        (
            "policy",
            {
                "ticket_number": "RF-20261125-0001-A",
                "outcome": "escalated",
                "transaction_id": None,
                "card_last4": None,
            },
        )
    ]
