"""What a lookup can conclude: the one list of outcome names (the decision, the case store, the
timelines and the widget's cards all use these)."""

from __future__ import annotations

from typing import Literal, get_args

Outcome = Literal[
    "refund_ticket",
    "dispute_ticket",
    "reversal_in_progress",
    "no_charge",
    "charge_succeeded",
    "escalated",
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
# Outcomes that open a case the bot handles itself (an escalation is a person's).
TICKET_OUTCOMES: frozenset[Outcome] = frozenset({"refund_ticket", "dispute_ticket"})
