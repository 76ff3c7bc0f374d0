"""What one turn of the bot says and sets, with the conversation's slots as they change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import user_timezone
from actions.rendering import utter
from bot.dialogue.policy import Known


@dataclass
class Reply:
    """What this action says and sets; slot changes are visible at once to everything after them."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict
    events: list[EventType] = field(default_factory=list)

    def set(self, slot: str, value: Any) -> None:
        current = self.tracker.get_slot(slot)
        if type(current) is type(value) and current == value:
            return  # an event that changes nothing costs the rasa server and the tracker store
        self.events.append(SlotSet(slot, value))
        self.tracker.slots[slot] = value

    def say(self, response: str, **values: Any) -> None:
        utter(self.dispatcher, self.tracker, self.domain, response, **values)

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def known(self) -> Known:
        """Which facts the conversation holds, as the dialogue policy asks."""
        return Known(
            transaction_time=bool(self.slot("transaction_window_start")),
            amount=bool(self.slot("amount")),
            terminal_id=bool(self.slot("terminal_id")),
            merchant_name=bool(self.slot("merchant_name")),
            card_last4=bool(self.slot("card_last4") or self.slot("rrn") or self.slot("voucher_no")),
        )

    def when(self, moment: datetime) -> str:
        """A moment in the customer's time zone and language: "11月26日 14:05", "26 Nov 14:05"."""
        local = moment.astimezone(user_timezone(self.tracker))
        if self.slot("language") == "zh":
            return f"{local.month}月{local.day}日 {local:%H:%M}"
        return f"{local.day} {local:%b} {local:%H:%M}"
