"""The retention rules, pure: how long each kind of personal data is kept, when it has expired, and what
is left of a ticket once its personal details are gone. The README's "Personal data" section says why
each period is what it is.

| kind | expires | then |
|---|---|---|
| a conversation (Rasa's tracker events) | `transcript_days` after its last event | deleted |
| an escalation (facts, summaries, notes) | `escalation_days` after its last change | deleted |
| a ticket's personal details | `ticket_days` after its last change | removed: see `TICKET_DETAILS_REMOVED` |
| a ticket's facts | `ticket_facts_days` after its last change | the ticket is deleted |
| a webhook event never delivered | `transcript_days` after it was written | deleted |

(Delivered webhook events are the deliverer's: WEBHOOK_KEEP_DELIVERED_DAYS, bot/webhooks.py.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# A ticket's conversation id once its personal details are gone: the prefix and the ticket's number,
# unique as the conversation id of a ticket waiting for lookup must be, and linking to nobody.
ERASED_PREFIX = "erased:"
# How a ticket's history names a conversation ("reported again from conversation <id>"), and what
# that mention becomes when the conversation is erased.
MENTION = "conversation "
ERASED_MENTION = MENTION + "[erased]"

# What a ticket loses when its personal details go: the link to the customer's conversation, the card's
# last digits, and every note of its history (free text, possibly the customer's words). What it keeps
# is the complaint's record: number, kind, status and outcome, amount and currency, the time window,
# merchant and terminal, the payment's references (transaction id, RRN, voucher number), the expected
# date, the dates of its history and who changed its status.
TICKET_DETAILS_REMOVED = ("conversation_id", "card_last4", "history notes")


@dataclass(frozen=True)
class RetentionPeriods:
    """How many days each kind of personal data is kept (RETENTION_* variables)."""

    transcript_days: int
    escalation_days: int
    ticket_days: int
    ticket_facts_days: int

    def __post_init__(self) -> None:
        for name in ("transcript_days", "escalation_days", "ticket_days", "ticket_facts_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"RETENTION_{name.upper()} must be at least 1 day")
        if self.ticket_facts_days < self.ticket_days:
            raise ValueError("RETENTION_TICKET_FACTS_DAYS must not be shorter than RETENTION_TICKET_DAYS")

    def cutoffs(self, now: datetime) -> Cutoffs:
        """What was last touched before these moments has expired at `now`."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return Cutoffs(
            transcript=now - timedelta(days=self.transcript_days),
            escalation=now - timedelta(days=self.escalation_days),
            ticket_details=now - timedelta(days=self.ticket_days),
            ticket_facts=now - timedelta(days=self.ticket_facts_days),
            undelivered_event=now - timedelta(days=self.transcript_days),
        )


@dataclass(frozen=True)
class Cutoffs:
    transcript: datetime
    escalation: datetime
    ticket_details: datetime
    ticket_facts: datetime
    # An event the helpdesk never took carries what the transcript says: it goes with it.
    undelivered_event: datetime


def erased_conversation_id(ticket_number: str) -> str:
    """The conversation id a ticket keeps once its personal details are gone."""
    return ERASED_PREFIX + ticket_number


def is_erased(conversation_id: str) -> bool:
    return conversation_id.startswith(ERASED_PREFIX)


def mention(conversation_id: str) -> str:
    """The text by which a ticket's note names the conversation (what to look for first)."""
    return MENTION + conversation_id


def without_mentions(note: str, conversation_id: str) -> str:
    """A note with every mention of the conversation taken out; a longer id that merely starts with
    the same characters is another conversation and stays."""
    pattern = re.escape(mention(conversation_id)) + r"(?=$|[\s;,)\]])"
    return re.sub(pattern, ERASED_MENTION, note)


def is_about(payload: str, conversation_id: str) -> bool:
    """Whether a webhook event's JSON payload (a ticket or an escalation) belongs to the conversation."""
    try:
        data: Any = json.loads(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("conversation_id") == conversation_id
