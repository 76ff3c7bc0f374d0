"""What a support agent types to a customer, on its own: the text written into the tracker and pushed
to the customer's sockets is printable and has no card number, PIN or CVV, in any spelling."""

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
from bot.web.settings import GatewaySettings
from bot.web.shared_state import InProcessLocks, LiveHub
from bot.web.staff.support_service import SupportService
from tests.bot.case_store.support import migrated_sqlite


class Tracker:
    """Rasa's tracker API as the service uses it: the events appended."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, dict[str, Any]]] = []

    async def append(self, conversation_id: str, event: dict[str, Any]) -> None:
        self.appended.append((conversation_id, event))

    async def close(self) -> None:
        pass


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
