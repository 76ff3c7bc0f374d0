"""Tables of the hand-over to human agents (escalations) and of the events waiting for the helpdesk
(the transactional outbox), with the plain values the stores hand out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Text, text

from bot.case_store.models import LANGUAGES, Base, Language, Ticket, TicketRow, UTCDateTime

EscalationStatus = Literal["waiting", "claimed", "resolved", "handed_back"]
EscalationReason = Literal["customer_asked", "repeated_failures", "policy"]
ESCALATION_STATUSES: tuple[str, ...] = get_args(EscalationStatus)
ESCALATION_REASONS: tuple[str, ...] = get_args(EscalationReason)
OPEN_ESCALATION_STATUSES: tuple[EscalationStatus, ...] = ("waiting", "claimed")
_OPEN_SQL = "status IN ('waiting', 'claimed')"
_UNDELIVERED_SQL = "delivered_at IS NULL"
LAST_ERROR_LENGTH = 200


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class EscalationRow(Base):
    """A conversation handed to the human agents, from the bot's hand-over to the agent's verdict."""

    __tablename__ = "escalations"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False)
    status = Column(String(16), nullable=False)
    reason = Column(String(32), nullable=False)
    language = Column(String(2), nullable=False)
    facts = Column(Text, nullable=False)  # JSON object
    lookup = Column(Text, nullable=True)  # JSON object
    # Not a foreign key: a ticket's number changes when a pending lookup (LK-...) becomes a case.
    ticket_number = Column(String(24), nullable=True)
    summary_customer = Column(Text, nullable=False)
    summary_agent = Column(Text, nullable=False)
    agent = Column(String(64), nullable=True)
    note = Column(Text, nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    claimed_at = Column(UTCDateTime(), nullable=True)
    resolved_at = Column(UTCDateTime(), nullable=True)  # when it stopped being open: resolved or handed back

    __table_args__ = (
        CheckConstraint(_in("status", ESCALATION_STATUSES), name="status"),
        CheckConstraint(_in("reason", ESCALATION_REASONS), name="reason"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        # Whoever moved it past `waiting` is on record.
        CheckConstraint("status = 'waiting' OR (agent IS NOT NULL AND claimed_at IS NOT NULL)", name="agent"),
        # Idempotency, enforced by the database: one open escalation per conversation.
        Index(
            "uq_escalations_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        Index("ix_escalations_status_created_at", "status", "created_at"),
    )


class OutboxRow(Base):
    """An event written in the same transaction as the change it reports, until the helpdesk has it."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    event_id = Column(String(32), nullable=False, unique=True)  # the receiver's idempotency key
    topic = Column(String(64), nullable=False)
    payload = Column(Text, nullable=False)  # JSON object
    created_at = Column(UTCDateTime(), nullable=False)
    attempts = Column(Integer, nullable=False, server_default="0")
    # Also the lease of a delivery in progress: a deliverer moves it ahead before sending.
    next_attempt_at = Column(UTCDateTime(), nullable=False)
    delivered_at = Column(UTCDateTime(), nullable=True)
    last_error = Column(String(LAST_ERROR_LENGTH), nullable=True)

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts"),
        # The deliverer's question, "what is due?", reads only the undelivered rows.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            sqlite_where=text(_UNDELIVERED_SQL),
            postgresql_where=text(_UNDELIVERED_SQL),
        ),
    )


# --- values handed out (no ORM objects leave a session) ----------------------------------------


def json_default(value: object) -> str:
    """json.dumps' fallback for the values the stores hold: times as ISO 8601, amounts as strings."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_json(value: Any) -> str:
    """JSON text as stored (Chinese kept as is, not as \\u escapes)."""
    return json.dumps(value, ensure_ascii=False, default=json_default)


def _iso(value: datetime | None) -> str | None:
    # UTC always, so a row fresh from the clock and the same row read back give the same text.
    return None if value is None else value.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class Escalation:
    """An escalation as stored, detached from any session."""

    id: int
    conversation_id: str
    status: EscalationStatus
    reason: EscalationReason
    language: Language
    facts: dict[str, Any]
    lookup: dict[str, Any] | None
    ticket_number: str | None
    summary_customer: str
    summary_agent: str
    agent: str | None
    note: str | None
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None

    @property
    def is_open(self) -> bool:
        """True while it waits for an agent or an agent works on it."""
        return self.status in OPEN_ESCALATION_STATUSES

    def as_json(self) -> dict[str, Any]:
        """The escalation as plain JSON values (the outbox payload)."""
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "status": self.status,
            "reason": self.reason,
            "language": self.language,
            "facts": self.facts,
            "lookup": self.lookup,
            "ticket_number": self.ticket_number,
            "summary_customer": self.summary_customer,
            "summary_agent": self.summary_agent,
            "agent": self.agent,
            "note": self.note,
            "created_at": _iso(self.created_at),
            "claimed_at": _iso(self.claimed_at),
            "resolved_at": _iso(self.resolved_at),
        }

    @classmethod
    def from_row(cls, row: EscalationRow) -> Escalation:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            status=row.status,
            reason=row.reason,
            language=row.language,
            facts=json.loads(row.facts),
            lookup=None if row.lookup is None else json.loads(row.lookup),
            ticket_number=row.ticket_number,
            summary_customer=row.summary_customer,
            summary_agent=row.summary_agent,
            agent=row.agent,
            note=row.note,
            created_at=row.created_at,
            claimed_at=row.claimed_at,
            resolved_at=row.resolved_at,
        )


@dataclass(frozen=True)
class OutboxMessage:
    """An outbox row as stored; `payload` is the JSON text, exactly as it will be sent."""

    id: int
    event_id: str
    topic: str
    payload: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def from_row(cls, row: OutboxRow) -> OutboxMessage:
        return cls(
            id=row.id,
            event_id=row.event_id,
            topic=row.topic,
            payload=row.payload,
            created_at=row.created_at,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
        )


def ticket_json(ticket: Ticket | TicketRow) -> dict[str, Any]:
    """A ticket as plain JSON values for the helpdesk: its state, not the customer's card or free text."""
    return {
        "number": ticket.number,
        "former_number": ticket.former_number,
        "kind": ticket.kind,
        "status": ticket.status,
        "outcome": ticket.outcome,
        "transaction_id": ticket.transaction_id,
        "amount": None if ticket.amount is None else f"{ticket.amount:.2f}",
        "currency": ticket.currency,
        "expected_by": None if ticket.expected_by is None else ticket.expected_by.isoformat(),
        "language": ticket.language,
        "conversation_id": ticket.conversation_id,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
    }
