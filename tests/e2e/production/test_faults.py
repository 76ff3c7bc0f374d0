"""Faults survived, nothing lost: two rasa servers sharing PostgreSQL and Redis, one conversation's
messages spread over both, a rasa server killed mid-form, the action servers down for a while."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks.conversation import case_result
from bot.case_store import CaseDatabase, CaseStore
from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client, sandbox_transaction

SHANGHAI = ZoneInfo("Asia/Shanghai")


def say_to(url: str, token: str, sender: str, message: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{url}/webhooks/rest/webhook",
        params={"token": token},
        json={"sender": sender, "message": message},
        timeout=120,
    )
    response.raise_for_status()
    return response.json()


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def facts_of(transaction: dict[str, Any]) -> tuple[str, str, str]:
    """The time, amount and terminal as a customer would type them, one message each."""
    when = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    return (
        f"{when.month}月{when.day}日 {when:%H:%M}",
        f"{transaction['amount']}元",
        transaction["terminal_id"],
    )


def user_turns(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The tracker's events cut at each user message."""
    turns: list[list[dict[str, Any]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([])
        if turns:
            turns[-1].append(event)
    return turns


def test_a_conversation_alternating_between_rasa_servers_finishes_with_the_right_form(
    cluster: Client,
) -> None:
    transaction = sandbox_transaction(cluster, "TXN0005")
    when, amount, terminal = facts_of(transaction)
    servers = cluster.processes.rasa_urls
    sender = cluster.new_sender()
    for turn, message in enumerate(["刷卡显示失败，但是钱被扣了", when, amount, terminal]):
        replies = say_to(servers[turn % 2], cluster.processes.token, sender, message)
        assert replies, f"no answer to {message!r} from {servers[turn % 2]}"
    slots = cluster.tracker(sender)["slots"]
    assert slots["amount"] == transaction["amount"] and slots["terminal_id"] == transaction["terminal_id"]
    paid = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    assert slots["transaction_time"].startswith(f"{paid:%Y-%m-%dT%H:%M}")
    found = say_to(servers[0], cluster.processes.token, sender, f"尾号{transaction['card_last4']}")
    result = case_result(found)
    assert result is not None and result["outcome"] == "refund_ticket", texts(found)
    ticket = CaseStore(CaseDatabase(cluster.processes.case_store_url)).get(result["ticket_id"])
    assert ticket is not None and ticket.transaction_id == "TXN0005"


def test_messages_of_one_conversation_sent_to_both_servers_at_once_are_taken_one_at_a_time(
    cluster: Client,
) -> None:
    servers = cluster.processes.rasa_urls
    sender = cluster.new_sender()
    messages = ["你好", "刷卡失败了", "钱被扣了", "昨天晚上", "八点左右", "扣了88块", "终端号不知道", "谢谢"]

    def send(index: int) -> list[dict[str, Any]]:
        return say_to(servers[index % 2], cluster.processes.token, sender, messages[index])

    with ThreadPoolExecutor(max_workers=len(messages)) as pool:
        answers = list(pool.map(send, range(len(messages))))
    assert all(answers), "a message went unanswered"
    turns = user_turns(cluster.tracker(sender)["events"])
    assert sorted(turn[0]["text"] for turn in turns) == sorted(messages)
    for turn in turns:
        # Each message is answered before the next is taken: its turn ends by listening again.
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions and actions[-1] == "action_listen", turn


async def test_a_rasa_server_killed_mid_form_loses_nothing(cluster: Client) -> None:
    processes = cluster.processes
    transaction = sandbox_transaction(cluster, "TXN0006")
    when, amount, terminal = facts_of(transaction)
    chat, welcome = await ChatSocket.open(processes.gateway_urls[0])
    sender = welcome["session"].split(".")[0]
    assert bot_texts(await chat.say("刷卡显示交易失败 钱扣了"))
    assert bot_texts(await chat.say(when))
    await asyncio.to_thread(processes.kill_rasa, 0)
    try:
        # The gateways pass over the dead server: the customer notices nothing.
        replies = await chat.say(amount)
        assert replies[-1]["type"] == "ack" and bot_texts(replies), replies
        await chat.close()
    finally:
        await asyncio.to_thread(processes.start_rasa, 0)
    # The restarted server carries on where the conversation was.
    tracker = httpx.get(
        f"{processes.rasa_urls[0]}/conversations/{sender}/tracker",
        params={"token": processes.token},
        timeout=30,
    ).json()
    assert tracker["slots"]["dialogue"]["pending_question"] == "terminal_id"
    assert tracker["slots"]["amount"] == transaction["amount"] and tracker["slots"]["transaction_time"]
    replies = say_to(processes.rasa_urls[0], processes.token, sender, terminal)
    assert "后4位" in texts(replies), texts(replies)
    user_texts = [e["text"] for e in cluster.tracker(sender)["events"] if e["event"] == "user"]
    assert user_texts == ["刷卡显示交易失败 钱扣了", when, amount, terminal]


async def test_the_action_servers_down_for_a_while_keep_the_complaint(cluster: Client) -> None:
    processes = cluster.processes
    transaction = sandbox_transaction(cluster, "TXN0005")
    when, amount, terminal = facts_of(transaction)
    chat, welcome = await ChatSocket.open(processes.gateway_urls[1])
    sender = welcome["session"].split(".")[0]
    assert bot_texts(await chat.say(f"{when} 刷卡显示失败 但是扣钱了"))
    for index in range(processes.copies):
        await asyncio.to_thread(processes.stop_actions, index)
    try:
        frames = await chat.say(amount)
        assert frames[-1]["type"] == "ack", frames  # recorded, not to be sent again
        [busy] = [f for f in frames if f["type"] == "notice"]
        assert busy["code"] == "busy" and "保存" in busy["text"], busy
        assert not any("Traceback" in str(f) or "Exception" in str(f) for f in frames)
    finally:
        for index in range(processes.copies):
            await asyncio.to_thread(processes.start_actions, index)
    kept = cluster.tracker(sender)
    assert kept["slots"]["transaction_time"] and kept["slots"]["dialogue"]["stage"] == "collecting"
    assert amount in [e["text"] for e in kept["events"] if e["event"] == "user"]
    # Back again, the customer says it once more and the complaint goes on to its end.
    assert bot_texts(await chat.say(amount))
    replies = await chat.say(terminal)
    assert any("后4位" in text for text in bot_texts(replies)), replies
    await chat.close()
    slots = cluster.tracker(sender)["slots"]
    assert slots["amount"] == transaction["amount"] and slots["terminal_id"] == transaction["terminal_id"]
