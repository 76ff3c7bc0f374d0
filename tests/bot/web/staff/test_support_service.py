"""What a support agent types to a customer, on its own: the text written into the tracker and pushed
to the customer's sockets is printable and has no card number, PIN or CVV, in any spelling. And what
the customer is told of the hand-over: an agent joining, in their language, and the agent's
resolution note before the bot's closing, each once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.case_store import CaseDatabase
from bot.case_store.agents import Agent
from bot.web.hub_channels import customer_channel
from bot.web.rasa_client import RasaUnavailable
from bot.web.settings import GatewaySettings
from bot.web.shared_state import InProcessLocks, LiveHub
from bot.web.staff.support_service import SupportService
from bot.web.transcript import history
from tests.bot.case_store.support import migrated_sqlite


class Tracker:
    """Rasa's tracker API as the service uses it: the events appended, and a bot whose closing
    action says CLOSING."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, dict[str, Any]]] = []

    async def append(self, conversation_id: str, event: dict[str, Any]) -> None:
        self.appended.append((conversation_id, event))

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        return [event for conversation, event in self.appended if conversation == conversation_id]

    async def execute(self, conversation_id: str, action: str) -> list[dict[str, Any]]:
        self.appended.append((conversation_id, {"event": "action", "name": action}))
        self.appended.append((conversation_id, {"event": "bot", "text": CLOSING}))
        return [{"text": CLOSING}]

    async def close(self) -> None:
        pass


CLOSING = "人工客服已结束本次服务，我回来了。"


class Customer:
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.got.append(json.loads(data))


@pytest.fixture
async def support(tmp_path: Path) -> AsyncIterator[SupportService]:
    url = migrated_sqlite(tmp_path)
    database = CaseDatabase(url)
    service = SupportService(
        GatewaySettings.configured({"CASE_STORE_URL": url}), LiveHub(), InProcessLocks().hold, database
    )
    real, service.tracker = service.tracker, Tracker()
    yield service
    await real.close()
    database.close()


@pytest.mark.parametrize(
    "typed, secrets",
    [
        ("您的卡号 6222_0212_3456_7890_128 已收到", ["6222", "0212", "3456", "7890"]),
        ("卡号六二二二零二一二三四五六七八九零一二八对吗", ["六二二二", "三四五六"]),
        ("please confirm: 7306 is your pin?", ["7306"]),
        ("CVN2: 739, 卡背后三位是739", ["739"]),
    ],
)
async def test_the_agent_s_message_is_redacted_where_it_is_stored_and_sent(
    support: SupportService, typed: str, secrets: list[str]
) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    escalation: Any = SimpleNamespace(conversation_id="c1")
    said = await support.say_to_customer(escalation, Agent("li.na", "李娜"), typed)
    [(conversation, event)] = support.tracker.appended  # type: ignore[attr-defined]
    assert conversation == "c1" and event["text"] == said and "[***]" in said
    assert customer.got == [{"type": "agent", "text": said, "name": "李娜"}]
    assert not [secret for secret in secrets if secret in said], said


async def test_the_agent_s_message_is_printable(support: SupportService) -> None:
    escalation: Any = SimpleNamespace(conversation_id="c1")
    said = await support.say_to_customer(
        escalation, Agent("li.na", "李娜"), "您好\x07\x1b[2J\u202e 请稍等\n谢谢"
    )
    assert said == "您好[2J 请稍等\n谢谢"


def escalation_in(language: str, conversation_id: str = "c1") -> Any:
    return SimpleNamespace(conversation_id=conversation_id, language=language, id=7, status="resolved")


def events_of(support: SupportService) -> list[dict[str, Any]]:
    return [event for _, event in support.tracker.appended]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "language, name, expected",
    [
        ("zh", "李娜", "您好，人工客服李娜已接入，接下来由李娜为您服务。"),
        (
            "en",
            "Li Na",
            "Hello, Li Na from our support team has joined the chat and will help you from here.",
        ),
        ("zh", " \u200b ", "您好，人工客服已接入，接下来由客服为您服务。"),
        ("en", "", "Hello, a support agent has joined the chat and will help you from here."),
    ],
)
async def test_the_customer_is_told_in_their_language_that_a_person_has_joined(
    support: SupportService, language: str, name: str, expected: str
) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    said = await support.announce_agent(escalation_in(language), Agent("li.na", name))
    assert said == expected
    assert customer.got == [{"type": "bot", "text": expected}]
    # In the tracker as the bot's (so a reload shows it again), marked as the gateway's notice.
    [event] = events_of(support)
    assert event == {
        "event": "bot",
        "text": expected,
        "metadata": {"from": "gateway", "notice": "agent_joined"},
    }
    assert history([event]) == [{"type": "bot", "text": expected}]


async def test_the_customer_hears_of_the_agent_even_when_rasa_cannot_record_it(
    support: SupportService,
) -> None:
    async def down(conversation_id: str, event: dict[str, Any]) -> None:
        raise RasaUnavailable("rasa is down")

    support.tracker.append = down  # type: ignore[method-assign]
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    await support.announce_agent(escalation_in("zh"), Agent("li.na", "李娜"))
    assert [frame["type"] for frame in customer.got] == ["bot"] and "李娜" in customer.got[0]["text"]


@pytest.mark.parametrize(
    "language, prefix",
    [("zh", "处理结果："), ("en", "How we resolved it: ")],
)
async def test_the_resolution_note_is_the_agent_s_last_word_redacted_before_the_closing(
    support: SupportService, language: str, prefix: str
) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    note = "已安排退款 CVN2: 739，卡号 6222 0212 3456 7890 128"

    farewell = await support.back_to_bot(escalation_in(language), (Agent("li.na", "李娜"), note))

    told = farewell.resolution
    assert told is not None and told.startswith(prefix + "已安排退款")
    assert "739" not in told and "6222 0212" not in told and "[***]" in told
    assert farewell.closing == CLOSING
    assert customer.got == [
        {"type": "agent", "text": told, "name": "李娜"},
        {"type": "bot", "text": CLOSING},
    ]
    events = events_of(support)
    assert [event["event"] for event in events[:2]] == ["bot", "resume"]
    assert events[0] == {"event": "bot", "text": told, "metadata": {"agent": "李娜", "from": "agent"}}
    assert history(events)[0] == {"type": "agent", "text": told, "name": "李娜"}


async def test_handing_back_says_only_the_closing(support: SupportService) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    farewell = await support.back_to_bot(escalation_in("zh"))
    assert farewell.resolution is None
    assert customer.got == [{"type": "bot", "text": CLOSING}]
    assert events_of(support)[0] == {"event": "resume"}


async def test_a_repeated_finish_says_nothing_twice(support: SupportService) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    agent = Agent("li.na", "李娜")
    await support.tracker.append("c1", {"event": "pause"})
    await support.back_to_bot(escalation_in("zh"), (agent, "已安排退款"))
    said_first = list(customer.got)

    again = await support.back_to_bot(escalation_in("zh"), (agent, "已安排退款"), again=True)

    assert again.resolution is None and again.closing == ""
    assert customer.got == said_first
    assert [event["event"] for event in events_of(support)].count("resume") == 1


async def test_a_retry_after_rasa_failed_brings_the_bot_back_without_repeating_the_note(
    support: SupportService,
) -> None:
    customer = Customer()
    support.hub.subscribe(customer_channel("c1"), customer)
    agent = Agent("li.na", "李娜")
    await support.tracker.append("c1", {"event": "pause"})
    real_execute = support.tracker.execute  # type: ignore[attr-defined]

    async def down(conversation_id: str, action: str) -> list[dict[str, Any]]:
        raise RasaUnavailable("rasa is down")

    support.tracker.execute = down  # type: ignore[method-assign]
    with pytest.raises(RasaUnavailable):
        await support.back_to_bot(escalation_in("zh"), (agent, "已安排退款"))
    support.tracker.execute = real_execute  # type: ignore[method-assign]

    again = await support.back_to_bot(escalation_in("zh"), (agent, "已安排退款"), again=True)

    assert again.resolution is None and again.closing == CLOSING
    notes = [e for e in events_of(support) if (e.get("metadata") or {}).get("from") == "agent"]
    assert len(notes) == 1
    assert [frame["type"] for frame in customer.got] == ["agent", "bot"]
