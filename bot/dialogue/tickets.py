"""Questions about a ticket by its number: the answer goes to the ticket's owner only.

A ticket number is no password: it is printed, forwarded, and guessable (a day and a sequence).
So a conversation is told a ticket's status only when the ticket is its own — opened from it,
given to it by the bot, or proved with the facts only the owner has: the payment's amount and
the card's last 4 digits, in one answer. Until then every number gets the same answer, whether a
ticket with that number exists or not ("if this number is yours, tell me ..."), and a wrong
answer is told the same for both. The guarantees:

- The owner question is asked at most twice in a conversation, the second time with a person
  offered; "I don't know" or a "no" ends it with that offer.
- After two answers that do not match, the conversation checks no more numbers: it offers a person.
- A number whose check letter is wrong, or that has none (from before check letters) and is not
  the conversation's own, is not looked up: "that does not look right", twice, then a person.
- A number asked about never becomes the conversation's case (the action sets no slot from it),
  so a hand-over never binds someone else's ticket.

Pure: the action (`actions/ticket_status.py`) reads whose a number is and whether an answer
matches; this module decides what is said.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from bot.dialogue.state import MAX_ASKS, CaseState, TicketChecks
from bot.dialogue.steps import Plan, Step

# Whose a named number is, as far as the conversation may know:
# "own": opened from it, given to it, or proved here; "unproven": well written, anyone's or no one's;
# "malformed": its check letter is wrong, or it has none and is not the conversation's own.
TicketClaim = Literal["own", "unproven", "malformed"]
# An answer to the owner question with both facts in it: they match the ticket or they do not
# (also when there is no such ticket: the same to the customer).
OwnerProof = Literal["match", "mismatch"]

# Wrong answers to the owner question before the conversation checks no more numbers.
MAX_OWNER_FAILURES = 2

_PERSON = Step("say", "utter_ticket_check_person")
_MISMATCH = Step("say", "utter_ticket_owner_mismatch")


def named(state: CaseState, number: str, claim: TicketClaim) -> Plan:
    """A message names a ticket number (an owner question still open is dropped: `state` has none)."""
    checks = state.tickets
    if claim == "own":
        return Plan(_with(state, checks), (Step("ticket_status", number),))
    if claim == "malformed":
        checks = replace(checks, malformed=checks.malformed + 1)
        said = Step("say", "utter_ticket_number_invalid") if checks.malformed <= MAX_ASKS else _PERSON
        return Plan(_with(state, checks), (said,))
    if checks.failures >= MAX_OWNER_FAILURES or checks.asked >= MAX_ASKS:
        return Plan(_with(state, checks), (_PERSON,))
    return _ask(_with(state, checks), number)


def answered(
    state: CaseState, number: str | None, proof: OwnerProof | None, *, moved_on: bool, gives_up: bool
) -> Plan | None:
    """The message after the owner question about `number` (None: no question was open), naming no
    number. None: it is about something else (a complaint), and the question is dropped unsaid."""
    if number is None:
        return None
    checks = state.tickets
    if proof == "match":
        proven = checks.proven if number in checks.proven else (*checks.proven, number)
        return Plan(_with(state, replace(checks, proven=proven)), (Step("ticket_status", number),))
    if proof == "mismatch":
        checks = replace(checks, failures=checks.failures + 1)
        if checks.failures < MAX_OWNER_FAILURES and checks.asked < MAX_ASKS:
            plan = _ask(_with(state, checks), number)
            return Plan(plan.state, (_MISMATCH, *plan.steps))
        return Plan(_with(state, checks), (_MISMATCH, _PERSON))
    if moved_on:
        return None
    if gives_up or checks.asked >= MAX_ASKS:
        return Plan(_with(state, checks), (_PERSON,))
    return _ask(_with(state, checks), number)


def _ask(state: CaseState, number: str) -> Plan:
    checks = replace(state.tickets, pending=number, asked=state.tickets.asked + 1)
    return Plan(_with(state, checks), (Step("ask_owner", number),))


def _with(state: CaseState, checks: TicketChecks) -> CaseState:
    return replace(state, tickets=checks)
