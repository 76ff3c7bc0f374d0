"""A complaint as the customer confirmed it, and what a lookup gives back for it.

`Complaint` refuses what the merchant API or the case store would refuse later; `LookupResult` is
what `LookupService.look_up` found, `CaseResult` what the bot tells the customer at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.case_store import Ticket
from bot.lookup.decision import Claim, Decision
from bot.lookup.outcomes import Outcome
from bot.merchant_api import Transaction

_LAST4 = re.compile(r"[0-9]{4}")
_VOUCHER = re.compile(r"[0-9]{6}")
# The case store has no columns for these two answers, so a pending lookup keeps them in a note of its
# history, written by `extras_note` and read by `read_extras` only.
_EXTRAS_NOTE = "customer said: got the goods: {goods}; fraud suspected: {fraud}"
_EXTRAS = re.compile(r"customer said: got the goods: (yes|no|unknown); fraud suspected: (yes|no)")


@dataclass(frozen=True)
class Complaint:
    """What a conversation collected and the customer confirmed."""

    conversation_id: str
    language: str  # "zh" | "en"
    window_start: datetime  # aware
    window_end: datetime
    amount: Decimal
    terminal_id: str | None
    merchant_name: str | None
    card_last4: str | None = None
    rrn: str | None = None
    voucher_no: str | None = None
    got_goods: bool | None = None
    fraud_suspected: bool = False
    two_debits_seen: bool = False

    def __post_init__(self) -> None:
        # Refuse here what the merchant API or the case store would refuse later, when the customer's
        # facts could no longer be kept.
        if not self.conversation_id:
            raise ValueError("conversation_id is required")
        if self.language not in ("zh", "en"):
            raise ValueError(f"language must be zh or en, not {self.language!r}")
        for name in ("window_start", "window_end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValueError(f"{name} must be a timezone-aware datetime")
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        if (
            not isinstance(self.amount, Decimal)
            or not self.amount.is_finite()
            or self.amount <= 0
            or int(self.amount.as_tuple().exponent) < -2
        ):
            raise ValueError("amount must be a positive Decimal in yuan with at most 2 decimals")
        if self.card_last4 is not None and not _LAST4.fullmatch(self.card_last4):
            raise ValueError("card_last4 takes exactly the last 4 digits of the card")
        if self.voucher_no is not None and not _VOUCHER.fullmatch(self.voucher_no):
            raise ValueError("voucher_no must be 6 digits")
        if self.rrn is not None and not (0 < len(self.rrn) <= 12):
            raise ValueError("rrn has 1 to 12 characters")

    @property
    def sharper_key_given(self) -> bool:
        """The customer gave the last 4 digits, the RRN or the 凭证号."""
        return any((self.card_last4, self.rrn, self.voucher_no))

    def claim(self) -> Claim:
        """The complaint as the decision policy reads it."""
        return Claim(
            start=self.window_start,
            end=self.window_end,
            amount=self.amount,
            terminal_id=self.terminal_id,
            merchant_name=self.merchant_name,
            sharper_key_given=self.sharper_key_given,
            fraud_suspected=self.fraud_suspected,
            got_goods=self.got_goods,
            two_debits_seen=self.two_debits_seen,
        )

    @classmethod
    def from_ticket(cls, ticket: Ticket) -> Complaint:
        """The complaint a pending lookup ticket keeps (the retry job's input)."""
        if ticket.amount is None or ticket.window_start is None or ticket.window_end is None:
            raise ValueError(f"{ticket.number} lacks the amount or the time window")
        got_goods, fraud_suspected = read_extras(ticket)
        return cls(
            conversation_id=ticket.conversation_id,
            language=ticket.language,
            window_start=ticket.window_start,
            window_end=ticket.window_end,
            amount=ticket.amount,
            terminal_id=ticket.terminal_id,
            merchant_name=ticket.merchant_name,
            card_last4=ticket.card_last4,
            rrn=ticket.rrn,
            voucher_no=ticket.voucher_no,
            got_goods=got_goods,
            fraud_suspected=fraud_suspected,
        )


@dataclass(frozen=True)
class CaseResult:
    """What the bot tells the customer at the end of a case."""

    outcome: Outcome
    reason: str  # the decision's machine key, e.g. "reversal_pending"
    ticket_number: str | None  # the open case (RF/DP/ES) that carries it; None when no case is needed
    transaction: Transaction | None
    expected_by: date | None
    # The pending lookup (LK) this result concluded, if any; not part of the payload, for logs and tests.
    lookup_ticket: str | None = None

    def payload(self) -> dict[str, Any]:
        """The `case_result` custom payload of the contract (design.md, contract 3)."""
        return {
            "type": "case_result",
            "outcome": self.outcome,
            "ticket_id": self.ticket_number,
            "transaction_id": self.transaction.transaction_id if self.transaction is not None else None,
            "expected_by": self.expected_by.isoformat() if self.expected_by is not None else None,
        }


@dataclass(frozen=True)
class LookupResult:
    """What the lookup found: a decision, or the ticket that keeps the complaint until the API answers."""

    decision: Decision | None  # None when the merchant API could not answer
    pending_ticket: Ticket | None  # the LK ticket opened then (facts kept)


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def extras_note(complaint: Complaint) -> str:
    """The history note that keeps the answers the case store has no columns for."""
    return _EXTRAS_NOTE.format(goods=_yes_no(complaint.got_goods), fraud=_yes_no(complaint.fraud_suspected))


def read_extras(ticket: Ticket) -> tuple[bool | None, bool]:
    """got_goods and fraud_suspected from the newest note that records them (unknown / no when none)."""
    for event in reversed(ticket.history):
        match = _EXTRAS.search(event.note or "")
        if match:
            goods: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
            return goods[match[1]], match[2] == "yes"
    return None, False
