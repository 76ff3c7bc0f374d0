"""After the read-back: look the payment up, show what was found, conclude the case."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.case_store_outage import answers_when_the_case_store_fails
from actions.conversation import language, time_window, user_timezone
from actions.handoff import hand_off
from actions.rendering import render_text, utter
from bot.decision import Decision
from bot.formatting import format_amount
from bot.lookup import CaseResult, Complaint, LookupResult, LookupService
from bot.merchant_api.models import Transaction
from bot.parsing.card_keys import CardKeys, extract_card_keys
from bot.timelines import format_date

FOUND, CHOOSE, SHARPER_KEY = "found", "choose", "sharper_key"
# After "the payment went through": did the customer get what they paid for?
GOODS = "goods"
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
    return LookupService.from_environment()


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


def _when(moment: datetime, tracker: Tracker) -> str:
    local = moment.astimezone(user_timezone(tracker))
    if language(tracker) == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b} {local:%H:%M}"


def _show_found(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, t: Transaction
) -> None:
    utter(
        dispatcher,
        tracker,
        domain,
        "utter_found_transaction",
        time=_when(t.created_at, tracker),
        amount=format_amount(t.amount),
        card=t.card_last4,
        merchant=t.merchant_name,
    )


def _offer_candidates(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    candidates: tuple[Transaction, ...],
) -> None:
    slots = tracker.current_slot_values()
    card_label = "尾号" if language(tracker) == "zh" else "card ending "
    buttons = [
        {
            "title": f"{_when(t.created_at, tracker)} {format_amount(t.amount)} {card_label}{t.card_last4}",
            # The reply names the card's last 4, the same as a customer typing it would.
            "payload": f"{card_label}{t.card_last4}",
        }
        for t in candidates
    ]
    buttons.append({"title": render_text(domain, "utter_none_of_these", slots), "payload": "/deny"})
    dispatcher.utter_message(text=render_text(domain, "utter_choose_transaction", slots), buttons=buttons)


def present(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, result: LookupResult
) -> list[EventType]:
    """Tell the customer what the lookup found, and what the bot now waits for."""
    if result.decision is None:
        ticket = result.pending_ticket.number if result.pending_ticket else "-"
        utter(dispatcher, tracker, domain, "utter_lookup_unavailable", ticket=ticket)
        return [SlotSet("lookup_stage", None), SlotSet("ticket_number", ticket)]
    decision = result.decision
    if decision.kind == "choose":
        _offer_candidates(dispatcher, tracker, domain, decision.candidates)
        return [SlotSet("lookup_stage", CHOOSE)]
    if decision.kind == "ask_sharper_key":
        utter(dispatcher, tracker, domain, "utter_ask_sharper_key")
        return [SlotSet("lookup_stage", SHARPER_KEY)]
    if decision.transaction is not None:
        _show_found(dispatcher, tracker, domain, decision.transaction)
        return [
            SlotSet("lookup_stage", FOUND),
            SlotSet("found_transaction_id", decision.transaction.transaction_id),
        ]
    return []  # nothing to show: conclude at once (the caller does)


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
        SlotSet("lookup_stage", GOODS if result.outcome == "charge_succeeded" else None),
        SlotSet("ticket_number", result.ticket_number),
        SlotSet("case_outcome", result.outcome),
    ]


async def _look_up_and_present(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, complaint: Complaint
) -> list[EventType]:
    service = lookup_service()
    result = await service.look_up(complaint)
    events = present(dispatcher, tracker, domain, result)
    if result.decision is not None and not events:
        events = await tell_result(
            dispatcher, tracker, domain, await service.conclude(complaint, result.decision)
        )
    return events


async def _look_up_and_conclude(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, complaint: Complaint
) -> list[EventType]:
    """The customer confirmed: decide afresh (the data may have moved) and conclude the case."""
    service = lookup_service()
    result = await service.look_up(complaint)
    if result.decision is None:
        return present(dispatcher, tracker, domain, result)
    return await tell_result(dispatcher, tracker, domain, await service.conclude(complaint, result.decision))


class SubmitComplaint(Action):
    """The customer confirmed the facts: look the payment up."""

    def name(self) -> str:
        return "action_submit_complaint"

    @answers_when_the_case_store_fails(then="action_confirm_facts")
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        utter(dispatcher, tracker, domain, "utter_complaint_received")
        events: list[EventType] = [SlotSet("complaint_confirmed", True)]
        return events + await _look_up_and_present(dispatcher, tracker, domain, complaint_from(tracker))


class ContinueLookup(Action):
    """The customer answered the lookup's question: confirmed, picked a payment, or gave a key."""

    def name(self) -> str:
        return "action_continue_lookup"

    @answers_when_the_case_store_fails()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        stage = tracker.get_slot("lookup_stage")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        keys = extract_card_keys(text, asked=stage in (CHOOSE, SHARPER_KEY))
        key_events = self._key_events(keys)
        service = lookup_service()

        if stage == FOUND and intent == "affirm":
            return await _look_up_and_conclude(dispatcher, tracker, domain, complaint_from(tracker))
        if stage == GOODS and intent == "deny":
            complaint = replace(complaint_from(tracker), got_goods=False)
            return await _look_up_and_conclude(dispatcher, tracker, domain, complaint)
        if stage == GOODS and intent == "affirm":
            utter(dispatcher, tracker, domain, "utter_anything_else")
            return [SlotSet("lookup_stage", None)]
        if stage in (CHOOSE, SHARPER_KEY) and keys.any:
            updated = _with_keys(tracker, keys)
            return key_events + await _look_up_and_present(dispatcher, tracker, domain, updated)
        if stage in (FOUND, CHOOSE, SHARPER_KEY) and intent == "deny":
            # Not the customer's payment, or no sharper key: a person has to dig further.
            complaint = complaint_from(tracker)
            decision = Decision("outcome", "dispute_ticket", None, None, (), "not_found")
            return await tell_result(dispatcher, tracker, domain, await service.conclude(complaint, decision))
        if stage == SHARPER_KEY:
            utter(dispatcher, tracker, domain, "utter_ask_sharper_key")
            return []
        if stage is None:
            utter(dispatcher, tracker, domain, "utter_anything_else")
            return []
        utter(dispatcher, tracker, domain, "utter_default")
        return []

    @staticmethod
    def _key_events(keys: CardKeys) -> list[EventType]:
        return [
            SlotSet(slot, value)
            for slot, value in (
                ("card_last4", keys.card_last4),
                ("rrn", keys.rrn),
                ("voucher_no", keys.voucher_no),
            )
            if value
        ]


def _with_keys(tracker: Tracker, keys: CardKeys) -> Complaint:
    base = complaint_from(tracker)
    return replace(
        base,
        card_last4=keys.card_last4 or base.card_last4,
        rrn=keys.rrn or base.rrn,
        voucher_no=keys.voucher_no or base.voucher_no,
    )
