"""Action tests run against the real domain.yml, as the action server receives it from Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return Domain.load(str(ROOT / "domain.yml")).as_dict()


def make_tracker(
    domain: dict[str, Any],
    text: str,
    *,
    slots: dict[str, Any] | None = None,
    intent: str = "give_details",
    active_loop: str | None = None,
    metadata: dict[str, Any] | None = None,
    events_after_user: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest event is the user's message, with the domain's slots."""
    all_slots = {name: None for name in domain["slots"]}
    all_slots.update(slots or {})
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": []},
        "metadata": metadata or {},
    }
    return Tracker(
        sender_id="test",
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
        events=[{"event": "action", "name": "action_listen"}, user_event, *(events_after_user or [])],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
