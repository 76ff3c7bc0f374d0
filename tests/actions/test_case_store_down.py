"""The case store's connection drops while an action writes the customer's case (PostgreSQL, the
server side of the connection killed for real before the COMMIT): the customer still gets a polite
answer, no exception escapes the action, no ticket number that does not exist is quoted, every fact
stays in the slots, and the same step, taken again once the store answers, opens the one case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff
import actions.lookup
from actions.turn import TakeTurn
from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.escalations import EscalationStore
from bot.case_store.ticket_numbers import PRINTED as TICKET_NUMBER
from bot.dialogue.state import CaseState
from bot.handoff.hours import SupportHours
from bot.handoff.service import HandoffService
from bot.lookup.service import LookupService
from bot.lookup.timelines import load_table
from bot.merchant_api import MerchantAPI
from devtools.processes import free_port
from tests.actions.conftest import make_tracker
from tests.bot.case_store import conftest as case_store_fixtures
from tests.bot.case_store import connection_killer
from tests.bot.case_store.conftest import PG_ADMIN_URL
from tests.bot.case_store.connection_killer import COMMIT, ConnectionKiller, Inspector

# A fresh migrated PostgreSQL database per test; a missing server fails, never skips.
pg_admin = connection_killer.pg_admin
pg_database = case_store_fixtures.pg_database
pg_template = case_store_fixtures.pg_template

ALWAYS = SupportHours.parse("00:00-23:59:59", "mon-sun", "Asia/Shanghai")
CONVERSATION = "test"  # make_tracker's sender
FACTS = {
    "language": "en",
    "transaction_time": "2026-11-25T20:00+08:00",
    "transaction_window_start": "2026-11-25T19:50+08:00",
    "transaction_window_end": "2026-11-25T20:10+08:00",
    "transaction_time_exact": False,
    "amount": "56.00",
    "terminal_id": "10293847",
}
# The bot has just asked for the card's last 4 digits: the next answer makes it act.
ASKED_CARD = CaseState(messages=2).asking("card_last4").to_slot()


@dataclass
class Setup:
    url: str
    killer: ConnectionKiller
    inspector: Inspector


@pytest_asyncio.fixture(loop_scope="function")
async def setup(monkeypatch: pytest.MonkeyPatch, pg_database: Any, pg_template: str) -> AsyncIterator[Setup]:
    """The actions' services on a fresh PostgreSQL case store, with a merchant API that is down (the
    steps tested here either need none or keep the complaint because it is down)."""
    url = pg_database(pg_template)
    cases, escalations = CaseStore(CaseDatabase(url)), EscalationStore(CaseDatabase(url))
    api = MerchantAPI(f"http://127.0.0.1:{free_port()}", "unused", retries=0, connect_timeout=1)
    lookup = LookupService(api, cases, load_table())
    handoff = HandoffService(cases, escalations, ALWAYS, "en")
    monkeypatch.setattr(actions.lookup, "lookup_service", lambda: lookup)
    monkeypatch.setattr(actions.handoff, "handoff_service", lambda: handoff)
    killer = ConnectionKiller([cases.database.engine, escalations.database.engine], admin_url=PG_ADMIN_URL)
    inspector = Inspector(url)
    yield Setup(url, killer, inspector)
    inspector.close()
    killer.close()
    await api.aclose()
    cases.database.close()
    escalations.database.close()


def _tickets(setup: Setup) -> int:
    """How many tickets the conversation has, read through a fresh connection."""
    return setup.inspector.scalar("SELECT COUNT(*) FROM tickets WHERE conversation_id = :c", c=CONVERSATION)


def _slots_after(slots: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    updated = dict(slots)
    for event in events:
        if event.get("event") == "slot":
            updated[event["name"]] = event["value"]
    return updated


async def _run_with_the_store_down(
    setup: Setup, domain: dict[str, Any], slots: dict[str, Any], **message: Any
) -> dict[str, Any]:
    """Run the action with the connection of its first write killed; check what the customer got and
    that nothing was stored; the slots the conversation goes on with."""
    dispatcher = CollectingDispatcher()
    setup.killer.arm(COMMIT)
    try:
        events = await TakeTurn().run(dispatcher, make_tracker(domain, slots=slots, **message), domain)
    finally:
        setup.killer.disarm()
    assert setup.killer.kills == ["before COMMIT"]  # the write was really cut off

    texts = [m.get("text") or "" for m in dispatcher.messages]
    assert any(texts), "the customer got no answer"
    assert not any(TICKET_NUMBER.search(text) for text in texts), f"a ticket that does not exist: {texts}"
    assert not [m for m in dispatcher.messages if (m.get("custom") or {}).get("type") == "case_result"]
    after = _slots_after(slots, events)
    assert {name: after.get(name) for name in FACTS} == FACTS, "facts were dropped"
    assert after.get("ticket_number") is None
    assert setup.inspector.scalar("SELECT COUNT(*) FROM tickets") == 0
    assert setup.inspector.scalar("SELECT COUNT(*) FROM escalations") == 0
    setup.inspector.check_whole()
    return after


async def test_a_dispute_that_cannot_be_stored_is_answered_and_can_be_confirmed_again(
    setup: Setup, domain: dict[str, Any]
) -> None:
    # Nothing was found and the customer has no card ending to search with: a dispute is opened.
    slots = {**FACTS, "dialogue": CaseState(stage="card_last4", messages=3).asking("card_last4").to_slot()}
    message = {"text": "no, I don't have it", "intent": "deny"}
    after = await _run_with_the_store_down(setup, domain, slots, **message)

    dispatcher = CollectingDispatcher()
    await TakeTurn().run(dispatcher, make_tracker(domain, slots=after, **message), domain)
    [number] = [m["custom"]["ticket_id"] for m in dispatcher.messages if m.get("custom")]
    assert number.startswith("DP-")
    assert _tickets(setup) == 1


async def test_a_hand_off_that_cannot_be_stored_is_answered_and_can_be_asked_again(
    setup: Setup, domain: dict[str, Any]
) -> None:
    message = {"text": "I want a person", "intent": "request_human"}
    after = await _run_with_the_store_down(setup, domain, dict(FACTS), **message)

    dispatcher = CollectingDispatcher()
    await TakeTurn().run(dispatcher, make_tracker(domain, slots=after, **message), domain)
    assert EscalationStore(CaseDatabase(setup.url)).open_for(CONVERSATION) is not None
    assert _tickets(setup) == 1


async def test_a_complaint_kept_for_later_that_cannot_be_stored_is_answered_and_kept_on_retry(
    setup: Setup, domain: dict[str, Any]
) -> None:
    """The merchant API is down and the complaint cannot be saved either: the bot must not claim it is
    saved under a ticket number; answering again, once the store answers, saves it."""
    message = {"text": "I don't know the card number", "intent": "deny"}
    after = await _run_with_the_store_down(setup, domain, {**FACTS, "dialogue": ASKED_CARD}, **message)

    dispatcher = CollectingDispatcher()
    await TakeTurn().run(dispatcher, make_tracker(domain, slots=after, **message), domain)
    [pending] = CaseStore(CaseDatabase(setup.url)).find_by_conversation(CONVERSATION)
    assert pending.status == "waiting_for_lookup"
    assert any(pending.number in (m.get("text") or "") for m in dispatcher.messages)
