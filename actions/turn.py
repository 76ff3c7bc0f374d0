"""The one action that answers every customer message.

It reads the message (language, facts, signals), asks `bot.dialogue.policy` what happens next, and
carries the steps out: questions, the lookup, the outcome, a hand-over. Every decision about the
conversation is the policy's; this module only does the I/O around it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import lookup as lookup_actions
from actions import presenting
from actions.case_store_outage import answers_when_the_case_store_fails
from actions.conversation import CASE_SLOTS, COMPLAINT_SLOTS, latest_user_metadata, user_now, user_timezone
from actions.handoff import tell_handed_off
from actions.qr import qr_fact_slots
from actions.reply import Reply
from actions.ticket_status import NO_QUESTION, read_ticket_question, tell_ticket_status
from bot.config import settings
from bot.dialogue.policy import Plan, Step, Turn, after_lookup, next_steps
from bot.dialogue.signals import Signals, read_signals
from bot.dialogue.state import CaseState
from bot.parsing.card_keys import extract_card_keys
from bot.parsing.facts import extract_facts
from bot.parsing.shop_names import MAX_NAME, could_be_a_name, find_shop_name
from bot.parsing.validation import AMOUNT_OVER_LIMIT, check_amount, check_terminal_id, check_transaction_time
from bot.text.formatting import format_amount, format_date, format_time_window
from bot.text.language import LANGUAGES, detect_language

DIALOGUE_SLOT = "dialogue"
# Intents that are not a shop's name, even when the bot just asked for one.
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
_PLACEHOLDER = {"transaction_time": "time", "amount": "amount", "terminal_id": "terminal_id"}
_ASK = {
    "transaction_time": "utter_ask_transaction_time",
    "amount": "utter_ask_amount",
    "terminal_id": "utter_ask_terminal_id",
    "merchant_name": "utter_ask_merchant_name",
    "card_last4": "utter_ask_card_last4",
    "goods": "utter_ask_goods",
    "confirm_amount": "utter_ask_confirm_amount",
}
_HELP = {
    "transaction_time": "utter_help_transaction_time",
    "amount": "utter_help_amount",
    "terminal_id": "utter_help_terminal_id",
    "merchant_name": "utter_help_merchant_name",
    "card_last4": "utter_ask_card_last4_again",
    "goods": "utter_ask_goods",
    "confirm_amount": "utter_ask_confirm_amount",
}


class TakeTurn(Action):
    def name(self) -> str:
        return "action_turn"

    @answers_when_the_case_store_fails()
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reply = Reply(dispatcher, tracker, domain)
        metadata = latest_user_metadata(tracker)
        text = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or "nlu_fallback"
        payload = text if text.startswith("/") else None
        state = CaseState.from_slot(tracker.get_slot(DIALOGUE_SLOT))

        reply.set("language", _language(text, tracker, metadata))
        reply.set("timezone", str(user_timezone(tracker)))
        if metadata.get("redacted"):
            reply.say("utter_redacted_warning")

        shop = None
        if payload == "/qr_scanned" or _first_message(tracker):
            # Contract 6: a verified code on the first message, whatever that message is.
            shop = _start_from_code(reply, metadata.get("qr"))
        if shop is not None and reply.slot("amount"):
            paid = datetime.fromisoformat(reply.slot("transaction_time"))
            reply.say(
                "utter_greet_from_counter_code",
                merchant=shop,
                amount=format_amount(Decimal(reply.slot("amount"))),
                time=reply.when(paid),
            )
        elif shop is not None:
            reply.say("utter_greet_from_terminal_code", merchant=shop)
        if payload == "/qr_scanned":
            # Only the gateway sends it; without a usable code it is a plain start of a conversation.
            intent, payload = ("qr_scanned", None) if shop is not None else ("greet", None)

        signals = read_signals(text)
        typed = not text.startswith("/")
        about_ticket = (
            await read_ticket_question(reply.tracker, text, state.tickets, intent) if typed else NO_QUESTION
        )
        # An answer to the owner question (amount and card ending) is no fact of the complaint.
        reading = typed and not about_ticket.answering
        gave, rejected = _read_facts(reply, text, state, signals, intent) if reading else (set(), set())
        turn = Turn(
            intent=intent,
            signals=signals,
            gave=frozenset(gave),
            rejected=frozenset(rejected),
            ticket_number=about_ticket.number,
            ticket_claim=about_ticket.claim,
            owner_proof=about_ticket.proof,
            payload=payload,
        )
        plan = next_steps(state, reply.known(), turn)
        await _carry_out(reply, plan, turn)
        return reply.events


# --- reading the message ----------------------------------------------------------------------------


def _language(text: str, tracker: Tracker, metadata: dict[str, Any]) -> str:
    previous = tracker.get_slot("language")
    hinted = metadata.get("language")
    if metadata.get("language_chosen") is True and hinted in LANGUAGES:
        # A language the user picked in the widget outranks the conversation's so far.
        previous = hinted
    detected = detect_language(text, previous if previous in LANGUAGES else None)
    for candidate in (detected, previous, hinted):
        if candidate in LANGUAGES:
            return candidate
    return settings().default_language


def _first_message(tracker: Tracker) -> bool:
    return sum(1 for event in tracker.events if event.get("event") == "user") <= 1


def _start_from_code(reply: Reply, qr: dict[str, Any]) -> str | None:
    """Take what a verified QR code tells (contract 6); the shop's name to greet with, or None."""
    slots = qr_fact_slots(qr, user_timezone(reply.tracker))
    if not slots:
        return None
    for slot, value in slots.items():
        reply.set(slot, value)
    return slots.get("merchant_name") or slots["terminal_id"]


def _read_facts(
    reply: Reply, text: str, state: CaseState, signals: Signals, intent: str
) -> tuple[set[str], set[str]]:
    """Fill the fact slots this message states; returns the facts given and those refused."""
    if state.stage in ("done", "handed_off") and not (
        signals.corrects or signals.another_payment or intent == "report_failed_payment"
    ):
        # After the outcome a number or a date is part of a question ("要等四个月？？就几十块钱"),
        # not a new fact: the case stays as it was told.
        return set(), set()
    tracker = reply.tracker
    now = user_now(tracker)
    pending = state.pending_question if state.stage == "collecting" else None
    amount_wanted = not reply.slot("amount") and pending not in ("card_last4", "terminal_id", "ticket_number")
    facts = extract_facts(
        text, now, pending if pending in _PLACEHOLDER else None, amount_wanted=amount_wanted
    )
    policy = settings().policy
    language = reply.slot("language")
    gave: set[str] = set()
    rejected: set[str] = set()
    collecting = state.stage == "collecting"

    def accept(slot: str, value: Any, shown: str) -> None:
        previous = reply.slot(slot)
        if collecting and previous is not None and previous != value:
            reply.say(f"utter_updated_{slot}", **{_PLACEHOLDER[slot]: shown})
        reply.set(slot, value)
        gave.add(slot)

    def refuse(slot: str, reason: str, **values: Any) -> None:
        reply.say(f"utter_invalid_{reason}", **values)
        rejected.add(slot)

    if facts.transaction_time is not None:
        window = facts.transaction_time
        shown = format_time_window(window, language)
        reason = check_transaction_time(window, now, policy.max_transaction_age_days)
        if reason:
            refuse("transaction_time", reason, time=shown, max_days=policy.max_transaction_age_days)
        else:
            accept("transaction_time", window.point.isoformat(timespec="minutes"), shown)
            reply.set("transaction_window_start", window.start.isoformat(timespec="minutes"))
            reply.set("transaction_window_end", window.end.isoformat(timespec="minutes"))
            reply.set("transaction_time_exact", window.exact)
    if facts.amount is not None:
        # Banking apps show a debit as "-23.80": the customer means 23.80 was taken.
        charged = abs(facts.amount)
        reason = check_amount(charged, policy.max_amount)
        # Above the operator's limit the amount is still the customer's fact: the decision hands any
        # ticket for it to a person, and it is never asked for again.
        if reason and reason != AMOUNT_OVER_LIMIT:
            refuse("amount", reason, amount=format_amount(charged), limit=format_amount(policy.max_amount))
        else:
            accept("amount", f"{charged:.2f}", format_amount(charged))
    if facts.terminal_id is not None:
        reason = check_terminal_id(facts.terminal_id)
        if reason:
            refuse("terminal_id", reason, terminal_id=facts.terminal_id[:40])
        else:
            accept("terminal_id", facts.terminal_id, facts.terminal_id)

    shop = find_shop_name(text)
    if (
        pending in ("terminal_id", "merchant_name")
        and not gave
        and not rejected
        and not signals.says_unknown
        and not signals.wants_person
        and intent not in _NOT_A_NAME
        and could_be_a_name(text)
    ):
        shop = text.strip()[:MAX_NAME]  # the answer to "which shop?" is the name
    if (
        shop
        and "terminal_id" not in gave
        and (not reply.slot("merchant_name") or shop != reply.slot("merchant_name"))
    ):
        reply.set("merchant_name", shop)
        gave.add("merchant_name")

    keys = extract_card_keys(text, asked=state.pending_question == "card_last4")
    for slot, value in (("card_last4", keys.card_last4), ("rrn", keys.rrn), ("voucher_no", keys.voucher_no)):
        if value:
            reply.set(slot, value)
            gave.add("card_last4")
    return gave, rejected


# --- carrying the steps out -------------------------------------------------------------------------


async def _carry_out(reply: Reply, plan: Plan, turn: Turn) -> None:
    state = plan.state
    for step in plan.steps:
        state = await _step(reply, state, step, turn)
    if state.stage == "done" and reply.slot("case_outcome") == "escalated":
        # The decision brought in a person: the case is theirs, and its case_result was sent.
        state = replace(state, stage="handed_off")
    reply.set(DIALOGUE_SLOT, state.to_slot())


async def _step(reply: Reply, state: CaseState, step: Step, turn: Turn) -> CaseState:
    kind = step.kind
    if kind == "say":
        assert step.detail is not None
        reply.say(step.detail)
    elif kind == "ask":
        assert step.detail is not None
        again = state.times_asked(step.detail) > 1
        reply.say((_HELP if again else _ASK)[step.detail])
    elif kind == "hand_off":
        for event in await tell_handed_off(
            reply.dispatcher, reply.tracker, reply.domain, step.detail or "policy"
        ):
            if isinstance(event, dict) and event.get("event") == "slot":
                reply.set(event["name"], event["value"])
            else:
                reply.events.append(event)
    elif kind == "ticket_status":
        assert step.detail is not None
        await tell_ticket_status(reply.dispatcher, reply.tracker, reply.domain, step.detail)
    elif kind == "ask_owner":
        # The same words whether or not a ticket has that number: nothing to learn from them.
        again = state.tickets.asked > 1
        reply.say("utter_ask_ticket_owner_again" if again else "utter_ask_ticket_owner", ticket=step.detail)
    elif kind == "cancel":
        reply.say("utter_cancelled")
        for slot in (*COMPLAINT_SLOTS, "card_last4", "rrn", "voucher_no"):
            reply.set(slot, None)
    elif kind == "accept_offered_amount":
        if state.offered_amount:
            reply.set("amount", state.offered_amount)
    elif kind == "start_over":
        _start_over(reply, turn, keep_facts=step.detail == "keep_facts")
    elif kind == "follow_up":
        await _follow_up(reply, upset=step.detail == "upset")
    elif kind == "look_up":
        return await _look_up(reply, state, turn)
    elif kind == "conclude":
        return await presenting.conclude(reply, state)
    elif kind == "not_found":
        return await presenting.not_found(reply, state)
    return state


_FACT_SLOTS = {
    "transaction_time": ("transaction_time", "transaction_window_start", "transaction_window_end"),
    "amount": ("amount",),
    "terminal_id": ("terminal_id",),
    "merchant_name": ("merchant_name",),
    "card_last4": ("card_last4", "rrn", "voucher_no"),
}


def _start_over(reply: Reply, turn: Turn, *, keep_facts: bool) -> None:
    """Another payment (or a corrected one): a new case; the finished one keeps its ticket. The facts
    this message gave stay; the others stay too only for a correction."""
    for slot in CASE_SLOTS:
        reply.set(slot, None)
    if keep_facts:
        return
    for fact, slots in _FACT_SLOTS.items():
        if fact not in turn.gave:
            for slot in slots:
                reply.set(slot, None)


async def _look_up(reply: Reply, state: CaseState, turn: Turn) -> CaseState:
    reply.say("utter_complaint_received")
    complaint = presenting.complaint_for(reply, state)
    result = await lookup_actions.lookup_service().look_up(complaint)
    kind = await presenting.present(reply, state, complaint, result)
    if kind == "confirm_amount" and result.decision is not None and result.decision.transaction is not None:
        state = replace(state, offered_amount=f"{result.decision.transaction.amount:.2f}")
    plan = after_lookup(state, reply.known(), kind)
    state = plan.state
    for step in plan.steps:
        state = await _step(reply, state, step, turn)
    return state


async def _follow_up(reply: Reply, *, upset: bool) -> None:
    """After the outcome: the case again in other words, and a person if the customer wants one. A
    ticket without a date of ours (a person handled it) is told as it stands in the case store."""
    if upset:
        reply.say("utter_sorry")
    ticket = reply.slot("ticket_number")
    expected = reply.slot("expected_by")
    outcome = reply.slot("case_outcome")
    if outcome == "escalated":
        reply.say("utter_person_is_coming")
        return
    language = reply.slot("language")
    date = format_date(datetime.fromisoformat(expected).date(), language) if expected else None
    if ticket and date:
        reply.say("utter_follow_up_ticket", ticket=ticket, date=date)
    elif date:
        reply.say("utter_follow_up_date", date=date)
    elif ticket:
        await tell_ticket_status(reply.dispatcher, reply.tracker, reply.domain, ticket)
    else:
        reply.say("utter_follow_up")
