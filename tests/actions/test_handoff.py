"""action_hand_off against the real domain and a real (SQLite) case store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff
from actions.handoff import BackToBot
from actions.lookup import tell_result
from actions.turn import TakeTurn
from bot.case_store import CaseDatabase, CaseStore, upgrade
from bot.case_store.escalations import EscalationStore
from bot.dialogue.state import CaseState
from bot.handoff.hours import DAY_NAMES, SupportHours
from bot.handoff.service import HandoffService
from bot.lookup.complaint import CaseResult
from tests.actions.conftest import make_tracker
from tests.bot.case_store.support import refund_draft

SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = SupportHours.parse("00:00-23:59:59", "mon-sun", "Asia/Shanghai")
# Open only on the day after tomorrow: closed now, whatever the time of the test run.
LATER = SupportHours.parse(
    "09:00-18:00", DAY_NAMES[(datetime.now(SHANGHAI).weekday() + 2) % 7], "Asia/Shanghai"
)
FACTS = {
    "language": "zh",
    "transaction_time": "2026-11-25T20:00+08:00",
    "transaction_window_start": "2026-11-25T19:30+08:00",
    "transaction_window_end": "2026-11-25T20:30+08:00",
    "transaction_time_exact": False,
    "amount": "56.00",
    "dialogue": CaseState(messages=2).asking("terminal_id").to_slot(),
}


@pytest.fixture
def case_store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    upgrade(url)
    return url


def use_service(monkeypatch: pytest.MonkeyPatch, url: str, hours: SupportHours, agent_language: str) -> None:
    service = HandoffService(
        CaseStore(CaseDatabase(url)), EscalationStore(CaseDatabase(url)), hours, agent_language
    )
    monkeypatch.setattr(actions.handoff, "handoff_service", lambda: service)


@pytest.fixture
def open_support(monkeypatch: pytest.MonkeyPatch, case_store_url: str) -> Iterator[str]:
    use_service(monkeypatch, case_store_url, ALWAYS, "en")
    yield case_store_url


async def test_asking_for_a_person_queues_the_case_and_says_what_happens(domain, open_support: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "转人工", intent="request_human", slots=FACTS)
    events = await TakeTurn().run(dispatcher, tracker, domain)
    [said, payload] = dispatcher.messages
    escalation = EscalationStore(CaseDatabase(open_support)).open_for("test")
    assert escalation is not None and escalation.reason == "customer_asked"
    ticket = escalation.ticket_number
    assert ticket.startswith("ES-") and ticket in said["text"] and "留在这个页面" in said["text"]
    assert payload["custom"] == {
        "type": "case_result",
        "outcome": "escalated",
        "ticket_id": ticket,
        "transaction_id": None,
        "expected_by": None,
    }
    assert {"event": "slot", "name": "case_outcome", "value": "escalated", "timestamp": None} in events
    assert "¥56.00" in escalation.summary_customer and "客户要求人工" in escalation.summary_customer
    assert "The customer asked for a person" in escalation.summary_agent
    stored = CaseStore(CaseDatabase(open_support)).get(ticket)
    assert stored.kind == "escalation" and stored.amount == 56 and stored.window_start is not None


async def test_asking_again_finds_the_same_case(domain, open_support: str) -> None:
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await TakeTurn().run(first, make_tracker(domain, "人工", intent="request_human", slots=FACTS), domain)
    await TakeTurn().run(second, make_tracker(domain, "人工", intent="request_human", slots=FACTS), domain)
    assert first.messages[1]["custom"]["ticket_id"] == second.messages[1]["custom"]["ticket_id"]
    assert len(EscalationStore(CaseDatabase(open_support)).waiting()) == 1


async def test_once_handed_over_the_customer_is_told_a_person_is_coming(domain, open_support: str) -> None:
    handed = {**FACTS, "dialogue": CaseState(stage="handed_off").to_slot()}
    dispatcher = CollectingDispatcher()
    await TakeTurn().run(
        dispatcher, make_tracker(domain, "人工!!", intent="request_human", slots=handed), domain
    )
    assert [bool(m.get("custom")) for m in dispatcher.messages] == [False]
    assert "人工同事" in dispatcher.messages[0]["text"]
    assert EscalationStore(CaseDatabase(open_support)).waiting() == []


async def test_a_concluded_case_is_handed_over_with_its_own_ticket(domain, open_support: str) -> None:
    slots = {**FACTS, "ticket_number": "RF-20261126-0042-P", "case_outcome": "refund_ticket",
             "found_transaction_id": "TXN0005"}  # fmt: skip
    dispatcher = CollectingDispatcher()
    slots["dialogue"] = CaseState(stage="done").to_slot()
    await TakeTurn().run(
        dispatcher, make_tracker(domain, "I want a human", intent="request_human", slots=slots), domain
    )
    assert dispatcher.messages[1]["custom"]["ticket_id"] == "RF-20261126-0042-P"
    assert dispatcher.messages[1]["custom"]["transaction_id"] == "TXN0005"
    escalation = EscalationStore(CaseDatabase(open_support)).open_for("test")
    assert escalation.lookup == {"transaction_id": "TXN0005", "outcome": "refund_ticket"}
    assert CaseStore(CaseDatabase(open_support)).find_by_conversation("test") == []


async def test_out_of_hours_the_customer_is_told_when_people_answer(
    domain, monkeypatch: pytest.MonkeyPatch, case_store_url: str
) -> None:
    use_service(monkeypatch, case_store_url, LATER, "zh")
    monkeypatch.setenv("SUPPORT_PHONE", "95588")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        domain, "talk to a person", intent="request_human", slots={**FACTS, "language": "en"}
    )
    await TakeTurn().run(dispatcher, tracker, domain)
    text = dispatcher.messages[0]["text"]
    opening = LATER.next_opening(datetime.now(SHANGHAI))
    assert opening - datetime.now(SHANGHAI) > timedelta(hours=20)
    assert "not at work" in text and f"{opening:%H:%M}" in text and "95588" in text
    assert EscalationStore(CaseDatabase(case_store_url)).waiting()[0].status == "waiting"


async def test_unusable_answers_never_get_one_question_a_third_time(domain, open_support: str) -> None:
    slots = {"language": "en"}
    asked: list[str] = []
    for _ in range(4):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(domain, "zxcv qwer", intent="nlu_fallback", slots=slots)
        for event in await TakeTurn().run(dispatcher, tracker, domain):
            if event["event"] == "slot":
                slots[event["name"]] = event["value"]
        asked.append(slots["dialogue"]["pending_question"])
    assert asked == ["transaction_time", "transaction_time", "amount", "amount"]
    assert EscalationStore(CaseDatabase(open_support)).waiting() == []


async def test_back_from_the_agent_the_bot_names_the_ticket_that_stays_open(
    domain, open_support: str
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"language": "en", "ticket_number": "ES-20261126-0007-Q", "case_outcome": "escalated"}
    tracker = make_tracker(domain, "thanks", intent="thank", slots=slots)
    events = await BackToBot().run(dispatcher, tracker, domain)
    assert (
        "I'm back" in dispatcher.messages[0]["text"]
        and "ES-20261126-0007-Q" in dispatcher.messages[0]["text"]
    )
    assert events[0] == {"event": "slot", "name": "case_outcome", "value": None, "timestamp": None}
    assert events[1]["name"] == "dialogue" and events[1]["value"]["stage"] == "done"
    chinese = CollectingDispatcher()
    await BackToBot().run(
        chinese, make_tracker(domain, "谢谢", intent="thank", slots={"language": "zh"}), domain
    )
    assert "我回来了" in chinese.messages[0]["text"] and "工单" not in chinese.messages[0]["text"]


async def test_back_from_the_agent_a_settled_ticket_is_not_said_to_stay_open(
    domain, open_support: str
) -> None:
    await TakeTurn().run(
        CollectingDispatcher(), make_tracker(domain, "转人工", intent="request_human", slots=FACTS), domain
    )
    escalations = EscalationStore(CaseDatabase(open_support))
    escalation = escalations.open_for("test")
    escalations.claim(escalation.id, "alice")
    escalations.resolve(escalation.id, "alice", "已安排退款")
    assert CaseStore(CaseDatabase(open_support)).get(escalation.ticket_number).status == "resolved"

    dispatcher = CollectingDispatcher()
    slots = {"language": "zh", "ticket_number": escalation.ticket_number, "case_outcome": "escalated"}
    await BackToBot().run(dispatcher, make_tracker(domain, "谢谢", intent="thank", slots=slots), domain)

    [closing] = dispatcher.messages
    assert "我回来了" in closing["text"] and "继续跟进" not in closing["text"]


async def test_back_from_the_agent_a_refund_still_pending_stays_open(domain, open_support: str) -> None:
    refund = CaseStore(CaseDatabase(open_support)).open_ticket(refund_draft(conversation_id="test"))
    dispatcher = CollectingDispatcher()
    slots = {"language": "zh", "ticket_number": refund.number, "case_outcome": None}
    await BackToBot().run(dispatcher, make_tracker(domain, "谢谢", intent="thank", slots=slots), domain)
    [closing] = dispatcher.messages
    assert refund.number in closing["text"] and "继续跟进" in closing["text"]


async def test_a_case_the_decision_escalated_is_not_handed_over_twice(domain, open_support: str) -> None:
    escalated = {**FACTS, "case_outcome": "escalated", "ticket_number": "ES-20261126-0007-Q",
                 "dialogue": CaseState(stage="handed_off").to_slot()}  # fmt: skip
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        domain, "who is going to contact me and when", intent="request_human", slots=escalated
    )
    await TakeTurn().run(dispatcher, tracker, domain)
    assert not [m for m in dispatcher.messages if m.get("custom")], "one case_result per case"
    assert EscalationStore(CaseDatabase(open_support)).waiting() == []


@pytest.mark.parametrize(
    ("reason", "language", "words"),
    [
        ("window_passed", "en", "should already be back"),
        ("window_passed", "zh", "应该已经退回"),
        ("over_limit", "en", "above what I can settle"),
        ("over_limit", "zh", "超出了我可以自动处理"),
    ],
)
async def test_a_case_the_decision_escalates_says_why_before_the_hand_over(
    domain, open_support: str, reason: str, language: str, words: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "3821", slots={**FACTS, "language": language})
    await tell_result(
        dispatcher, tracker, domain, CaseResult("escalated", reason, "ES-20261126-0009-S", None, None)
    )
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert words in texts[0] and "ES-20261126-0009-S" in texts[1]


async def test_a_person_for_another_reason_gets_no_such_sentence(domain, open_support: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "3821", slots={**FACTS, "language": "en"})
    await tell_result(
        dispatcher, tracker, domain, CaseResult("escalated", "fraud", "ES-20261126-0010-T", None, None)
    )
    assert "ES-20261126-0010-T" in next(m["text"] for m in dispatcher.messages if m.get("text"))
