"""What happens next in a conversation: one pure function, with guarantees that hold whatever the
customer writes.

- No question is asked a third time in one case: after two unusable answers the bot goes on
  without that fact, asks for something else, or brings in a person.
- Every case reaches an outcome or a person by the customer's eighth message.
- "I don't know" / 不知道 / 找不到 is an answer: the fact is marked unknown and the bot moves on.
- A request for a person, and a debit the customer does not recognise, are heard at every stage.
- After the outcome the conversation is in follow-up mode: the bot explains and offers a person;
  facts change only when the customer clearly corrects them or reports another payment.
- A ticket's status goes only to its owner (`bot/dialogue/tickets.py`).

The action (`actions/turn.py`) reads the message, calls `next_steps`, and carries the steps out;
after a lookup it calls `after_lookup`. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from bot.dialogue import tickets
from bot.dialogue.signals import Signals
from bot.dialogue.state import MAX_ASKS, MAX_MESSAGES, CaseState
from bot.dialogue.steps import Plan, Step, StepKind
from bot.dialogue.tickets import OwnerProof, TicketClaim

__all__ = ["Known", "LookupKind", "Plan", "Step", "StepKind", "Turn", "after_lookup", "next_steps"]

LookupKind = Literal["concluded", "choose", "not_found", "goods", "unavailable", "confirm_amount"]


@dataclass(frozen=True)
class Known:
    """Which facts the conversation holds now (after this message's own facts)."""

    transaction_time: bool = False
    amount: bool = False
    terminal_id: bool = False
    merchant_name: bool = False
    card_last4: bool = False


@dataclass(frozen=True)
class Turn:
    """One customer message, as the action read it."""

    intent: str
    signals: Signals
    gave: frozenset[str] = frozenset()  # facts this message supplied and that passed their checks
    rejected: frozenset[str] = frozenset()  # facts it gave that failed a check (the action said why)
    ticket_number: str | None = None  # a ticket number the message names
    ticket_claim: TicketClaim = "unproven"  # whose that number is, as the action found
    owner_proof: OwnerProof | None = None  # amount and card ending given after the owner question
    payload: str | None = None  # a button's or the gateway's payload ("/affirm")

    @property
    def affirms(self) -> bool:
        if self.payload:
            return self.payload == "/affirm"
        return self.signals.says_yes or (self.intent == "affirm" and not self.signals.says_no)

    @property
    def denies(self) -> bool:
        if self.payload:
            return self.payload == "/deny"
        return self.signals.says_no or (
            self.intent == "deny" and self.signals.negates and not self.signals.says_yes
        )


_SMALL_TALK = {
    "greet": "utter_greet",
    "bot_challenge": "utter_bot_challenge",
    "ask_terminal_id_location": "utter_terminal_id_location",
    "ask_why_needed": "utter_why_needed",
    "out_of_scope": "utter_out_of_scope",
}


def next_steps(state: CaseState, known: Known, turn: Turn) -> Plan:
    """The steps that answer one customer message."""
    if turn.intent != "qr_scanned":
        state = replace(state, messages=state.messages + 1)
    signals = turn.signals
    # An open owner question (bot/dialogue/tickets.py) is answered by this message or dropped.
    asked_about = state.tickets.pending
    state = replace(state, tickets=replace(state.tickets, pending=None))
    if turn.intent == "request_human" or signals.wants_person or turn.payload == "/request_human":
        if state.stage == "handed_off":
            return Plan(state, (Step("say", "utter_person_is_coming"),))
        return _hand_off(state, "customer_asked", apology=signals.upset)
    if signals.reports_fraud and state.stage != "handed_off":
        return _hand_off(state, "policy", before=(Step("say", "utter_fraud_advice"),))
    if turn.ticket_number:
        return _ticket_answer(state, tickets.named(state, turn.ticket_number, turn.ticket_claim))
    about_ticket = tickets.answered(
        state,
        asked_about,
        turn.owner_proof,
        moved_on=bool(turn.gave) or turn.intent == "report_failed_payment",
        gives_up=signals.says_unknown or turn.denies or signals.withdraws,
    )
    if about_ticket is not None:
        return _ticket_answer(state, about_ticket)
    if state.stage == "handed_off":
        closing = {"thank": "utter_thank", "goodbye": "utter_goodbye"}.get(turn.intent)
        return Plan(state, (Step("say", closing or "utter_person_is_coming"),))
    if state.stage == "done":
        return _follow_up(state, known, turn)
    if signals.got_goods is not None:
        state = replace(state, got_goods=signals.got_goods)
    if signals.sees_two_debits:
        state = replace(state, two_debits_seen=True)
    if turn.intent == "cancel" and signals.withdraws and not turn.gave and state.stage == "collecting":
        return Plan(state.new_case(messages=0), (Step("cancel"),))
    if state.stage == "goods":
        return _goods_answer(state, turn)
    if state.stage == "confirm_amount":
        return _offered_amount_answer(state, turn)
    if state.stage in ("choose", "card_last4"):
        return _sharper_key_answer(state, known, turn)
    return _collecting(state, known, turn)


def _ticket_answer(state: CaseState, plan: Plan) -> Plan:
    """A ticket question answered; while a case is open, the eighth message without an outcome (a
    status answered is one) still brings in a person."""
    if (
        state.stage in ("done", "handed_off")
        or state.messages < MAX_MESSAGES
        or any(step.kind == "ticket_status" for step in plan.steps)
    ):
        return plan
    said = tuple(step for step in plan.steps if step.kind == "say")
    return _hand_off(
        replace(plan.state, tickets=replace(plan.state.tickets, pending=None)),
        "repeated_failures",
        before=said,
    )


def after_lookup(state: CaseState, known: Known, kind: LookupKind) -> Plan:
    """What follows a lookup: the outcome was told, or one more question, or a person."""
    if kind in ("concluded", "unavailable"):
        return Plan(replace(state, stage="done", pending_question=None), ())
    if kind == "confirm_amount":
        if state.times_asked("confirm_amount"):
            return Plan(state, (Step("not_found"),))
        # The message showing the payment found asks the question itself.
        return Plan(replace(state, stage="confirm_amount").asking("confirm_amount"), ())
    if kind == "goods":
        if state.got_goods is not None:
            return Plan(state, (Step("conclude"),))
        return _ask(replace(state, stage="goods"), "goods")
    stage = "choose" if kind == "choose" else "card_last4"
    if known.card_last4 or state.times_asked("card_last4") >= MAX_ASKS or "card_last4" in state.unknown:
        if kind == "choose":
            # Several payments fit even with the card's ending: a person sorts it out with the customer.
            return _hand_off(state, "policy", before=(Step("say", "utter_several_fit"),))
        return Plan(state, (Step("not_found"),))
    if state.messages >= MAX_MESSAGES:
        return _hand_off(state, "repeated_failures")
    return _ask(replace(state, stage=stage), "card_last4")


def _collecting(state: CaseState, known: Known, turn: Turn) -> Plan:
    before: list[Step] = []
    pending = state.pending_question
    first = state.messages <= 1
    # The words, not the intent: the classifier also files "I want to file a complaint" under status.
    status_asked = turn.signals.asks_status
    if (
        status_asked
        and not turn.gave
        and not any(_known_facts(known))
        and not state.times_asked("ticket_number")
    ):
        # "我想查一下进度" without a number: ask for it once, and offer to look the payment up instead.
        return Plan(state.asking("ticket_number"), (Step("say", "utter_ask_ticket_number"),))
    if (
        turn.intent in ("qr_scanned", "greet")
        and first
        and not turn.gave
        and not any(_known_facts(known)[:2])
    ):
        # The greeting (the shop's, from a QR code) already asks what happened: when and how much.
        # Not counted as asking: the customer has not been asked anything specific yet.
        steps = () if turn.intent == "qr_scanned" else (Step("say", "utter_greet"),)
        return Plan(replace(state, pending_question="transaction_time"), steps)
    if turn.signals.upset:
        before.append(Step("say", "utter_sorry"))
    elif state.messages == 1 and (turn.intent == "report_failed_payment" or turn.gave):
        before.append(Step("say", "utter_empathy"))
    no_terminal = turn.intent == "no_terminal_id" and pending in (None, "terminal_id", "merchant_name")
    if turn.payload == "/no_terminal_id" or (no_terminal and "terminal_id" not in state.unknown):
        state = state.not_known("terminal_id")
        before.append(Step("say", "utter_no_terminal_id_ok"))
    elif (
        pending
        and pending not in turn.gave
        and (turn.signals.says_unknown or turn.denies or turn.intent == "no_terminal_id")
    ):
        # "不知道", "no idea", a bare "no" / "没有": an answer, and the next question follows.
        state = state.not_known(pending)
        if pending == "terminal_id":
            before.append(Step("say", "utter_no_terminal_id_ok"))
    elif not turn.gave and not turn.rejected:
        social = _social(turn)
        if social is not None:
            before.append(social)
        elif turn.signals.asks_timing and not any(_known_facts(known)):
            before.append(Step("say", "utter_usual_timelines"))
    return _advance(state, known, before)


def _advance(state: CaseState, known: Known, before: list[Step]) -> Plan:
    missing = _next_missing(state, known)
    while missing is not None and state.times_asked(missing) >= MAX_ASKS:
        state = state.not_known(missing)
        missing = _next_missing(state, known)
    if missing is None:
        if not known.amount:
            # No amount, no search: a person asks the customer's bank statement.
            return _hand_off(state, "repeated_failures", before=tuple(before))
        return Plan(replace(state, pending_question=None), (*before, Step("look_up")))
    if state.messages >= MAX_MESSAGES:
        # Whatever was said, the eighth message without an outcome brings in a person.
        return _hand_off(state, "repeated_failures", before=tuple(before))
    plan = _ask(state, missing)
    return Plan(plan.state, (*before, *plan.steps))


def _next_missing(state: CaseState, known: Known) -> str | None:
    unknown = state.unknown
    if not known.transaction_time and "transaction_time" not in unknown:
        return "transaction_time"
    if not known.amount and "amount" not in unknown:
        return "amount"
    if not (known.terminal_id or known.merchant_name):
        if "terminal_id" not in unknown:
            return "terminal_id"
        if "merchant_name" not in unknown:
            return "merchant_name"
    if not known.card_last4 and "card_last4" not in unknown:
        # Asked before the lookup, so that the bot acts only on the customer's own payment and never
        # shows anyone else's.
        return "card_last4"
    return None


def _sharper_key_answer(state: CaseState, known: Known, turn: Turn) -> Plan:
    if turn.gave:
        return Plan(replace(state, pending_question=None), (Step("look_up"),))
    if turn.denies or turn.signals.says_unknown:
        state = state.not_known("card_last4")
        return after_lookup(state, known, "choose" if state.stage == "choose" else "not_found")
    if state.messages >= MAX_MESSAGES:
        return _hand_off(state, "repeated_failures")
    if state.times_asked("card_last4") >= MAX_ASKS:
        return after_lookup(state, known, "choose" if state.stage == "choose" else "not_found")
    social = _social(turn)
    plan = _ask(state, "card_last4")
    return Plan(plan.state, ((social,) if social else ()) + plan.steps)


def _offered_amount_answer(state: CaseState, turn: Turn) -> Plan:
    """Only a payment of another amount fitted, on the customer's card: is it theirs after all?"""
    if "amount" in turn.gave:
        return Plan(replace(state, stage="collecting", pending_question=None), (Step("look_up"),))
    if turn.affirms:
        plan = (Step("accept_offered_amount"), Step("look_up"))
        return Plan(replace(state, stage="collecting", pending_question=None), plan)
    if turn.denies or turn.signals.says_unknown or state.messages >= MAX_MESSAGES:
        return Plan(state, (Step("not_found"),))
    if state.times_asked("confirm_amount") < MAX_ASKS:
        return _ask(state, "confirm_amount")
    return Plan(state, (Step("not_found"),))


def _goods_answer(state: CaseState, turn: Turn) -> Plan:
    got = state.got_goods
    if got is None and turn.affirms:
        got = True
    elif got is None and turn.denies:
        got = False
    if got is None and state.times_asked("goods") < MAX_ASKS and state.messages < MAX_MESSAGES:
        return _ask(state, "goods")
    # Unanswered twice: the record says the payment went through, and the follow-up stays open.
    return Plan(replace(state, got_goods=got), (Step("conclude"),))


def _follow_up(state: CaseState, known: Known, turn: Turn) -> Plan:
    signals = turn.signals
    facts_given = bool(turn.gave - {"card_last4"})
    new_complaint = signals.another_payment or (
        turn.intent == "report_failed_payment" and not signals.corrects
    )
    if facts_given and signals.corrects and not signals.another_payment:
        # A clear correction of the finished case: the case is looked up again with it.
        return _advance(state.new_case(messages=1), known, [Step("start_over", "keep_facts")])
    if new_complaint and (facts_given or signals.another_payment):
        # Another payment: only what this message says belongs to it.
        fresh = Known(**{fact: fact in turn.gave for fact in _FACTS})
        return _advance(state.new_case(messages=1), fresh, [Step("start_over")])
    closing = not (signals.asks or signals.asks_timing or signals.upset)
    if turn.intent in ("thank", "goodbye", "greet") and closing:
        reply = {"thank": "utter_thank", "goodbye": "utter_goodbye", "greet": "utter_anything_else"}
        return Plan(state, (Step("say", reply[turn.intent]),))
    if turn.affirms and not signals.upset:
        return Plan(state, (Step("say", "utter_anything_else"),))
    return Plan(state, (Step("follow_up", "upset" if signals.upset else None),))


_FACTS = ("transaction_time", "amount", "terminal_id", "merchant_name", "card_last4")


def _social(turn: Turn) -> Step | None:
    response = _SMALL_TALK.get(turn.intent)
    if response:
        return Step("say", response)
    if turn.intent == "thank":
        return Step("say", "utter_thank")
    return None


def _ask(state: CaseState, question: str) -> Plan:
    return Plan(state.asking(question), (Step("ask", question),))


def _hand_off(state: CaseState, reason: str, *, apology: bool = False, before: tuple[Step, ...] = ()) -> Plan:
    steps = ((Step("say", "utter_sorry"),) if apology else ()) + before + (Step("hand_off", reason),)
    return Plan(replace(state, stage="handed_off", pending_question=None), steps)


def _known_facts(known: Known) -> tuple[bool, ...]:
    return (known.transaction_time, known.amount, known.terminal_id, known.merchant_name)
