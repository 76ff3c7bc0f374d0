"""Every outcome of the contract, end to end: trained model, action server, sandbox merchant API
over loopback, REST; each conversation's case_result payload and the case store are read back."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, text

from benchmarks.conversation import case_result as payload_of
from benchmarks.conversation import complaint_message
from bot.case_store import CaseStore
from bot.case_store.escalations import EscalationStore
from bot.config import PROJECT_ROOT
from tests.e2e.conftest import Client, sandbox_transaction

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKET_OUTCOMES = {"refund_ticket", "dispute_ticket", "escalated"}


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def complain_and_confirm(assistant: Client, sender: str, transaction: dict, language: str) -> list[dict]:
    replies = assistant.say(sender, complaint_message(transaction, language))
    assert "/affirm" in [b["payload"] for r in replies for b in r.get("buttons", [])], texts(replies)
    return assistant.say(sender, "/affirm")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    "transaction_id, outcome",
    [
        ("TXN0001", "no_charge"),
        ("TXN0004", "reversal_in_progress"),
        ("TXN0005", "refund_ticket"),
        ("TXN0012", "charge_succeeded"),
        ("TXN0015", "escalated"),
    ],
)
def test_outcome_after_the_customer_confirms_the_payment_found(
    assistant: Client, transaction_id: str, outcome: str, language: str
) -> None:
    sender = assistant.new_sender()
    transaction = sandbox_transaction(assistant, transaction_id)
    found = complain_and_confirm(assistant, sender, transaction, language)
    assert transaction["card_last4"] in texts(found)
    assert payload_of(found) is None, "nothing is concluded before the customer confirms"
    replies = assistant.say(sender, "/affirm")
    payload = payload_of(replies)
    assert payload is not None, texts(replies)
    assert payload["outcome"] == outcome
    assert payload["transaction_id"] == transaction_id
    assert set(payload) == {"type", "outcome", "ticket_id", "transaction_id", "expected_by"}
    assert han(texts(replies)) == (language == "zh")
    store = CaseStore(assistant.processes.case_store_url)
    if outcome in TICKET_OUTCOMES:
        ticket = store.get(payload["ticket_id"])
        assert ticket is not None and ticket.transaction_id == transaction_id
        # One open ticket per transaction: the other language's conversation about it gets the same one.
        active = store.active_for_transaction(transaction_id)
        assert active is not None and active.number == payload["ticket_id"]
        assert payload["ticket_id"] in texts(replies)
    else:
        assert payload["ticket_id"] is None
    escalation = EscalationStore(assistant.processes.case_store_url).open_for(sender)
    if outcome == "escalated":
        # Beyond the bot's limit: the case joins the people's queue with its ticket and the payment found.
        assert escalation is not None and escalation.reason == "policy"
        assert escalation.ticket_number == payload["ticket_id"]
        assert escalation.lookup == {"transaction_id": transaction_id, "outcome": "escalated"}
        assert "¥6,999.00" in escalation.summary_agent
    else:
        assert escalation is None
    if payload["expected_by"]:
        assert datetime.fromisoformat(payload["expected_by"]).date() >= datetime.now(SHANGHAI).date()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_paid_twice_opens_a_refund_for_the_second_debit(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    first = sandbox_transaction(assistant, "TXN0008")
    complain_and_confirm(assistant, sender, first, language)
    replies = assistant.say(sender, "/affirm")
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "refund_ticket", texts(replies)
    assert payload["transaction_id"] == "TXN0009"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_several_candidates_are_offered_and_the_customer_picks_by_card(
    assistant: Client, language: str
) -> None:
    sender = assistant.new_sender()
    candidates = complain_and_confirm(assistant, sender, sandbox_transaction(assistant, "TXN0017"), language)
    payloads = [b["payload"] for r in candidates for b in r.get("buttons", [])]
    assert len([p for p in payloads if "9035" in p]) == 1, texts(candidates)
    found = assistant.say(sender, next(p for p in payloads if "9035" in p))
    assert "9035" in texts(found)
    replies = assistant.say(sender, "/affirm")
    payload = payload_of(replies)
    assert payload is not None and payload["transaction_id"] == "TXN0018", texts(replies)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_nothing_found_asks_for_a_sharper_key_then_opens_a_dispute(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    transaction = dict(sandbox_transaction(assistant, "TXN0012"), amount="77.70")
    asked = complain_and_confirm(assistant, sender, transaction, language)
    assert "/deny" in [b["payload"] for r in asked for b in r.get("buttons", [])], texts(asked)
    replies = assistant.say(sender, "尾号 4242" if language == "zh" else "card ending 4242")
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "dispute_ticket", texts(replies)
    ticket = CaseStore(assistant.processes.case_store_url).get(payload["ticket_id"])
    assert ticket is not None and ticket.card_last4 == "4242"


@pytest.mark.parametrize("fault", [{"down": True}, {"latency_ms": 15000}], ids=["down", "too slow"])
def test_merchant_api_failing_keeps_the_complaint_and_the_retry_job_completes_it(
    assistant: Client, fault: dict
) -> None:
    faults = f"{assistant.processes.sandbox_url}/_faults"
    transaction = sandbox_transaction(assistant, "TXN0006")
    sender = assistant.new_sender()
    replies = assistant.say(sender, complaint_message(transaction, "zh"))
    httpx.post(faults, json=fault, timeout=5).raise_for_status()
    try:
        replies = assistant.say(sender, "/affirm")
    finally:
        httpx.post(
            faults, json={"down": False, "error_rate": 0, "latency_ms": 0}, timeout=5
        ).raise_for_status()
    waiting_number = assistant.tracker(sender)["slots"]["ticket_number"]
    assert waiting_number and waiting_number in texts(replies), texts(replies)
    store = CaseStore(assistant.processes.case_store_url)
    waiting = store.get(waiting_number)
    assert waiting is not None and waiting.status == "waiting_for_lookup"
    assert waiting.amount is not None and str(waiting.amount) == transaction["amount"]

    env = dict(os.environ, **assistant.processes.environment())
    subprocess.run(
        [sys.executable, "-m", "bot.retry_lookups", "--once"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    done = store.get(waiting_number, follow_merges=True)
    assert done is not None and done.status != "waiting_for_lookup"
    assert done.transaction_id == "TXN0006" and done.outcome == "refund_ticket"

    status = assistant.say(assistant.new_sender(), f"我的工单 {waiting_number.lower()} 怎么样了")
    assert done.number in texts(status) or waiting_number in texts(status)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_completed_payment_with_nothing_received_becomes_a_dispute(
    assistant: Client, language: str
) -> None:
    sender = assistant.new_sender()
    complain_and_confirm(assistant, sender, sandbox_transaction(assistant, "TXN0032"), language)
    succeeded = assistant.say(sender, "/affirm")
    assert payload_of(succeeded)["outcome"] == "charge_succeeded"
    assert "/deny" in [b["payload"] for r in succeeded for b in r.get("buttons", [])]
    replies = assistant.say(sender, "/deny")
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "dispute_ticket", texts(replies)
    assert payload["transaction_id"] == "TXN0032"
    assert CaseStore(assistant.processes.case_store_url).get(payload["ticket_id"]) is not None


def test_twenty_conversations_about_one_payment_at_once_get_one_ticket(assistant: Client) -> None:
    transaction = sandbox_transaction(assistant, "TXN0007")

    def converse(index: int) -> dict | None:
        client = Client(assistant.processes)
        try:
            sender = client.new_sender()
            language = "zh" if index % 2 else "en"
            client.say(sender, complaint_message(transaction, language))
            client.say(sender, "/affirm")
            return payload_of(client.say(sender, "/affirm"))
        finally:
            client.http.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        payloads = list(pool.map(converse, range(20)))
    assert all(p is not None and p["outcome"] == "refund_ticket" for p in payloads), payloads
    assert len({p["ticket_id"] for p in payloads}) == 1
    engine = create_engine(assistant.processes.case_store_url)
    with engine.connect() as connection:
        open_tickets = connection.execute(
            text(
                "SELECT COUNT(*) FROM tickets WHERE transaction_id = :t AND status IN ('open', 'in_progress')"
            ),
            {"t": "TXN0007"},
        ).scalar()
    engine.dispose()
    assert open_tickets == 1
