"""Reading the facts back, taking corrections, and acting once the customer agrees."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import (
    COMPLAINT_SLOTS,
    FACT_SLOTS,
    amount,
    language,
    slots_set_since_user_message,
    time_window,
)
from actions.rendering import render_text, utter
from bot.formatting import format_amount, format_time_window


def confirm_facts(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
    """Read the three facts back with yes/no buttons."""
    slots = tracker.current_slot_values()
    window, charged = time_window(tracker), amount(tracker)
    lang = language(tracker)
    terminal_id = tracker.get_slot("terminal_id")
    label = "utter_place_label_terminal" if terminal_id else "utter_place_label_merchant"
    utter(
        dispatcher,
        tracker,
        domain,
        "utter_confirm_facts",
        time=format_time_window(window, lang) if window else "-",
        amount=format_amount(charged) if charged is not None else "-",
        place_label=render_text(domain, label, slots),
        place=terminal_id or tracker.get_slot("merchant_name") or "-",
    )


class ConfirmFacts(Action):
    def name(self) -> str:
        return "action_confirm_facts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        confirm_facts(dispatcher, tracker, domain)
        return []


class HandleDenial(Action):
    """A "no" to the read-back: re-confirm if it carried the right value, else ask which is wrong."""

    def name(self) -> str:
        return "action_handle_denial"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        corrected = slots_set_since_user_message(tracker) & {*FACT_SLOTS, "merchant_name"}
        if corrected and all(tracker.get_slot(slot) for slot in corrected):
            confirm_facts(dispatcher, tracker, domain)
        else:
            utter(dispatcher, tracker, domain, "utter_ask_which_fact_wrong")
        return []


class CancelComplaint(Action):
    """Stops the complaint and forgets its facts."""

    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, tracker, domain, "utter_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *(SlotSet(slot, None) for slot in COMPLAINT_SLOTS),
        ]
