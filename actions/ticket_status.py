"""A customer names a ticket number: whose it is, the answer to the owner question, and its status
and expected date in their language. What is said when is decided in `bot/dialogue/tickets.py`.

A conversation owns a number it was given (the `ticket_number` slot holds only numbers the bot
gave: the conversation's cases and hand-overs), one opened from it, and one it proved here with
the payment's amount and the card's last 4 digits. Nothing here sets a slot: a number asked about
never becomes the conversation's case, so a hand-over never binds it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import language
from actions.lookup import lookup_service
from actions.rendering import render_text, utter
from bot.case_store import CaseStore, TicketNumber, parse_number
from bot.case_store.ticket_numbers import find_number
from bot.dialogue.state import TicketChecks
from bot.dialogue.tickets import OwnerProof, TicketClaim
from bot.parsing.normalize import normalize
from bot.parsing.owner_answer import OwnerAnswer, read_owner_answer
from bot.text.formatting import format_date


@dataclass(frozen=True)
class TicketQuestion:
    """What a message says about tickets, as the dialogue policy takes it."""

    number: str | None = None  # a number it names
    claim: TicketClaim = "unproven"
    proof: OwnerProof | None = None  # both facts given after the owner question: do they match?
    answering: bool = False  # it answers the owner question (with one fact or both): no complaint facts


NO_QUESTION = TicketQuestion()


def case_store() -> CaseStore:
    """The lookup service's store: one database engine per action server process."""
    return lookup_service().store


async def read_ticket_question(
    tracker: Tracker, text: str, checks: TicketChecks, intent: str
) -> TicketQuestion:
    """The number a message names and whose it is, or its answer to an open owner question."""
    typed = find_number(normalize(text))
    if typed is not None:
        return await asyncio.to_thread(_named, case_store(), tracker, typed, checks)
    if checks.pending is None:
        return NO_QUESTION
    answer = read_owner_answer(text)
    if answer.complete:
        matches = await asyncio.to_thread(_proves, case_store(), checks.pending, answer)
        return TicketQuestion(proof="match" if matches else "mismatch", answering=True)
    if intent == "report_failed_payment":
        return NO_QUESTION  # a complaint instead: the question is dropped, its facts are read
    return TicketQuestion(answering=answer.amount is not None or answer.card_last4 is not None)


async def tell_ticket_status(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, number: str
) -> None:
    """Tell the status and expected date of a ticket the conversation owns."""
    ticket = await asyncio.to_thread(case_store().get, number, follow_merges=True)
    if ticket is None:
        # Only for the conversation's own number: a ticket it was given that is gone (deleted).
        utter(dispatcher, tracker, domain, "utter_ticket_not_found", ticket=number)
        return
    slots = tracker.current_slot_values()
    expected = (
        render_text(
            domain,
            "utter_ticket_expected",
            slots,
            date=format_date(ticket.expected_by, language(tracker)),
        )
        if ticket.expected_by
        else ""
    )
    status = render_text(domain, f"utter_status_{ticket.status}", slots)
    utter(
        dispatcher,
        tracker,
        domain,
        "utter_ticket_status",
        ticket=ticket.number,
        status=status,
        expected=expected,
    )


def _named(store: CaseStore, tracker: Tracker, typed: str, checks: TicketChecks) -> TicketQuestion:
    number = parse_number(typed)
    if number is None:  # the wrong check letter: a typo or a guess, never looked up
        return TicketQuestion(typed.upper(), "malformed")
    if _owns(store, tracker, number, checks):
        return TicketQuestion(str(number), "own")
    if not number.checked:
        # From before check letters: answered only where it was given (see the module's docstring).
        return TicketQuestion(str(number), "malformed")
    return TicketQuestion(str(number), "unproven")


def _owns(store: CaseStore, tracker: Tracker, number: TicketNumber, checks: TicketChecks) -> bool:
    if any(parse_number(known) == number for known in (*_given_numbers(tracker), *checks.proven)):
        return True
    ticket = store.get(str(number))
    return ticket is not None and ticket.conversation_id == tracker.sender_id


def _given_numbers(tracker: Tracker) -> list[str]:
    """Every number the bot gave this conversation (what its `ticket_number` slot ever held)."""
    numbers = [
        event["value"]
        for event in tracker.events
        if event.get("event") == "slot" and event.get("name") == "ticket_number" and event.get("value")
    ]
    current = tracker.get_slot("ticket_number")
    return [*numbers, current] if current else numbers


def _proves(store: CaseStore, number: str, answer: OwnerAnswer) -> bool:
    """Whether the answer holds the ticket's own amount and card ending (False for no such ticket)."""
    ticket = store.get(number)
    if ticket is None or ticket.amount is None or ticket.card_last4 is None:
        return False
    return ticket.amount == answer.amount and ticket.card_last4 == answer.card_last4
