"""A customer arrives by a merchant's QR code: greet with the shop's name, and never ask for what
the code already told (the terminal; at the counter, also the amount and the time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import latest_user_metadata, user_timezone
from actions.rendering import utter
from bot.parsing.terminal import parse_terminal_id

# The time a merchant types at the counter is to the minute; the lookup searches around it.
COUNTER_TIME_MARGIN = timedelta(minutes=5)


def _counter_facts(qr: dict[str, Any], zone: ZoneInfo) -> list[EventType]:
    """The amount and time slots of a counter code (the time on the customer's clock), or nothing
    if the code carries none."""
    try:
        amount = Decimal(str(qr["amount"])).quantize(Decimal("0.01"))
        when = datetime.fromisoformat(str(qr["transaction_time"]))
    except (KeyError, InvalidOperation, ValueError):
        return []
    if amount <= 0 or when.tzinfo is None:
        return []
    when = when.astimezone(zone)
    return [
        SlotSet("amount", f"{amount:.2f}"),
        SlotSet("transaction_time", when.isoformat(timespec="minutes")),
        SlotSet("transaction_window_start", (when - COUNTER_TIME_MARGIN).isoformat(timespec="minutes")),
        SlotSet("transaction_window_end", (when + COUNTER_TIME_MARGIN).isoformat(timespec="minutes")),
        SlotSet("transaction_time_exact", True),
    ]


class StartFromQr(Action):
    def name(self) -> str:
        return "action_start_from_qr"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        qr = latest_user_metadata(tracker).get("qr")
        terminal_id = (
            parse_terminal_id(str(qr.get("terminal_id", "")), bare_ok=True) if isinstance(qr, dict) else None
        )
        if not terminal_id:
            # Only the gateway sends /qr_scanned, and only with a verified code; anything else is a
            # plain start of a conversation.
            utter(dispatcher, tracker, domain, "utter_greet")
            return []
        merchant = str(qr.get("merchant_name") or "").strip()[:100]
        events: list[EventType] = [
            SlotSet("terminal_id", terminal_id),
            SlotSet("merchant_name", merchant or None),
        ]
        facts = _counter_facts(qr, user_timezone(tracker)) if qr.get("kind") == "counter" else []
        shop = merchant or terminal_id
        if facts:
            utter(dispatcher, tracker, domain, "utter_greet_from_counter_code", merchant=shop)
            return [*events, *facts, FollowupAction("action_confirm_facts")]
        utter(dispatcher, tracker, domain, "utter_greet_from_terminal_code", merchant=shop)
        return events
