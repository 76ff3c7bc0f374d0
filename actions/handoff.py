"""Handing the conversation to a person: on the customer's request, or when the policy says so."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_database import case_database
from actions.conversation import amount, language, time_window
from actions.rendering import utter
from bot import config
from bot.case_store import CaseStoreError
from bot.dialogue.state import CaseState
from bot.handoff.service import Handoff, HandoffService
from bot.handoff.summary import HandoffFacts, Reason
from bot.text.formatting import format_date


@lru_cache(maxsize=1)
def handoff_service() -> HandoffService:
    """One service (database engines) per action server process, made on first use."""
    return HandoffService.configured(case_database())


def handoff_facts(tracker: Tracker, reason: Reason) -> HandoffFacts:
    return HandoffFacts(
        reason=reason,
        customer_language=language(tracker),
        window=time_window(tracker),
        amount=amount(tracker),
        terminal_id=tracker.get_slot("terminal_id"),
        merchant_name=tracker.get_slot("merchant_name"),
        transaction_id=tracker.get_slot("found_transaction_id"),
        outcome=tracker.get_slot("case_outcome"),
        ticket_number=tracker.get_slot("ticket_number"),
    )


async def hand_off(tracker: Tracker, reason: Reason, **known: str | None) -> Handoff:
    """Queue the conversation for a person; `known` overrides facts the tracker does not hold yet."""
    facts = replace(handoff_facts(tracker, reason), **known)
    now = datetime.now(timezone.utc)
    return await asyncio.to_thread(handoff_service().hand_off, tracker.sender_id, facts, now)


def when_people_answer(handoff: Handoff, lang: str) -> str:
    opening = handoff.next_opening
    return f"{format_date(opening.date(), lang)} {opening:%H:%M}"


def urgent_line(lang: str) -> str:
    phone = config.text("SUPPORT_PHONE")
    if not phone:
        return ""
    return f"急事也可以拨打 {phone}。" if lang == "zh" else f" If it is urgent, call {phone}."


async def tell_handed_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, reason: Reason
) -> list[EventType]:
    """Queue the case for a person, say what happens next, and end the bot's part of the case."""
    handoff = await hand_off(tracker, reason)
    lang = language(tracker)
    response = "utter_handoff" if handoff.open_now else "utter_handoff_after_hours"
    utter(
        dispatcher,
        tracker,
        domain,
        response,
        ticket=handoff.ticket_number,
        opens=when_people_answer(handoff, lang),
        urgent=urgent_line(lang),
    )
    dispatcher.utter_message(
        json_message={
            "type": "case_result",
            "outcome": "escalated",
            "ticket_id": handoff.ticket_number,
            "transaction_id": tracker.get_slot("found_transaction_id"),
            "expected_by": None,
        }
    )
    return [
        SlotSet("case_outcome", "escalated"),
        SlotSet("ticket_number", handoff.ticket_number),
    ]


async def stays_open(number: str) -> bool:
    """Whether the ticket still needs work, so that the bot may say it stays open. A ticket the agent
    settled (resolved, closed, cancelled) does not; one the store cannot tell about now is taken to
    stay open, as most do."""
    try:
        ticket = await asyncio.to_thread(handoff_service().cases.get, number, follow_merges=True)
    except CaseStoreError:
        return True
    return ticket is None or ticket.is_active


class BackToBot(Action):
    """The agent gave the conversation back: the bot says it is here again, and what stays open."""

    def name(self) -> str:
        return "action_back_to_bot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket = tracker.get_slot("ticket_number")
        if ticket and await stays_open(ticket):
            utter(dispatcher, tracker, domain, "utter_back_to_bot", ticket=ticket)
        else:
            utter(dispatcher, tracker, domain, "utter_back_to_bot_no_ticket")
        # Back in follow-up mode: the case stays as the agent left it until the customer starts another.
        state = CaseState.from_slot(tracker.get_slot("dialogue")).new_case(stage="done")
        return [SlotSet("case_outcome", None), SlotSet("dialogue", state.to_slot())]
