"""Conversations written into the tracker store as a rasa server writes them, at chosen times."""

from __future__ import annotations

import asyncio
from datetime import datetime

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
responses:
  utter_ask: [{text: "how much?"}]
"""
)


def turn(text: str, at: datetime) -> list[Event]:
    """One message and the bot's answer."""
    t = at.timestamp()
    return [
        UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=t),
        ActionExecuted("action_turn", timestamp=t + 0.1),
        BotUttered(f"收到：{text}", timestamp=t + 0.2),
        ActionExecuted("action_listen", timestamp=t + 0.3),
    ]


def converse(store: TrackerStore, sender: str, *messages: tuple[str, datetime]) -> None:
    """A conversation with these messages, each at its time, saved turn by turn."""

    async def run() -> None:
        for text, at in messages:
            tracker = await store.retrieve(sender)
            if tracker is None:
                start = at.timestamp() - 1
                tracker = DialogueStateTracker.from_events(sender, [], DOMAIN.slots)
                tracker.update(ActionExecuted("action_session_start", timestamp=start))
                tracker.update(SessionStarted(timestamp=start))
                tracker.update(ActionExecuted("action_listen", timestamp=start))
            for event in turn(text, at):
                tracker.update(event)
            await store.save(tracker)

    asyncio.run(run())
