"""Telling the customer what the lookup found, and concluding the case: the lookup's side of a turn."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from actions import lookup as lookup_actions
from actions.conversation import user_now, user_timezone
from actions.lookup import complaint_from, tell_result
from actions.reply import Reply
from bot.dialogue.policy import LookupKind, after_lookup
from bot.dialogue.state import CaseState
from bot.lookup.complaint import Complaint, LookupResult
from bot.lookup.decision import Decision
from bot.merchant_api.models import Transaction
from bot.text.catalogue import word
from bot.text.formatting import format_amount

# A complaint without a time is searched over the last week.
UNKNOWN_TIME_SPAN = timedelta(days=7)


def complaint_for(reply: Reply, state: CaseState) -> Complaint:
    if not reply.slot("transaction_window_start"):
        now = user_now(reply.tracker)
        reply.set("transaction_window_start", (now - UNKNOWN_TIME_SPAN).isoformat(timespec="minutes"))
        reply.set("transaction_window_end", now.isoformat(timespec="minutes"))
        reply.set("transaction_time_exact", False)
    return replace(
        complaint_from(reply.tracker), got_goods=state.got_goods, two_debits_seen=state.two_debits_seen
    )


async def present(reply: Reply, state: CaseState, complaint: Complaint, result: LookupResult) -> LookupKind:
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
            time=reply.when(offered.created_at),
            amount=format_amount(offered.amount),
            merchant=offered.merchant_name,
            claimed=format_amount(complaint.amount),
        )
        return "confirm_amount"
    if decision.transaction is not None and decision.reason not in ("not_found", "amount_differs"):
        reply.set("found_transaction_id", decision.transaction.transaction_id)
        show_found(reply, decision.transaction)
    if decision.outcome == "charge_succeeded" and state.got_goods is None:
        return "goods"
    if decision.outcome in ("dispute_ticket", "escalated") and decision.reason in (
        "not_found",
        "amount_differs",
    ):
        say_not_found(reply, complaint)
    await tell(reply, complaint, decision)
    return "concluded"


async def tell(reply: Reply, complaint: Complaint, decision: Decision) -> None:
    result = await lookup_actions.lookup_service().conclude(complaint, decision)
    for event in await tell_result(reply.dispatcher, reply.tracker, reply.domain, result):
        reply.set(event["name"], event["value"])
    reply.set("expected_by", result.expected_by.isoformat() if result.expected_by else None)


async def conclude(reply: Reply, state: CaseState) -> CaseState:
    """The customer said whether the shop handed over the goods: decide afresh and conclude."""
    complaint = complaint_for(reply, state)
    result = await lookup_actions.lookup_service().look_up(complaint)
    if result.decision is None or result.decision.kind != "outcome":
        kind = await present(reply, state, complaint, result)
        return after_lookup(state, reply.known(), kind).state
    await tell(reply, complaint, result.decision)
    return replace(state, stage="done", pending_question=None)


async def not_found(reply: Reply, state: CaseState) -> CaseState:
    """Nothing found even with a sharper key: say so plainly, and open a dispute for a person to dig."""
    complaint = complaint_for(reply, state)
    say_not_found(reply, complaint)
    decision = Decision("outcome", "dispute_ticket", None, None, (), "not_found")
    await tell(reply, complaint, decision)
    return replace(state, stage="done", pending_question=None)


def say_not_found(reply: Reply, complaint: Complaint) -> None:
    reply.say(
        "utter_not_found",
        amount=format_amount(complaint.amount),
        time=window_said(complaint.window_start, complaint.window_end, reply)
        if reply.slot("transaction_time")
        else word("recent_days", reply.slot("language")),
        place=complaint.terminal_id or complaint.merchant_name or word("any_shop", reply.slot("language")),
    )


def show_found(reply: Reply, t: Transaction) -> None:
    reply.say(
        "utter_found_payment",
        time=reply.when(t.created_at),
        amount=format_amount(t.amount),
        merchant=t.merchant_name,
    )


def window_said(start: datetime, end: datetime, reply: Reply) -> str:
    """The time the customer gave, as they gave it: "21:00" for "around 9pm" (the middle of its window),
    the day for "yesterday", the days for "半个月前"."""
    if end - start <= timedelta(hours=3):
        middle = start + (end - start) / 2
        if not reply.slot("transaction_time_exact"):
            # "九点" is searched from 20:50 to 21:20; the customer said nine, not five past.
            quarter_hours = round(middle.timestamp() / 900)
            middle = datetime.fromtimestamp(quarter_hours * 900, middle.tzinfo)
        return reply.when(middle)
    zone = user_timezone(reply.tracker)
    first, last = start.astimezone(zone).date(), (end - timedelta(seconds=1)).astimezone(zone).date()
    zh = reply.slot("language") == "zh"
    day = (lambda d: f"{d.month}月{d.day}日") if zh else (lambda d: f"{d.day} {d:%b}")
    return day(first) if first == last else f"{day(first)}–{day(last)}"
