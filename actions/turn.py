"""The one action that answers every customer message.

It reads the message (language, facts, signals), asks `bot.dialogue.policy` what happens next, and
carries the steps out: questions, the lookup, the outcome, a hand-over. Every decision about the
conversation is the policy's; this module only does the I/O around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import lookup as lookup_actions
from actions.case_store_outage import answers_when_the_case_store_fails
from actions.conversation import COMPLAINT_SLOTS, latest_user_metadata, user_now, user_timezone
from actions.handoff import tell_handed_off
from actions.lookup import complaint_from, tell_result
from actions.qr import qr_fact_slots
from actions.rendering import utter
from actions.ticket_status import TICKET_NUMBER, tell_ticket_status
from bot.config import settings
from bot.dialogue.policy import Known, LookupKind, Plan, Step, Turn, after_lookup, next_steps
from bot.dialogue.signals import Signals, read_signals
from bot.dialogue.state import CaseState
from bot.lookup.complaint import Complaint, LookupResult
from bot.lookup.decision import Decision
from bot.lookup.timelines import format_date
from bot.merchant_api.models import Transaction
from bot.parsing.card_keys import extract_card_keys
from bot.parsing.facts import extract_facts
from bot.parsing.normalize import normalize
from bot.parsing.shop_names import MAX_NAME, find_shop_name
from bot.parsing.validation import AMOUNT_OVER_LIMIT, check_amount, check_terminal_id, check_transaction_time
from bot.text.formatting import format_amount, format_time_window
from bot.text.language import LANGUAGES, detect_language

DIALOGUE_SLOT = "dialogue"
# Without a time, the lookup searches this far back.
UNKNOWN_TIME_SPAN = timedelta(days=7)
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
# A question is not a shop's name.
_QUESTION = re.compile(
    r"[?？]|吗|呢|什么|怎么|为什么|哪里|(?<![a-z])(?:how|what|why|where|when)(?![a-z])", re.I
)
# "12345", "ABC123": a try at a terminal ID (or nothing), not a shop's name.
_CODE_LIKE = re.compile(r"[\W\d_]*|(?=.*\d)[A-Za-z0-9\s\-]+")
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
                time=_when(paid, reply),
            )
        elif shop is not None:
            reply.say("utter_greet_from_terminal_code", merchant=shop)
        if payload == "/qr_scanned":
            # Only the gateway sends it; without a usable code it is a plain start of a conversation.
            intent, payload = ("qr_scanned", None) if shop is not None else ("greet", None)

        signals = read_signals(text)
        typed = not text.startswith("/")
        gave, rejected = _read_facts(reply, text, state, signals, intent) if typed else (set(), set())
        ticket = TICKET_NUMBER.search(normalize(text)) if typed else None
        turn = Turn(
            intent=intent,
            signals=signals,
            gave=frozenset(gave),
            rejected=frozenset(rejected),
            ticket_number=ticket.group(0).upper() if ticket else None,
            payload=payload,
        )
        plan = next_steps(state, _known(reply), turn)
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
        and 0 < len(text.strip()) <= MAX_NAME
        and not _QUESTION.search(text)
        and not _CODE_LIKE.fullmatch(text.strip())
        and not text.lstrip().startswith(("/", "\uff0f"))  # a typed payload is not a name
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


def _known(reply: Reply) -> Known:
    return Known(
        transaction_time=bool(reply.slot("transaction_window_start")),
        amount=bool(reply.slot("amount")),
        terminal_id=bool(reply.slot("terminal_id")),
        merchant_name=bool(reply.slot("merchant_name")),
        card_last4=bool(reply.slot("card_last4") or reply.slot("rrn") or reply.slot("voucher_no")),
    )


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
        _follow_up(reply, upset=step.detail == "upset")
    elif kind == "look_up":
        return await _look_up(reply, state, turn)
    elif kind == "conclude":
        return await _conclude(reply, state)
    elif kind == "not_found":
        return await _not_found(reply, state)
    return state


_CASE_SLOTS = ("found_transaction_id", "case_outcome", "ticket_number", "expected_by")
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
    for slot in _CASE_SLOTS:
        reply.set(slot, None)
    if keep_facts:
        return
    for fact, slots in _FACT_SLOTS.items():
        if fact not in turn.gave:
            for slot in slots:
                reply.set(slot, None)


def _complaint(reply: Reply, state: CaseState) -> Complaint:
    if not reply.slot("transaction_window_start"):
        now = user_now(reply.tracker)
        reply.set("transaction_window_start", (now - UNKNOWN_TIME_SPAN).isoformat(timespec="minutes"))
        reply.set("transaction_window_end", now.isoformat(timespec="minutes"))
        reply.set("transaction_time_exact", False)
    return replace(
        complaint_from(reply.tracker), got_goods=state.got_goods, two_debits_seen=state.two_debits_seen
    )


async def _look_up(reply: Reply, state: CaseState, turn: Turn) -> CaseState:
    reply.say("utter_complaint_received")
    complaint = _complaint(reply, state)
    result = await lookup_actions.lookup_service().look_up(complaint)
    kind = await _present(reply, state, complaint, result)
    if kind == "confirm_amount" and result.decision is not None and result.decision.transaction is not None:
        state = replace(state, offered_amount=f"{result.decision.transaction.amount:.2f}")
    plan = after_lookup(state, _known(reply), kind)
    state = plan.state
    for step in plan.steps:
        state = await _step(reply, state, step, turn)
    return state


async def _present(reply: Reply, state: CaseState, complaint: Complaint, result: LookupResult) -> LookupKind:
    """Tell what the lookup found and conclude when nothing is left to ask."""
    if result.decision is None:
        number = result.pending_ticket.number if result.pending_ticket else "-"
        reply.say("utter_lookup_unavailable", ticket=number)
        reply.set("ticket_number", number)
        return "unavailable"
    decision = result.decision
    if decision.kind == "choose":
        return "choose"
    if decision.kind == "ask_sharper_key":
        return "not_found"
    if (
        decision.reason == "amount_differs"
        and decision.transaction is not None
        and state.offered_amount is None
    ):
        # Only a payment of another amount fits, on the customer's own card: ask before disputing.
        offered = decision.transaction
        reply.set("found_transaction_id", offered.transaction_id)
        reply.say(
            "utter_found_other_amount",
            time=_when(offered.created_at, reply),
            amount=format_amount(offered.amount),
            merchant=offered.merchant_name,
            claimed=format_amount(complaint.amount),
        )
        return "confirm_amount"
    if decision.transaction is not None and decision.reason not in ("not_found", "amount_differs"):
        reply.set("found_transaction_id", decision.transaction.transaction_id)
        _show_found(reply, decision.transaction)
    if decision.outcome == "charge_succeeded" and state.got_goods is None:
        return "goods"
    if decision.outcome in ("dispute_ticket", "escalated") and decision.reason in (
        "not_found",
        "amount_differs",
    ):
        _say_not_found(reply, complaint)
    await _tell(reply, complaint, decision)
    return "concluded"


async def _tell(reply: Reply, complaint: Complaint, decision: Decision) -> None:
    result = await lookup_actions.lookup_service().conclude(complaint, decision)
    for event in await tell_result(reply.dispatcher, reply.tracker, reply.domain, result):
        reply.set(event["name"], event["value"])
    reply.set("expected_by", result.expected_by.isoformat() if result.expected_by else None)


async def _conclude(reply: Reply, state: CaseState) -> CaseState:
    """The customer said whether the shop handed over the goods: decide afresh and conclude."""
    complaint = _complaint(reply, state)
    result = await lookup_actions.lookup_service().look_up(complaint)
    if result.decision is None or result.decision.kind != "outcome":
        kind = await _present(reply, state, complaint, result)
        return after_lookup(state, _known(reply), kind).state
    await _tell(reply, complaint, result.decision)
    return replace(state, stage="done", pending_question=None)


async def _not_found(reply: Reply, state: CaseState) -> CaseState:
    """Nothing found even with a sharper key: say so plainly, and open a dispute for a person to dig."""
    complaint = _complaint(reply, state)
    _say_not_found(reply, complaint)
    decision = Decision("outcome", "dispute_ticket", None, None, (), "not_found")
    await _tell(reply, complaint, decision)
    return replace(state, stage="done", pending_question=None)


def _say_not_found(reply: Reply, complaint: Complaint) -> None:
    reply.say(
        "utter_not_found",
        amount=format_amount(complaint.amount),
        time=_window_said(complaint.window_start, complaint.window_end, reply)
        if reply.slot("transaction_time")
        else ("最近几天" if reply.slot("language") == "zh" else "the last few days"),
        place=complaint.terminal_id
        or complaint.merchant_name
        or ("任何商户" if reply.slot("language") == "zh" else "any shop"),
    )


def _show_found(reply: Reply, t: Transaction) -> None:
    reply.say(
        "utter_found_payment",
        time=_when(t.created_at, reply),
        amount=format_amount(t.amount),
        merchant=t.merchant_name,
    )


def _window_said(start: datetime, end: datetime, reply: Reply) -> str:
    """The time the customer gave, as they gave it: "21:00" for "around 9pm" (the middle of its window),
    the day for "yesterday", the days for "半个月前"."""
    if end - start <= timedelta(hours=3):
        middle = start + (end - start) / 2
        if not reply.slot("transaction_time_exact"):
            # "九点" is searched from 20:50 to 21:20; the customer said nine, not five past.
            quarter_hours = round(middle.timestamp() / 900)
            middle = datetime.fromtimestamp(quarter_hours * 900, middle.tzinfo)
        return _when(middle, reply)
    zone = user_timezone(reply.tracker)
    first, last = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()
    zh = reply.slot("language") == "zh"
    day = (lambda d: f"{d.month}月{d.day}日") if zh else (lambda d: f"{d.day} {d:%b}")
    return day(first) if first == last else f"{day(first)}–{day(last)}"


def _when(moment: datetime, reply: Reply) -> str:
    local = moment.astimezone(user_timezone(reply.tracker))
    if reply.slot("language") == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b} {local:%H:%M}"


def _follow_up(reply: Reply, *, upset: bool) -> None:
    """After the outcome: the case again in other words, and a person if the customer wants one."""
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
    else:
        reply.say("utter_follow_up")
