"""The event class lookup the rasa server uses (bot.rasa_server.event_types) answers every name as
Rasa's own walk over the subclasses does."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

import bot.nlu  # noqa: F401  (what the rasa server imports: it installs the table)
from bot.rasa_server import event_types


def rasas_walk(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa 3.6's `Event.resolve_by_type`, as written there."""
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def test_the_rasa_server_resolves_event_names_through_the_table() -> None:
    assert Event.resolve_by_type is event_types.resolve_by_type


@pytest.mark.parametrize("type_name", sorted({cls.type_name for cls in all_subclasses(Event)}))
def test_every_known_name_gives_the_class_rasas_walk_gives(type_name: str) -> None:
    assert event_types.resolve_by_type(type_name) is rasas_walk(type_name)


def test_unknown_names_are_answered_as_rasa_answers_them() -> None:
    assert event_types.resolve_by_type("topic") is None
    assert event_types.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        event_types.resolve_by_type("no such event")


def test_a_class_defined_after_the_table_was_built_is_found() -> None:
    assert event_types.resolve_by_type("user") is UserUttered  # the table exists now

    class LateEvent(ActionExecuted):
        type_name = "late_event_for_this_test"

    assert event_types.resolve_by_type("late_event_for_this_test") is LateEvent


def test_events_read_back_from_their_dicts_are_the_same_events() -> None:
    events = [UserUttered("hi", {"name": "greet", "confidence": 1.0}), SlotSet("amount", "12.50")]
    assert [Event.from_parameters(event.as_dict()) for event in events] == events
