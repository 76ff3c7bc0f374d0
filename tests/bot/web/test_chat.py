"""The chat socket's service on its own: a socket made here, a rasa server made here (the service's
`rasa` client replaced), the in-process shared state and a real case store. What one browser's
socket is sent for what it says; tests/e2e/test_gateway.py drives the same over a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from bot.case_store import CaseDatabase
from bot.case_store.escalations import EscalationStore
from bot.web.chat import ChatService
from bot.web.hub_channels import agents_channel
from bot.web.rasa_client import RasaUnavailable
from bot.web.settings import GatewaySettings
from bot.web.shared_state import in_process_state
from tests.bot.case_store.support import migrated_sqlite, store_at

MAX_CHARS = 50
SESSION_LIMIT = 3


class Browser:
    """A socket that says `frames` (dicts as JSON, strings as they are), then goes away."""

    def __init__(self, *frames: dict[str, Any] | str) -> None:
        self.incoming = [json.dumps(f) if isinstance(f, dict) else f for f in frames]
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    async def recv(self, timeout: float | None = None) -> str:
        if not self.incoming:
            raise ConnectionClosed(None, None)
        return self.incoming.pop(0)

    async def send(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.sent if frame["type"] == kind]


class Rasa:
    """A rasa server that answers every message with one line, or is down."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, dict[str, Any]]] = []
        self.tracker: dict[str, list[dict[str, Any]]] = {}
        self.down = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("rasa is down in this test")
        self.received.append((sender, text, metadata))
        return [{"recipient_id": sender, "text": f"收到：{text}"}]

    async def events(self, sender: str) -> list[dict[str, Any]]:
        if self.down:
            raise RasaUnavailable("rasa is down in this test")
        return self.tracker.get(sender, [])

    async def close(self) -> None:
        pass


class Listener:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.got.append(json.loads(data))


@pytest.fixture(scope="module")
def case_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_sqlite(Path(tmp_path_factory.mktemp("chat")))


@pytest.fixture
async def chat(case_store_url: str) -> AsyncIterator[ChatService]:
    settings = GatewaySettings.configured(
        {
            "CASE_STORE_URL": case_store_url,
            "GATEWAY_MAX_MESSAGE_CHARS": str(MAX_CHARS),
            "GATEWAY_SESSION_MESSAGES_PER_MINUTE": str(SESSION_LIMIT),
        }
    )
    shared = in_process_state()
    await shared.open()
    database = CaseDatabase(case_store_url)
    service = ChatService(settings, shared, database)
    real_rasa, service.rasa = service.rasa, Rasa()
    yield service
    await service.close()
    database.close()
    await real_rasa.close()
    await shared.close()


def hello(**fields: Any) -> dict[str, Any]:
    return {"type": "hello", "language": "zh", **fields}


def message(client_id: str, text: str, **fields: Any) -> dict[str, Any]:
    return {"type": "message", "id": client_id, "text": text, **fields}


async def test_a_socket_must_say_hello_first(chat: ChatService) -> None:
    browser = Browser(message("m1", "你好"))
    await chat.serve(browser, "10.0.0.1")
    assert [frame["code"] for frame in browser.of_type("notice")] == ["bad_request"]
    assert browser.closed == (1008, "hello expected")
    assert chat.rasa.received == []


async def test_a_new_visitor_is_welcomed_and_answered(chat: ChatService) -> None:
    browser = Browser(hello(timezone="Asia/Shanghai"), message("m1", " 我的卡被扣款了 "))
    await chat.serve(browser, "10.0.0.1")
    welcome = browser.sent[0]
    assert welcome["type"] == "welcome" and welcome["history"] == [] and welcome["max_chars"] == MAX_CHARS
    conversation_id = chat.sessions.conversation_of(welcome["session"])
    assert conversation_id is not None
    assert [frame["type"] for frame in browser.sent[1:]] == ["typing", "bot", "typing", "ack"]
    assert browser.of_type("bot") == [{"type": "bot", "text": "收到：我的卡被扣款了"}]
    assert browser.of_type("ack") == [{"type": "ack", "id": "m1"}]
    [(sender, text, metadata)] = chat.rasa.received
    assert sender == conversation_id and text == "我的卡被扣款了"
    assert metadata["client_id"] == "m1" and metadata["timezone"] == "Asia/Shanghai"
    assert metadata["channel"] == "web" and metadata["language"] == "zh"


async def test_card_data_is_hidden_before_the_bot_and_the_customer_is_told_why(chat: ChatService) -> None:
    browser = Browser(hello(), message("m1", "卡号6222021234567890123 密码123456"))
    await chat.serve(browser, "10.0.0.1")
    [(_, text, _)] = chat.rasa.received
    assert "6222021234567890123" not in text and "123456" not in text
    [ack] = browser.of_type("ack")
    assert ack["text"] == text  # the widget keeps only what the bot got
    [told] = browser.of_type("notice")
    assert told["code"] == "card_data_removed" and "卡号" in told["text"]


async def test_a_message_without_card_data_gets_no_warning(chat: ChatService) -> None:
    browser = Browser(hello(), message("m1", "尾号8830，扣了35块"))
    await chat.serve(browser, "10.0.0.1")
    assert browser.of_type("notice") == []


async def test_a_message_sent_again_reaches_the_bot_once(chat: ChatService) -> None:
    browser = Browser(hello(), message("m1", "你好"), message("m1", "你好"))
    await chat.serve(browser, "10.0.0.1")
    assert len(chat.rasa.received) == 1
    assert browser.of_type("ack") == [{"type": "ack", "id": "m1"}, {"type": "ack", "id": "m1"}]


async def test_a_returning_visitor_gets_the_transcript_and_no_id_twice(chat: ChatService) -> None:
    conversation_id = chat.sessions.new_conversation_id()
    chat.rasa.tracker[conversation_id] = [
        {"event": "user", "text": "你好", "metadata": {"client_id": "old"}},
        {"event": "bot", "text": "您好！"},
    ]
    session = chat.sessions.token_for(conversation_id)
    browser = Browser(hello(session=session), message("old", "你好"))
    await chat.serve(browser, "10.0.0.1")
    assert browser.sent[0]["history"] == [
        {"type": "user", "id": "old", "text": "你好"},
        {"type": "bot", "text": "您好！"},
    ]
    assert chat.sessions.conversation_of(browser.sent[0]["session"]) == conversation_id
    assert chat.rasa.received == [] and browser.of_type("ack") == [{"type": "ack", "id": "old"}]


async def test_empty_long_and_malformed_messages_are_turned_back(chat: ChatService) -> None:
    browser = Browser(
        hello(language="en"),
        message("m1", "   "),
        message("m2", "x" * (MAX_CHARS + 1)),
        message("", "no id"),
        "not json",
    )
    await chat.serve(browser, "10.0.0.1")
    assert [(frame["id"], frame["code"]) for frame in browser.of_type("reject")] == [
        ("m1", "empty"),
        ("m2", "too_long"),
    ]
    assert f"at most {MAX_CHARS} characters" in browser.of_type("reject")[1]["text"]
    assert [frame["code"] for frame in browser.of_type("notice")] == ["bad_request", "bad_request"]
    assert chat.rasa.received == []


async def test_a_session_that_sends_too_fast_is_held_back(chat: ChatService) -> None:
    frames = [message(f"m{n}", f"第 {n} 条") for n in range(SESSION_LIMIT + 1)]
    browser = Browser(hello(), *frames)
    await chat.serve(browser, "10.0.0.1")
    assert len(chat.rasa.received) == SESSION_LIMIT
    assert [frame["code"] for frame in browser.of_type("reject")] == ["rate_limited"]


async def test_when_rasa_is_down_the_message_is_to_be_sent_again(chat: ChatService) -> None:
    chat.rasa.down = True
    browser = Browser(hello(), message("m1", "你好"))
    await chat.serve(browser, "10.0.0.1")
    assert browser.of_type("retry") == [
        {"type": "retry", "id": "m1", "text": browser.of_type("retry")[0]["text"]}
    ]
    assert "助手暂时没有回应" in browser.of_type("retry")[0]["text"]
    assert browser.of_type("ack") == []
    returning = Browser(hello(session=browser.sent[0]["session"]))
    await chat.serve(returning, "10.0.0.1")
    assert [frame["code"] for frame in returning.of_type("notice")] == ["unavailable"]
    assert returning.closed == (1013, "try again later")


async def test_while_an_agent_holds_the_conversation_messages_go_to_the_agent(
    chat: ChatService, case_store_url: str
) -> None:
    conversation_id = chat.sessions.new_conversation_id()
    with store_at(EscalationStore, case_store_url) as store:
        opened = store.open(
            conversation_id=conversation_id,
            reason="customer_asked",
            language="zh",
            facts={},
            lookup=None,
            ticket_number=None,
            summary_customer="客户要求人工。",
            summary_agent="客户要求人工。",
        )
        store.claim(opened.id, "li.na")
    agent = Listener()
    chat.hub.subscribe(agents_channel(conversation_id), agent)
    browser = Browser(hello(session=chat.sessions.token_for(conversation_id)), message("m1", "还在吗？"))
    await chat.serve(browser, "10.0.0.1")
    await asyncio.sleep(0)
    assert agent.got == [{"type": "customer", "escalation": opened.id, "id": "m1", "text": "还在吗？"}]
    assert browser.of_type("typing") == [] and browser.of_type("ack") == [{"type": "ack", "id": "m1"}]
    assert [text for _, text, _ in chat.rasa.received] == ["还在吗？"]  # recorded through Rasa
