"""What the actions read from a conversation: language, the user's clock, facts collected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa_sdk import Tracker

from bot.config import settings
from bot.parsing.time import TimeWindow

FACT_SLOTS = ("transaction_time", "amount", "terminal_id")
# What a case found and opened; a new case starts without them.
CASE_SLOTS = ("found_transaction_id", "case_outcome", "ticket_number", "expected_by")
COMPLAINT_SLOTS = (
    *FACT_SLOTS,
    "transaction_window_start",
    "transaction_window_end",
    "transaction_time_exact",
    "merchant_name",
    *CASE_SLOTS,
)


def latest_user_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the channel attached to the latest user message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def user_timezone(tracker: Tracker) -> ZoneInfo:
    """The zone the user's times are read in: the client's, else the default."""
    for candidate in (latest_user_metadata(tracker).get("timezone"), tracker.get_slot("timezone")):
        if isinstance(candidate, str) and candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return settings().default_timezone


def user_now(tracker: Tracker) -> datetime:
    """Now, on the user's clock."""
    return datetime.now(user_timezone(tracker))


def language(tracker: Tracker) -> str:
    """The language the bot answers in."""
    return tracker.get_slot("language") or settings().default_language


def time_window(tracker: Tracker) -> TimeWindow | None:
    """The transaction time window the conversation holds."""
    start, end = tracker.get_slot("transaction_window_start"), tracker.get_slot("transaction_window_end")
    if not start or not end:
        return None
    return TimeWindow(
        start=datetime.fromisoformat(start),
        end=datetime.fromisoformat(end),
        exact=bool(tracker.get_slot("transaction_time_exact")),
    )


def amount(tracker: Tracker) -> Decimal | None:
    """The amount the conversation holds."""
    value = tracker.get_slot("amount")
    return Decimal(value) if value else None
