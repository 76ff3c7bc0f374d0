"""A customer's requests about their data (PIPL art. 45 and 47), carried out by an operator: a copy of
everything we hold about one conversation, and its erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.case_store.personal_data import Erased
from bot.privacy.stores import Stores
from bot.web.transcript import history


@dataclass(frozen=True)
class Erasure:
    conversation_id: str
    tracker_events: int  # deleted from the tracker store
    case_store: Erased


def export(stores: Stores, conversation_id: str, now: datetime) -> dict[str, Any]:
    """Everything held about the conversation, as JSON values: the conversation as the customer saw it,
    the tracker's events as Rasa stored them, its tickets, escalations and webhook events."""
    events = stores.tracker.events_of(conversation_id)
    return {
        "conversation_id": conversation_id,
        "exported_at": now.astimezone(timezone.utc).isoformat(),
        "messages": history(events),
        "tracker_events": events,
        **stores.records.export(conversation_id),
    }


def erase(stores: Stores, conversation_id: str) -> Erasure:
    """Erase the conversation: the case store first (it refuses while an agent has the conversation, and
    then nothing is erased), then every event of it in the tracker store. Safe to run again."""
    erased = stores.records.erase(conversation_id)
    return Erasure(conversation_id, stores.tracker.delete(conversation_id), erased)
