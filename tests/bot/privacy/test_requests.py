"""A customer's requests carried out across both stores, on SQLite and PostgreSQL: the export holds the
conversation's data and nothing of another's; erasing removes it and leaves the others alone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.case_store import CaseStore, Ticket
from bot.case_store.escalations import EscalationStore
from bot.case_store.personal_data import ConversationWithAgent
from bot.privacy import requests
from bot.privacy.stores import Stores
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore
from tests.bot.case_store.escalation_support import _open
from tests.bot.case_store.support import SHANGHAI, Clock, refund_draft
from tests.bot.privacy.support import converse


def _complaint(
    stores: Stores,
    rasa_store: IncrementalSQLTrackerStore,
    clock: Clock,
    conversation: str,
    words: str,
    txn: str,
) -> Ticket:
    """A conversation that ended with a ticket and an escalation an agent handed back."""
    converse(rasa_store, conversation, (words, clock.now), ("转人工", clock.now + timedelta(seconds=30)))
    ticket = CaseStore(stores.database, business_timezone=SHANGHAI, clock=clock).open_ticket(
        refund_draft(conversation_id=conversation, transaction_id=txn)
    )
    escalations = EscalationStore(stores.database, clock=clock)
    escalation = _open(escalations, conversation, ticket_number=ticket.number)
    escalations.claim(escalation.id, "alice")
    escalations.hand_back(escalation.id, "alice")
    return ticket


def test_the_export_holds_the_conversation_and_nothing_of_another(
    stores: Stores, rasa_store: IncrementalSQLTrackerStore, clock: Clock
) -> None:
    mine = _complaint(stores, rasa_store, clock, "web-mine", "昨天在全家扣了128块5", "TX-1")
    theirs = _complaint(stores, rasa_store, clock, "web-theirs", "my card was charged 66 at Lawson", "TX-2")

    exported = requests.export(stores, "web-mine", clock.now)

    assert exported["conversation_id"] == "web-mine"
    shown = [(item["type"], item.get("text")) for item in exported["messages"]]
    assert shown == [
        ("user", "昨天在全家扣了128块5"),
        ("bot", "收到：昨天在全家扣了128块5"),
        ("user", "转人工"),
        ("bot", "收到：转人工"),
    ]
    assert len(exported["tracker_events"]) > len(shown)
    assert [t["number"] for t in exported["tickets"]] == [mine.number]
    assert [e["status"] for e in exported["escalations"]] == ["handed_back"]
    assert {e["topic"] for e in exported["webhook_events"]} >= {"ticket.changed", "escalation.handed_back"}
    text = json.dumps(exported, ensure_ascii=False)
    for other in ("web-theirs", theirs.number, "Lawson", "TX-2"):
        assert other not in text


def test_erasing_removes_the_conversation_and_leaves_the_others(
    stores: Stores, rasa_store: IncrementalSQLTrackerStore, clock: Clock
) -> None:
    mine = _complaint(stores, rasa_store, clock, "web-mine", "昨天在全家扣了128块5", "TX-1")
    _complaint(stores, rasa_store, clock, "web-theirs", "my card was charged 66 at Lawson", "TX-2")
    theirs_before = requests.export(stores, "web-theirs", clock.now)

    erasure = requests.erase(stores, "web-mine")

    assert erasure.tracker_events > 0 and erasure.case_store.tickets == (mine.number,)
    left = requests.export(stores, "web-mine", clock.now)
    assert left["messages"] == left["tracker_events"] == left["tickets"] == left["escalations"] == []
    assert [e["topic"] for e in left["webhook_events"]] == ["conversation.erased"]
    kept = CaseStore(stores.database, business_timezone=SHANGHAI).get(mine.number)
    assert kept is not None and kept.amount == mine.amount and kept.conversation_id == f"erased:{mine.number}"
    by_ticket = requests.export(stores, kept.conversation_id, clock.now)  # what the command finds by number
    assert [t["number"] for t in by_ticket["tickets"]] == [mine.number]
    assert "昨天在全家" not in json.dumps(by_ticket, ensure_ascii=False)
    assert requests.export(stores, "web-theirs", clock.now) == theirs_before
    assert requests.erase(stores, "web-mine").tracker_events == 0  # again: nothing left to erase


def test_nothing_is_erased_while_an_agent_has_the_conversation(
    stores: Stores, rasa_store: IncrementalSQLTrackerStore, clock: Clock
) -> None:
    converse(rasa_store, "web-live", ("转人工", clock.now))
    escalations = EscalationStore(stores.database, clock=clock)
    escalations.claim(_open(escalations, "web-live").id, "alice")
    before = requests.export(stores, "web-live", clock.now)

    with pytest.raises(ConversationWithAgent):
        requests.erase(stores, "web-live")

    assert requests.export(stores, "web-live", clock.now) == before
