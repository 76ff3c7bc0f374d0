"""The lookup service of the action server, the complaint a conversation holds, and telling an outcome."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_database import case_database
from actions.conversation import language, time_window
from actions.handoff import hand_off
from actions.rendering import utter
from bot.lookup.complaint import CaseResult, Complaint
from bot.lookup.service import LookupService
from bot.text.formatting import format_date

_OUTCOME_RESPONSE = {
    "no_charge": "utter_outcome_no_charge",
    "reversal_in_progress": "utter_outcome_reversal_in_progress",
    "refund_ticket": "utter_outcome_refund_ticket",
    "dispute_ticket": "utter_outcome_dispute_ticket",
    "charge_succeeded": "utter_outcome_charge_succeeded",
    "escalated": "utter_outcome_escalated",
}
# Outcomes where money is still on its way: the customer gets the do's and don'ts.
_MONEY_OUTCOMES = {"reversal_in_progress", "refund_ticket", "dispute_ticket", "escalated"}


@lru_cache(maxsize=1)
def lookup_service() -> LookupService:
    """One service (HTTP client, database engine) per action server process, made on first use."""
    return LookupService.configured(case_database())


def complaint_from(tracker: Tracker) -> Complaint:
    """What the conversation collected, in the shape the lookup takes."""
    window = time_window(tracker)
    if window is None:
        raise ValueError("the complaint has no transaction time")
    return Complaint(
        conversation_id=tracker.sender_id,
        language=language(tracker),
        window_start=window.start,
        window_end=window.end,
        amount=Decimal(tracker.get_slot("amount")),
        terminal_id=tracker.get_slot("terminal_id"),
        merchant_name=tracker.get_slot("merchant_name"),
        card_last4=tracker.get_slot("card_last4"),
        rrn=tracker.get_slot("rrn"),
        voucher_no=tracker.get_slot("voucher_no"),
    )


# Why the decision brings in a person, said before the hand-over itself.
_WHY_A_PERSON = {"window_passed": "utter_escalated_overdue", "over_limit": "utter_escalated_over_limit"}


async def tell_result(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, result: CaseResult
) -> list[EventType]:
    """The outcome in words, the contract's case_result payload, and what to do meanwhile. A case the
    policy escalates also joins the support queue, with its ticket."""
    lang = language(tracker)
    response = (
        "utter_outcome_duplicate"
        if result.reason == "duplicate" and result.outcome == "refund_ticket"
        else (_OUTCOME_RESPONSE[result.outcome])
    )
    date = format_date(result.expected_by, lang) if result.expected_by else "-"
    if result.outcome == "escalated" and result.reason in _WHY_A_PERSON:
        utter(dispatcher, tracker, domain, _WHY_A_PERSON[result.reason])
    utter(dispatcher, tracker, domain, response, ticket=result.ticket_number or "-", date=date)
    dispatcher.utter_message(json_message=result.payload())
    if result.outcome == "escalated":
        transaction = result.transaction
        await hand_off(
            tracker,
            "policy",
            ticket_number=result.ticket_number,
            outcome=result.outcome,
            transaction_id=transaction.transaction_id if transaction else None,
            card_last4=transaction.card_last4 if transaction else None,
        )
    if result.outcome in _MONEY_OUTCOMES:
        utter(dispatcher, tracker, domain, "utter_what_to_do_meanwhile")
    return [
        SlotSet("ticket_number", result.ticket_number),
        SlotSet("case_outcome", result.outcome),
    ]
