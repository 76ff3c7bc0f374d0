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

from benchmarks.conversation import card_message, complaint_message
from benchmarks.conversation import case_result as payload_of
from benchmarks.scenarios import reply_language
from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.escalations import EscalationStore
from bot.config import PROJECT_ROOT
from tests.e2e.conftest import Client, sandbox_transaction

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKET_OUTCOMES = {"refund_ticket", "dispute_ticket", "escalated"}


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def han(text: str) -> bool:
    """Written in Chinese: an English reply may quote a Chinese shop name."""
    return reply_language(text) == "zh"


def buttons(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons", [])]


def complain(assistant: Client, sender: str, transaction: dict, language: str) -> list[dict]:
    """The complaint, then the card's last 4 when the bot asks for them (it always does first)."""
    replies = assistant.say(sender, complaint_message(transaction, language))
    assert "后4位" in texts(replies) or "last 4 digits" in texts(replies), texts(replies)
    assert payload_of(replies) is None
    return assistant.say(sender, card_message(transaction, language))


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
def test_outcome_of_the_customers_own_payment(
    assistant: Client, transaction_id: str, outcome: str, language: str
) -> None:
    sender = assistant.new_sender()
    transaction = sandbox_transaction(assistant, transaction_id)
    replies = complain(assistant, sender, transaction, language)
    if outcome == "charge_succeeded":
        # The payment went through: the goods are asked about before anything is concluded.
        assert payload_of(replies) is None and "/affirm" in buttons(replies), texts(replies)
        replies = assistant.say(sender, "/affirm")
    payload = payload_of(replies)
    assert payload is not None, texts(replies)
    assert payload["outcome"] == outcome
    assert payload["transaction_id"] == transaction_id
    assert set(payload) == {"type", "outcome", "ticket_id", "transaction_id", "expected_by"}
    assert han(texts(replies)) == (language == "zh")
    store = CaseStore(CaseDatabase(assistant.processes.case_store_url))
    if outcome in TICKET_OUTCOMES:
        ticket = store.get(payload["ticket_id"])
        assert ticket is not None and ticket.transaction_id == transaction_id
        # One open ticket per transaction: the other language's conversation about it gets the same one.
        active = store.active_for_transaction(transaction_id)
        assert active is not None and active.number == payload["ticket_id"]
        assert payload["ticket_id"] in texts(replies)
    else:
        assert payload["ticket_id"] is None
    escalation = EscalationStore(CaseDatabase(assistant.processes.case_store_url)).open_for(sender)
    if outcome == "escalated":
        # Beyond the bot's limit: the case joins the people's queue with its ticket and the payment found.
        assert escalation is not None and escalation.reason == "policy"
        assert escalation.ticket_number == payload["ticket_id"]
        assert escalation.lookup == {"transaction_id": transaction_id, "outcome": "escalated"}
        assert "¥6,999.00" in escalation.summary_agent
        # A person already has the case: asking for one is answered, and no second case_result follows.
        again = assistant.say(sender, "转人工" if language == "zh" else "can I talk to a person")
        assert payload_of(again) is None and texts(again), texts(again)
    else:
        assert escalation is None
    if payload["expected_by"]:
        assert datetime.fromisoformat(payload["expected_by"]).date() >= datetime.now(SHANGHAI).date()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_paid_twice_opens_a_refund_for_the_debit_that_said_failed(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    first = sandbox_transaction(assistant, "TXN0008")
    replies = complain(assistant, sender, first, language)
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "refund_ticket", texts(replies)
    assert payload["transaction_id"] == "TXN0008"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_several_payments_fit_and_the_card_ending_picks_without_showing_anyone_elses(
    assistant: Client, language: str
) -> None:
    sender = assistant.new_sender()
    mine = sandbox_transaction(assistant, "TXN0018")
    others = [sandbox_transaction(assistant, t)["card_last4"] for t in ("TXN0017", "TXN0019", "TXN0020")]
    replies = assistant.say(sender, complaint_message(sandbox_transaction(assistant, "TXN0017"), language))
    replies += assistant.say(sender, card_message(mine, language))
    payload = payload_of(replies)
    assert payload is not None and payload["transaction_id"] == "TXN0018", texts(replies)
    shown = texts(replies) + " ".join(buttons(replies))
    assert not [last4 for last4 in others if last4 != mine["card_last4"] and last4 in shown]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_nothing_found_says_so_plainly_and_opens_a_dispute(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    transaction = dict(sandbox_transaction(assistant, "TXN0012"), amount="77.70", card_last4="4242")
    replies = complain(assistant, sender, transaction, language)
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "dispute_ticket", texts(replies)
    assert ("没有找到" if language == "zh" else "could not find") in texts(replies)
    # The time searched is the time the customer gave, not the edge of its window.
    given = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    assert f"{given:%H:%M}" in texts(replies)
    ticket = CaseStore(CaseDatabase(assistant.processes.case_store_url)).get(payload["ticket_id"])
    assert ticket is not None and ticket.card_last4 == "4242"
    # The first answer of our team, in working days: not the network's four-month deadline.
    answered_by = datetime.fromisoformat(payload["expected_by"]).date()
    assert (answered_by - datetime.now(SHANGHAI).date()).days <= 9


@pytest.mark.parametrize("language", ["zh", "en"])
def test_nothing_found_at_a_rough_hour_names_that_hour(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    paid = datetime.fromisoformat(sandbox_transaction(assistant, "TXN0012")["created_at"]).astimezone(
        SHANGHAI
    )
    hour = paid.hour
    # Said the way people say it, with the part of the day: "凌晨12点左右", "下午3点左右", "around 3pm".
    h12, afternoon = (hour - 1) % 12 + 1, hour >= 12
    if language == "zh":
        half = "凌晨" if hour < 6 else "上午" if hour < 12 else "中午" if hour == 12 else "下午"
        message = f"{paid.month}月{paid.day}日{half}{h12}点左右刷卡失败 扣了77.7元 终端号 ZZ999999"
    else:
        message = (
            f"on {paid:%b} {paid.day} around {h12}{'pm' if afternoon else 'am'} the machine said failed "
            "but 77.70 was taken, tid ZZ999999"
        )
    replies = assistant.say(sender, message)
    replies += assistant.say(sender, "尾号4242" if language == "zh" else "card ending 4242")
    assert ("没有找到" if language == "zh" else "could not find") in texts(replies)
    said = [line for line in texts(replies).splitlines() if "没有找到" in line or "could not find" in line]
    assert f"{hour:02d}:00" in said[0], said


@pytest.mark.parametrize("fault", [{"down": True}, {"latency_ms": 15000}], ids=["down", "too slow"])
def test_merchant_api_failing_keeps_the_complaint_and_the_retry_job_completes_it(
    assistant: Client, fault: dict
) -> None:
    faults = f"{assistant.processes.sandbox_url}/_faults"
    transaction = sandbox_transaction(assistant, "TXN0006")
    sender = assistant.new_sender()
    assistant.say(sender, complaint_message(transaction, "zh"))
    httpx.post(faults, json=fault, timeout=5).raise_for_status()
    try:
        replies = assistant.say(sender, card_message(transaction, "zh"))
    finally:
        httpx.post(
            faults, json={"down": False, "error_rate": 0, "latency_ms": 0}, timeout=5
        ).raise_for_status()
    waiting_number = assistant.tracker(sender)["slots"]["ticket_number"]
    assert waiting_number and waiting_number in texts(replies), texts(replies)
    store = CaseStore(CaseDatabase(assistant.processes.case_store_url))
    waiting = store.get(waiting_number)
    assert waiting is not None and waiting.status == "waiting_for_lookup"
    assert waiting.amount is not None and str(waiting.amount) == transaction["amount"]

    env = dict(os.environ, **assistant.processes.environment())
    subprocess.run(
        [sys.executable, "-m", "bot.lookup.retry_job", "--once"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    done = store.get(waiting_number, follow_merges=True)
    assert done is not None and done.status != "waiting_for_lookup"
    assert done.transaction_id == "TXN0006" and done.outcome == "refund_ticket"

    # The conversation it was given in asks by the number it was given; another one proves it first.
    status = assistant.say(sender, f"我的工单 {waiting_number.lower()} 怎么样了")
    assert done.number in texts(status), texts(status)
    other = assistant.new_sender()
    assistant.say(other, f"我的工单 {waiting_number.lower()} 怎么样了")
    status = assistant.say(other, f"{transaction['amount']}元 尾号{transaction['card_last4']}")
    assert done.number in texts(status), texts(status)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_completed_payment_with_nothing_received_becomes_a_dispute(
    assistant: Client, language: str
) -> None:
    sender = assistant.new_sender()
    asked = complain(assistant, sender, sandbox_transaction(assistant, "TXN0032"), language)
    assert payload_of(asked) is None, "a case_result is sent once, when the case is concluded"
    assert "/deny" in buttons(asked)
    replies = assistant.say(sender, "/deny")
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "dispute_ticket", texts(replies)
    assert payload["transaction_id"] == "TXN0032"
    assert CaseStore(CaseDatabase(assistant.processes.case_store_url)).get(payload["ticket_id"]) is not None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_shop_kept_the_goods_said_first_is_not_asked_again(assistant: Client, language: str) -> None:
    sender = assistant.new_sender()
    transaction = sandbox_transaction(assistant, "TXN0032")
    kept = " 店员没给我东西" if language == "zh" else " and the shop kept the goods"
    assistant.say(sender, complaint_message(transaction, language) + kept)
    replies = assistant.say(sender, card_message(transaction, language))
    payload = payload_of(replies)
    assert payload is not None and payload["outcome"] == "dispute_ticket", texts(replies)


def test_twenty_conversations_about_one_payment_at_once_get_one_ticket(assistant: Client) -> None:
    transaction = sandbox_transaction(assistant, "TXN0007")

    def converse(index: int) -> dict | None:
        client = Client(assistant.processes)
        try:
            sender = client.new_sender()
            language = "zh" if index % 2 else "en"
            client.say(sender, complaint_message(transaction, language))
            return payload_of(client.say(sender, card_message(transaction, language)))
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
