"""What the dialogue decides: steps for the action to carry out, and the state they leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.dialogue.state import CaseState

StepKind = Literal[
    "say",  # a domain response, by name
    "ask",  # a question, by its name in CaseState (the first time plainly, the second with help)
    "look_up",  # search the merchant API with what is known, then `after_lookup`
    "conclude",  # conclude the found payment (after the goods question)
    "not_found",  # nothing found even with the card's ending: an honest dispute
    "hand_off",  # a person takes over (detail: the escalation reason)
    "ticket_status",  # the status of a ticket the conversation owns (detail: its number)
    "ask_owner",  # amount and card ending, to prove a ticket is the customer's (detail: its number)
    "follow_up",  # the outcome again, in other words, with an offer of a person
    "start_over",  # forget the finished case's facts: another payment
    "accept_offered_amount",  # the customer said the payment shown (of another amount) is theirs
    "cancel",  # the customer withdrew the complaint
]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    detail: str | None = None


@dataclass(frozen=True)
class Plan:
    state: CaseState
    steps: tuple[Step, ...]
