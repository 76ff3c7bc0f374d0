"""Reads every fact a message states, after each user message, inside or outside the form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.conversation import (
    latest_user_metadata,
    slot_failures,
    slots_set_since_user_message,
    user_now,
    user_timezone,
)
from actions.rendering import utter
from bot.config import settings
from bot.formatting import format_amount, format_time_window
from bot.language import LANGUAGES, detect_language
from bot.parsing.facts import Facts, extract_facts
from bot.validation import check_amount, check_terminal_id, check_transaction_time

FORM_NAME = "complaint_form"


class ExtractFacts(ValidationAction):
    """Fills language, time, amount and terminal ID from the latest message, and checks them."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # Rasa runs slot extraction a second time when a form activates; the first run has
        # already read this message.
        if "language" in slots_set_since_user_message(tracker):
            return []

        metadata = latest_user_metadata(tracker)
        text = tracker.latest_message.get("text") or ""
        language = self._language(text, tracker, metadata)
        events: list[EventType] = [
            SlotSet("language", language),
            SlotSet("timezone", str(user_timezone(tracker))),
        ]
        slots: dict[str, Any] = {"language": language}

        if metadata.get("redacted"):
            utter(dispatcher, tracker, domain, "utter_redacted_warning", slots)

        if text.startswith("/"):
            return events  # a button payload carries no facts

        requested = tracker.get_slot("requested_slot") if tracker.active_loop_name == FORM_NAME else None
        now = user_now(tracker)
        facts = extract_facts(text, now, requested)
        failures = slot_failures(tracker)
        events += self._fact_events(facts, now, tracker, domain, dispatcher, slots, failures)
        if failures != slot_failures(tracker):
            events.append(SlotSet("slot_failures", failures))
        return events

    @staticmethod
    def _language(text: str, tracker: Tracker, metadata: dict[str, Any]) -> str:
        hinted = metadata.get("language")
        # A language the user picked in the widget outranks the conversation's so far; the
        # browser's language is only a guess, used when nothing else tells.
        if metadata.get("language_chosen") is True:
            order = (detect_language(text), hinted, tracker.get_slot("language"))
        else:
            order = (detect_language(text), tracker.get_slot("language"), hinted)
        for candidate in order:
            if candidate in LANGUAGES:
                return candidate
        return settings().default_language

    def _fact_events(
        self,
        facts: Facts,
        now: Any,
        tracker: Tracker,
        domain: DomainDict,
        dispatcher: CollectingDispatcher,
        slots: dict[str, Any],
        failures: dict[str, int],
    ) -> list[EventType]:
        policy = settings().policy
        language = slots["language"]
        events: list[EventType] = []

        def accept(slot: str, value: Any, shown: str, extra: list[EventType]) -> None:
            previous = tracker.get_slot(slot)
            if previous is not None and previous != value:
                utter(
                    dispatcher, tracker, domain, f"utter_updated_{slot}", slots, **{_PLACEHOLDER[slot]: shown}
                )
            events.extend([SlotSet(slot, value), *extra])
            failures[slot] = 0

        def reject(slot: str, reason: str, **values: Any) -> None:
            utter(dispatcher, tracker, domain, f"utter_invalid_{reason}", slots, **values)
            events.append(SlotSet(slot, None))
            failures[slot] = failures.get(slot, 0) + 1

        if facts.transaction_time is not None:
            window = facts.transaction_time
            shown = format_time_window(window, language)
            reason = check_transaction_time(window, now, policy.max_transaction_age_days)
            if reason:
                reject("transaction_time", reason, time=shown, max_days=policy.max_transaction_age_days)
            else:
                accept(
                    "transaction_time",
                    window.point.isoformat(timespec="minutes"),
                    shown,
                    [
                        SlotSet("transaction_window_start", window.start.isoformat(timespec="minutes")),
                        SlotSet("transaction_window_end", window.end.isoformat(timespec="minutes")),
                        SlotSet("transaction_time_exact", window.exact),
                    ],
                )
        if facts.amount is not None:
            # Banking apps show a debit as "-23.80": the customer means 23.80 was taken.
            charged = abs(facts.amount)
            shown = format_amount(charged)
            reason = check_amount(charged, policy.max_amount)
            if reason:
                reject("amount", reason, amount=shown, limit=format_amount(policy.max_amount))
            else:
                accept("amount", f"{charged:.2f}", shown, [])
        if facts.terminal_id is not None:
            reason = check_terminal_id(facts.terminal_id)
            if reason:
                reject("terminal_id", reason, terminal_id=facts.terminal_id[:40])
            else:
                accept("terminal_id", facts.terminal_id, facts.terminal_id, [])
        return events


_PLACEHOLDER = {"transaction_time": "time", "amount": "amount", "terminal_id": "terminal_id"}
