"""Sends the domain's responses in the conversation's language.

Rasa's NLG picks a response variation from the slots as they were before the running action;
the language slot may change in that same action (the user switched language), so actions
render the variation themselves from the domain they were sent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class _KeepUnknown(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _matches(variation: dict[str, Any], slots: dict[str, Any]) -> bool:
    return all(
        slots.get(condition["name"]) == condition["value"]
        for condition in variation.get("condition", [])
        if condition.get("type") == "slot"
    )


def choose_variation(domain: DomainDict, name: str, slots: dict[str, Any]) -> dict[str, Any]:
    """The first variation whose conditions all hold, as Rasa's NLG chooses."""
    variations = domain["responses"][name]
    conditional = [v for v in variations if v.get("condition")]
    for variation in conditional:
        if _matches(variation, slots):
            return variation
    return next(v for v in variations if not v.get("condition"))


def render_text(domain: DomainDict, name: str, slots: dict[str, Any], **values: Any) -> str:
    """A response's text with its placeholders filled."""
    return choose_variation(domain, name, slots)["text"].format_map(_KeepUnknown(values))


def said_since_user_message(tracker: Tracker, text: str) -> bool:
    """True when the bot already said this text after the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and event.get("text") == text:
            return True
    return False


def utter(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    name: str,
    slot_updates: dict[str, Any] | None = None,
    **values: Any,
) -> None:
    """Send a domain response, choosing its variation with the slots as this action leaves them."""
    slots = {**tracker.current_slot_values(), **(slot_updates or {})}
    variation = choose_variation(domain, name, slots)
    text = variation["text"].format_map(_KeepUnknown(values))
    if said_since_user_message(tracker, text):
        return
    dispatcher.utter_message(text=text, buttons=variation.get("buttons", []))
