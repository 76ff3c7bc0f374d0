"""The chat socket's service on its own: a socket made here, a rasa server made here (the service's
`rasa` client replaced), the in-process shared state and a real case store. What one browser's
socket is sent for what it says; tests/e2e/test_gateway.py drives the same over a real socket."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from itsdangerous import TimestampSigner
from websockets.exceptions import ConnectionClosed

from bot.case_store import CaseDatabase
from bot.case_store.escalations import EscalationStore
from bot.web.chat import NEW_CONVERSATIONS_PER_MINUTE, ChatService
from bot.web.hub_channels import agents_channel
from bot.web.rasa_client import RasaUnavailable
from bot.web.sessions import Conversation
from bot.web.settings import GatewaySettings
from bot.web.shared_state import in_process_state
from tests.bot.case_store.support import migrated_sqlite, store_at

MAX_CHARS = 50
SESSION_LIMIT = 3


class Browser:
    """A socket that says `frames` (dicts as JSON, strings as they are), then goes away. A frame that
    is a function is called instead, when the socket gets to it: what happens meanwhile elsewhere."""

    def __init__(self, *frames: dict[str, Any] | str | Callable[[], Awaitable[None]]) -> None:
        self.incoming = [json.dumps(f) if isinstance(f, dict) else f for f in frames]
        self.sent: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    async def recv(self, timeout: float | None = None) -> str:
        while self.incoming and callable(self.incoming[0]):
            await self.incoming.pop(0)()
        if not self.incoming or self.closed:
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
    conversation = chat.sessions.opened(welcome["session"])
    assert conversation is not None and not chat.sessions.expired(conversation)
    conversation_id = conversation.id
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
    conversation = chat.sessions.start()
    chat.rasa.tracker[conversation.id] = [
        {"event": "user", "text": "你好", "metadata": {"client_id": "old"}},
        {"event": "bot", "text": "您好！"},
    ]
    browser = Browser(hello(session=conversation.token), message("old", "你好"))
    await chat.serve(browser, "10.0.0.1")
    assert browser.sent[0]["history"] == [
        {"type": "user", "id": "old", "text": "你好"},
        {"type": "bot", "text": "您好！"},
    ]
    assert browser.sent[0]["session"] == conversation.token
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
    conversation = chat.sessions.start()
    conversation_id = conversation.id
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
    browser = Browser(hello(session=conversation.token), message("m1", "还在吗？"))
    await chat.serve(browser, "10.0.0.1")
    await asyncio.sleep(0)
    assert agent.got == [{"type": "customer", "escalation": opened.id, "id": "m1", "text": "还在吗？"}]
    assert browser.of_type("typing") == [] and browser.of_type("ack") == [{"type": "ack", "id": "m1"}]
    assert [text for _, text, _ in chat.rasa.received] == ["还在吗？"]  # recorded through Rasa


# --- how long a conversation's token opens it, and ending it sooner -----------------------------


def started_days_ago(chat: ChatService, days: float) -> Conversation:
    """A conversation begun `days` ago: its token signed then, as the gateway signed it."""
    signer = TimestampSigner(chat.settings.secret, salt="chat-conversation")
    then = int(time.time() - days * 86400)
    signer.get_timestamp = lambda: then  # type: ignore[method-assign]
    conversation_id = chat.sessions.new_conversation_id()
    chat.rasa.tracker[conversation_id] = [
        {"event": "user", "text": "扣了我35块", "metadata": {"client_id": "first"}},
        {"event": "bot", "text": "请问是在哪家店？"},
    ]
    return Conversation(conversation_id, signer.sign(conversation_id).decode(), float(then))


def signed_at(chat: ChatService, token: str) -> float:
    signer = TimestampSigner(chat.settings.secret, salt="chat-conversation")
    return signer.unsign(token, return_timestamp=True)[1].timestamp()


async def test_coming_back_does_not_extend_the_conversations_token(chat: ChatService) -> None:
    almost_over = started_days_ago(chat, chat.settings.session_days - 0.5)
    for _ in range(3):
        browser = Browser(hello(session=almost_over.token))
        await chat.serve(browser, "10.0.0.1")
        [welcome] = browser.of_type("welcome")
        assert len(welcome["history"]) == 2  # the same conversation
        # The token it began with, not a new one: a day later it opens nothing.
        assert welcome["session"] == almost_over.token
        assert signed_at(chat, welcome["session"]) == almost_over.started


async def test_a_token_past_its_lifetime_starts_a_new_conversation_politely(chat: ChatService) -> None:
    over = started_days_ago(chat, chat.settings.session_days + 0.01)
    browser = Browser(hello(session=over.token, language="en"), message("m1", "hello"))
    await chat.serve(browser, "10.0.0.1")
    welcome = browser.sent[0]
    assert welcome["type"] == "welcome" and welcome["history"] == []
    assert welcome["session"] != over.token
    fresh = chat.sessions.opened(welcome["session"])
    assert fresh is not None and fresh.id != over.id and not chat.sessions.expired(fresh)
    assert [frame["code"] for frame in browser.of_type("notice")] == ["session_ended"]
    assert "conversation has ended" in browser.of_type("notice")[0]["text"]
    assert [sender for sender, _, _ in chat.rasa.received] == [fresh.id]


async def test_a_new_conversation_ends_the_old_one_for_every_browser(chat: ChatService) -> None:
    old = started_days_ago(chat, 1)
    mine = Browser(hello(session=old.token), {"type": "new_conversation"}, message("m1", "新的问题"))
    await chat.serve(mine, "10.0.0.1")
    [first, second] = mine.of_type("welcome")
    assert first["session"] == old.token and len(first["history"]) == 2
    new = chat.sessions.opened(second["session"])
    assert second["history"] == [] and new is not None and new.id != old.id
    assert [sender for sender, _, _ in chat.rasa.received] == [new.id]
    # The old token, wherever it went, opens nothing more: a new conversation, and a notice.
    leaked = Browser(hello(session=old.token))
    await chat.serve(leaked, "10.9.9.9")
    [welcome] = leaked.of_type("welcome")
    assert welcome["history"] == [] and welcome["session"] not in (old.token, new.token)
    assert [frame["code"] for frame in leaked.of_type("notice")] == ["session_ended"]
    # The new one goes on.
    back = Browser(hello(session=new.token))
    await chat.serve(back, "10.0.0.1")
    assert back.of_type("welcome")[0]["session"] == new.token and back.of_type("notice") == []


async def test_a_socket_open_on_an_ended_conversation_is_closed(chat: ChatService) -> None:
    conversation = chat.sessions.start()

    async def ended_elsewhere() -> None:
        await chat.end(conversation)  # the customer's other browser, or an operator

    holder = Browser(hello(session=conversation.token), ended_elsewhere, message("m1", "还在吗？"))
    await chat.serve(holder, "10.9.9.9")
    assert holder.closed == (1008, "conversation ended")
    assert chat.rasa.received == [] and holder.of_type("ack") == []


async def test_new_conversations_from_one_address_are_limited(chat: ChatService) -> None:
    browser = Browser(hello(), *[{"type": "new_conversation"}] * (NEW_CONVERSATIONS_PER_MINUTE + 1))
    await chat.serve(browser, "10.0.0.7")
    assert len(browser.of_type("welcome")) == 1 + NEW_CONVERSATIONS_PER_MINUTE
    assert [frame["code"] for frame in browser.of_type("notice")] == ["new_conversation_later"]


# --- card data in every spelling, in every field (issue 15) ------------------------------------


def _card_notices(browser: Browser) -> list[dict[str, Any]]:
    return [f for f in browser.of_type("notice") if f["code"] == "card_data_removed"]


async def test_a_card_number_split_over_two_messages_reaches_the_bot_in_neither(chat: ChatService) -> None:
    browser = Browser(
        hello(language="en"),
        message("m1", "my card is 6222 0212 3456"),
        message("m2", "7890 123"),
        message("m3", "it was 128 yuan"),
    )
    await chat.serve(browser, "10.0.0.1")
    texts = [text for _, text, _ in chat.rasa.received]
    assert texts == ["my card is [***]", "[***]", "it was 128 yuan"]
    assert [ack.get("text") for ack in browser.of_type("ack")] == [*texts[:2], None]
    # One notice for each message that had something removed, each before that message's ack.
    kinds = [f["type"] if f["type"] != "notice" else f["code"] for f in browser.sent]
    assert kinds.count("card_data_removed") == 2
    assert [kinds[i + 1] for i, k in enumerate(kinds) if k == "card_data_removed"] == ["ack", "ack"]


async def test_the_rest_of_a_card_number_sent_again_after_rasa_failed_is_still_hidden(
    chat: ChatService,
) -> None:
    send, failures = chat.rasa.send, ["once"]

    async def fails_once(sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if text == "[***]" and failures:
            failures.pop()
            raise RasaUnavailable("rasa is down in this test")
        return await send(sender, text, metadata)

    chat.rasa.send = fails_once  # type: ignore[method-assign]
    browser = Browser(hello(), message("m1", "卡号 6222 0212 3456"), message("m2", "7890 123"))
    await chat.serve(browser, "10.0.0.1")
    assert [f["id"] for f in browser.of_type("retry")] == ["m2"] and not failures
    again = Browser(hello(session=browser.sent[0]["session"]), message("m2", "7890 123"))
    await chat.serve(again, "10.0.0.1")
    assert [text for _, text, _ in chat.rasa.received] == ["卡号 [***]", "[***]"]
    assert len(_card_notices(again)) == 1


async def test_a_button_s_display_text_is_kept_printable_and_redacted(chat: ChatService) -> None:
    display = "是\x07 卡号 6222_0212_3456_7890_128 \u202e"
    browser = Browser(hello(), message("m1", "/affirm", display=display))
    await chat.serve(browser, "10.0.0.1")
    [(_, text, metadata)] = chat.rasa.received
    assert text == "/affirm" and metadata["display"] == "是 卡号 [***]"
    assert len(_card_notices(browser)) == 1


async def test_a_client_id_carrying_a_card_number_is_kept_redacted(chat: ChatService) -> None:
    client_id = "id-6222021234567890128"
    browser = Browser(hello(), message(client_id, "你好"), message(client_id, "你好"))
    await chat.serve(browser, "10.0.0.1")
    [(_, _, metadata)] = chat.rasa.received  # the second is known: the same message sent again
    assert metadata["client_id"] == "id-[***]"
    assert browser.of_type("ack") == [{"type": "ack", "id": client_id}] * 2  # the browser's own id
