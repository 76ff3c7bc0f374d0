"""The complaint form: which slots it needs, how it asks, and its detours."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import slot_failures
from actions.rendering import utter

MAX_MERCHANT_NAME = 60
# A question or a request is not a shop's name, even when the bot just asked for one.
_NOT_A_NAME = {
    "ask_terminal_id_location",
    "ask_why_needed",
    "request_human",
    "ask_ticket_status",
    "cancel",
    "greet",
    "thank",
    "goodbye",
    "bot_challenge",
    "affirm",
    "deny",
    "no_terminal_id",
}
# After this many unusable answers to one question the bot offers help instead of asking again.
HELP_AFTER_FAILURES = 2


class ValidateComplaintForm(FormValidationAction):
    """Asks for the shop's name instead of the terminal ID when the customer has none."""

    def name(self) -> str:
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot("terminal_id_unknown") and not tracker.get_slot("terminal_id"):
            return [("merchant_name" if slot == "terminal_id" else slot) for slot in domain_slots]
        return domain_slots

    async def extract_merchant_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if tracker.get_slot("requested_slot") != "merchant_name" or not text or text.startswith("/"):
            return {}
        if intent in _NOT_A_NAME:
            return {}
        return {"merchant_name": text[:MAX_MERCHANT_NAME]}

    def validate_merchant_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"merchant_name": value if isinstance(value, str) and value.strip() else None}


class _AsksForSlot:
    """Asks for a slot; again more helpfully after a failed answer; offers help after two.

    A mixin, not an Action, so the action server does not register it on its own.
    """

    slot: str

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        failures = slot_failures(tracker).get(self.slot, 0)
        if failures >= HELP_AFTER_FAILURES:
            response = f"utter_help_{self.slot}"
        elif failures:
            response = f"utter_ask_{self.slot}_again"
        else:
            response = f"utter_ask_{self.slot}"
        utter(dispatcher, tracker, domain, response)
        return []


class AskTransactionTime(_AsksForSlot, Action):
    slot = "transaction_time"


class AskAmount(_AsksForSlot, Action):
    slot = "amount"


class AskTerminalId(_AsksForSlot, Action):
    slot = "terminal_id"


class AskMerchantName(_AsksForSlot, Action):
    slot = "merchant_name"


class NotUnderstood(Action):
    """Counts an answer to the form's question that held nothing usable."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if not requested:
            utter(dispatcher, tracker, domain, "utter_default")
            return []
        failures = slot_failures(tracker)
        failures[requested] = failures.get(requested, 0) + 1
        return [SlotSet("slot_failures", failures)]


class NoTerminalId(Action):
    """The customer cannot find the terminal ID: go on with the shop's name."""

    def name(self) -> str:
        return "action_no_terminal_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, tracker, domain, "utter_no_terminal_id_ok")
        events: list[EventType] = [SlotSet("terminal_id_unknown", True)]
        if tracker.get_slot("requested_slot") == "terminal_id":
            events.append(SlotSet("requested_slot", "merchant_name"))
        return events
