"""Rasa's replies and tracker events, turned into the widget's message items (text only, never HTML)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.text.payloads import GATEWAY_PAYLOADS

MAX_DISPLAY_CHARS = 80


def bot_item(message: dict[str, Any]) -> dict[str, Any] | None:
    """A bot message for the widget from one REST reply or a tracker event's fields."""
    item: dict[str, Any] = {"type": "bot"}
    text = message.get("text")
    if isinstance(text, str) and text:
        item["text"] = text
    buttons = [
        {"title": b["title"], "payload": b["payload"]}
        for b in message.get("buttons") or []
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
    ]
    if buttons:
        item["buttons"] = buttons
    custom = message.get("custom")
    if isinstance(custom, dict):
        item["custom"] = custom
    return item if len(item) > 1 else None


def user_item(text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """A user message as the widget shows it: a button's title rather than its payload."""
    display = metadata.get("display")
    shown = display if isinstance(display, str) and display and text.startswith("/") else text
    client_id = metadata.get("client_id")
    return {"type": "user", "id": client_id if isinstance(client_id, str) else None, "text": shown}


def agent_item(event: dict[str, Any]) -> dict[str, Any]:
    """A support agent's message (a bot event the gateway wrote with metadata from=agent)."""
    name = (event.get("metadata") or {}).get("agent")
    text = event.get("text")
    return {
        "type": "agent",
        "text": text if isinstance(text, str) else "",
        "name": name if isinstance(name, str) else "",
    }


def history(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as the customer saw it, oldest first, from the tracker's events."""
    items: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "user" and isinstance(event.get("text"), str) and event["text"] not in GATEWAY_PAYLOADS:
            items.append(user_item(event["text"], event.get("metadata") or {}))
        elif kind == "bot" and (event.get("metadata") or {}).get("from") == "agent":
            items.append(agent_item(event))
        elif kind == "bot":
            item = bot_item({"text": event.get("text"), **(event.get("data") or {})})
            if item is not None:
                items.append(item)
    return items


def client_ids(events: Iterable[dict[str, Any]]) -> set[str]:
    """The widget's ids of the messages the tracker already holds."""
    return {item["id"] for item in history(events) if item["type"] == "user" and item["id"] is not None}
