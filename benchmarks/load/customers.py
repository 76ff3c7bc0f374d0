"""The simulated customers: one completes a complaint over the gateway's chat socket, a vanilla bot's
customer its happy path over REST, every message timed."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import httpx

from benchmarks.conversation import LANGUAGES, TRANSACTIONS, WEBHOOK, Step, case_result, vanilla_script
from benchmarks.load.phases import Conversation, Load, Sent
from devtools.chat_socket import ChatSocket, button_title, conversation_of, new_client_id

# Customer i complains about ROTATION[i % len(ROTATION)]: every transaction in both languages; three
# of them end in a ticket each (two refunds and an escalation), and the first customer's conversation
# ends in one (so the smoke run checks a ticket too).
ROTATION = (
    ("TXN0005", "zh"),
    ("TXN0001", "en"),
    ("TXN0006", "zh"),
    ("TXN0004", "zh"),
    ("TXN0012", "en"),
    ("TXN0015", "en"),
    ("TXN0005", "en"),
    ("TXN0001", "zh"),
    ("TXN0006", "en"),
    ("TXN0004", "en"),
    ("TXN0012", "zh"),
    ("TXN0015", "zh"),
)
# Warm-up conversations, two per gateway, that open no ticket.
WARM_UP = (("TXN0001", "zh"), ("TXN0012", "en"))
# How each kind of customer talks, as the report's transport column names it.
WEBSOCKET = "websocket"
REST = "REST"


def script_index(transaction_id: str, language: str) -> int:
    """The number of `complaint_script`'s conversation about that transaction in that language."""
    return list(TRANSACTIONS).index(transaction_id) + len(TRANSACTIONS) * LANGUAGES.index(language)


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, asyncio.TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"{type(error).__name__}: {error}"


async def complain(
    load: Load,
    customer: int,
    gateway_url: str,
    steps: list[Step],
    transaction_id: str,
    language: str,
    timeout: float,
) -> None:
    """One customer's complaint over the chat socket, every message timed. Never raises."""
    conversation = Conversation(customer, transaction_id, language)
    load.conversations.append(conversation)
    label = f"customer {customer} ({transaction_id}/{language}, {gateway_url})"
    try:
        chat, welcome = await asyncio.wait_for(ChatSocket.open_welcomed(gateway_url, language), timeout)
    except Exception as error:
        load.fail(f"{label}: no welcome: {_describe(error, timeout)}")
        return
    conversation.conversation_id = conversation_of(welcome["session"])
    try:
        bot_frames: list[dict[str, Any]] = []
        for number, (text, check) in enumerate(steps, start=1):
            sent = Sent(new_client_id(), text)
            conversation.sent.append(sent)
            display = button_title(bot_frames, text) if text.startswith("/") else None
            clicked = {"display": display} if display else {}  # the transcript shows the button's title
            started = time.perf_counter()
            try:
                *frames, end = await asyncio.wait_for(
                    chat.say(
                        text,
                        sent.client_id,
                        language=language,
                        frame_timeout=None,
                        language_chosen=False,
                        **clicked,
                    ),
                    timeout,
                )
            except Exception as error:
                load.fail(f"{label}, message {number}: {_describe(error, timeout)}")
                return
            elapsed_ms = (time.perf_counter() - started) * 1000
            if end["type"] != "ack":
                load.fail(
                    f"{label}, message {number}: {end['type']} {end.get('code', '')} {end.get('text')!r}"
                )
                return
            sent.answered, sent.as_stored = True, end.get("text", text)
            load.latencies_ms.append(elapsed_ms)
            bot_frames = [frame for frame in frames if frame.get("type") == "bot"]
            problem = check(bot_frames)
            if problem:
                load.fail(f"{label}, message {number}: {problem}")
                return
        conversation.completed = True
        conversation.case = case_result(bot_frames)
    finally:
        with contextlib.suppress(Exception):  # a socket that does not close politely is the gateway's
            await asyncio.wait_for(chat.close(), 10)


async def chat_over_rest(load: Load, client: httpx.AsyncClient, customer: int, timeout: float) -> None:
    """One vanilla bot customer's happy path over REST, every message timed. Never raises."""
    conversation = Conversation(customer, None, "en", conversation_id=f"load-{uuid.uuid4().hex[:12]}")
    load.conversations.append(conversation)
    for number, (text, check) in enumerate(vanilla_script(customer), start=1):
        sent = Sent(uuid.uuid4().hex, text)
        conversation.sent.append(sent)
        started = time.perf_counter()
        try:
            response = await client.post(
                WEBHOOK, json={"sender": conversation.conversation_id, "message": text}, timeout=timeout
            )
            response.raise_for_status()
            replies = response.json()
        except Exception as error:
            load.fail(f"customer {customer}, message {number}: {_describe(error, timeout)}")
            return
        load.latencies_ms.append((time.perf_counter() - started) * 1000)
        sent.answered = True
        problem = check(replies)
        if problem:
            load.fail(f"customer {customer}, message {number}: {problem}")
            return
    conversation.completed = True
