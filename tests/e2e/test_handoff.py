"""Asking for a person, in either language and in the middle of the form, through the trained model."""

from __future__ import annotations

import pytest

from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.escalations import EscalationStore
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def _case_result(replies: list[dict]) -> dict | None:
    return next((r["custom"] for r in replies if (r.get("custom") or {}).get("type") == "case_result"), None)


def _texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.mark.parametrize(
    ("language", "complaint", "ask"),
    [
        ("zh", "昨天晚上8点刷卡失败 扣了我56块", "我要找人工客服"),
        ("en", "card machine said failed but 56 yuan was taken yesterday at 8pm", "can I talk to a person"),
    ],
)
def test_asking_for_a_person_mid_form_queues_the_case_with_its_facts(
    assistant: Client, language: str, complaint: str, ask: str
) -> None:
    sender = assistant.new_sender()
    asked_for_terminal = assistant.say(sender, complaint)
    assert "/no_terminal_id" in [b["payload"] for r in asked_for_terminal for b in r.get("buttons", [])]
    replies = assistant.say(sender, ask)
    payload = _case_result(replies)
    assert payload is not None and payload["outcome"] == "escalated", _texts(replies)
    ticket_number = payload["ticket_id"]
    assert ticket_number.startswith("ES-") and ticket_number in _texts(replies)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in _texts(replies)) == (language == "zh")

    assert assistant.tracker(sender)["slots"]["dialogue"]["stage"] == "handed_off"
    escalation = EscalationStore(CaseDatabase(assistant.processes.case_store_url)).open_for(sender)
    assert escalation is not None and escalation.reason == "customer_asked" and escalation.status == "waiting"
    assert escalation.ticket_number == ticket_number and escalation.language == language
    assert "¥56.00" in escalation.summary_customer and "¥56.00" in escalation.summary_agent
    ticket = CaseStore(CaseDatabase(assistant.processes.case_store_url)).get(ticket_number)
    assert ticket is not None and ticket.kind == "escalation" and ticket.amount is not None

    again = assistant.say(sender, ask)
    assert _case_result(again) is None, "a case_result is sent once"
    assert ("人工同事" if language == "zh" else "person from our team") in _texts(again)
    assert (
        EscalationStore(CaseDatabase(assistant.processes.case_store_url)).open_for(sender).ticket_number
        == ticket_number
    )
