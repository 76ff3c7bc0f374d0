"""The rasa server's lookup of an event class by its type name, with the table built once.

Rasa 3.6's `Event.resolve_by_type` walks every subclass of `Event` (with an `inspect.isabstract` test
for each) on every call, and it is called for every event of every tracker loaded from the tracker
store and of every action server response: a sampling profile under load put it at 3% of the rasa
server's time. `install()` replaces it with a table from type name to class, built from the same walk,
in the same order (the first class with a name wins, as in Rasa's loop). A name not in the table
walks again, so an event class imported after the table was built is still found; then Rasa's
answers for unknown names apply: None for the old "topic", the default if given, else ValueError.
"""

from __future__ import annotations

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_by_type: dict[str, type[Event]] = {}


def _table() -> dict[str, type[Event]]:
    table: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type`, from the table."""
    global _by_type
    found = _by_type.get(type_name)
    if found is None:
        _by_type = _table()
        found = _by_type.get(type_name)
    if found is not None:
        return found
    if type_name == "topic":
        return None  # as Rasa: old TopicSet events are skipped
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install() -> None:
    """Use the table in this process's rasa server."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
