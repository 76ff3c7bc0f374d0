"""The case store's tables (SQLAlchemy 1.4) and the plain values the store hands out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.lookup.outcomes import OUTCOMES, Outcome
from bot.text.redaction import redact

TicketKind = Literal["refund", "dispute", "escalation", "lookup_pending"]
TicketStatus = Literal["waiting_for_lookup", "open", "in_progress", "resolved", "closed", "cancelled"]
Language = Literal["zh", "en"]
OpenKind = Literal["refund", "dispute", "escalation"]

KINDS: tuple[str, ...] = get_args(TicketKind)
STATUSES: tuple[str, ...] = get_args(TicketStatus)
LANGUAGES: tuple[str, ...] = get_args(Language)
# Statuses in which a ticket still counts for its transaction (one such ticket per transaction).
ACTIVE_STATUSES: tuple[TicketStatus, ...] = ("open", "in_progress", "waiting_for_lookup")
_ACTIVE_SQL = "status IN ('open', 'in_progress', 'waiting_for_lookup') AND transaction_id IS NOT NULL"
_WAITING_SQL = "status = 'waiting_for_lookup'"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Base: Any = declarative_base(metadata=metadata)


class UTCDateTime(TypeDecorator):
    """An aware datetime, stored as UTC (timestamptz on PostgreSQL, naive UTC text on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the case store; times must be timezone-aware")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """A Decimal amount with 2 places: NUMERIC(12, 2); exact on SQLite too (no float round trip leaks)."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":  # no native decimal: SQLite keeps a REAL, converted back below
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_CENT)


_CENT = Decimal("0.01")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _digits(column: str, count: int) -> str:
    # Portable (SQLite and PostgreSQL) and collation-proof: exactly `count` ASCII digits.
    stripped = column
    for digit in "0123456789":
        stripped = f"replace({stripped}, '{digit}', '')"
    return f"length({column}) = {count} AND {stripped} = ''"


class TicketRow(Base):
    """A case: refund, dispute, escalation, or a complaint waiting for the merchant API."""

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    # The number the customer was first given (LK-...) when a pending lookup became a case.
    former_number = Column(String(24), nullable=True, unique=True)
    kind = Column(String(16), nullable=False)
    status = Column(String(24), nullable=False)
    outcome = Column(String(32), nullable=True)
    transaction_id = Column(String(64), nullable=True)
    merchant_id = Column(String(32), nullable=True)
    merchant_name = Column(String(200), nullable=True)
    terminal_id = Column(String(16), nullable=True)
    amount = Column(Money(), nullable=True)
    currency = Column(String(3), nullable=False, server_default="CNY")
    card_last4 = Column(String(4), nullable=True)
    rrn = Column(String(12), nullable=True)
    voucher_no = Column(String(6), nullable=True)
    window_start = Column(UTCDateTime(), nullable=True)
    window_end = Column(UTCDateTime(), nullable=True)
    language = Column(String(2), nullable=False)
    conversation_id = Column(String(255), nullable=False)
    expected_by = Column(Date, nullable=True)
    merged_into_id = Column(ForeignKey("tickets.id", ondelete="SET NULL"), nullable=True)
    lookup_attempts = Column(Integer, nullable=False, server_default="0")
    last_lookup_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)

    events = relationship(
        "TicketEventRow",
        back_populates="ticket",
        order_by="(TicketEventRow.at, TicketEventRow.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    merged_into = relationship("TicketRow", remote_side=[id])

    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(f"card_last4 IS NULL OR ({_digits('card_last4', 4)})", name="card_last4"),
        CheckConstraint(f"voucher_no IS NULL OR ({_digits('voucher_no', 6)})", name="voucher_no"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount"),
        CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start <= window_end", name="window"
        ),
        CheckConstraint(
            "status <> 'waiting_for_lookup' OR (kind = 'lookup_pending' AND transaction_id IS NULL)",
            name="waiting",
        ),
        # Idempotency, enforced by the database: one active ticket per transaction ...
        Index(
            "uq_tickets_active_transaction",
            "transaction_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
        # ... and one complaint waiting for the merchant API per conversation.
        Index(
            "uq_tickets_waiting_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(_WAITING_SQL),
            postgresql_where=text(_WAITING_SQL),
        ),
        Index("ix_tickets_conversation_id", "conversation_id"),
        Index("ix_tickets_status_created_at", "status", "created_at"),
    )


class TicketEventRow(Base):
    """One entry of a ticket's history: a status change or a note."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(UTCDateTime(), nullable=False)
    from_status = Column(String(24), nullable=True)
    to_status = Column(String(24), nullable=True)
    note = Column(Text, nullable=True)
    actor = Column(String(64), nullable=False)

    ticket = relationship("TicketRow", back_populates="events")


class TicketSequenceRow(Base):
    """The last ticket sequence number handed out on a business day (shared by every kind)."""

    __tablename__ = "ticket_sequences"

    day = Column(Date, primary_key=True)
    last_value = Column(Integer, nullable=False)


# --- values handed to and returned by the store (no ORM objects leave a session) ---------------

_LAST4 = re.compile(r"[0-9]{4}")
_VOUCHER = re.compile(r"[0-9]{6}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def check_card_last4(value: str | None) -> None:
    """Raise ValueError unless the value is None or exactly 4 ASCII digits."""
    if value is not None and not _LAST4.fullmatch(value):
        raise ValueError("card_last4 takes exactly the last 4 digits of the card, nothing more")


def masked(text: str | None) -> str | None:
    """Free text as it may be stored: card numbers and PINs masked."""
    return None if text is None else redact(text).text


@dataclass(frozen=True, kw_only=True)
class CaseFacts:
    """What the customer told us; kept whole whatever the merchant API does."""

    conversation_id: str
    language: Language
    amount: Decimal | None = None
    currency: str = "CNY"
    window_start: datetime | None = None
    window_end: datetime | None = None
    terminal_id: str | None = None
    merchant_id: str | None = None
    merchant_name: str | None = None
    card_last4: str | None = None  # the last 4 digits only, never more
    rrn: str | None = None
    voucher_no: str | None = None
    actor: str = "bot"
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.conversation_id:
            raise ValueError("conversation_id is required")
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        if self.amount is not None and (
            not isinstance(self.amount, Decimal)
            or not self.amount.is_finite()
            or self.amount <= 0
            or int(self.amount.as_tuple().exponent) < -2
        ):
            raise ValueError("amount must be a positive Decimal with at most 2 decimals")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError("currency must be an ISO 4217 code such as CNY")
        for name in ("window_start", "window_end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.window_start and self.window_end and self.window_start > self.window_end:
            raise ValueError("window_start is after window_end")
        check_card_last4(self.card_last4)
        if self.voucher_no is not None and not _VOUCHER.fullmatch(self.voucher_no):
            raise ValueError("voucher_no must be 6 digits")
        if self.rrn is not None and len(self.rrn) > 12:
            raise ValueError("rrn has at most 12 characters")


@dataclass(frozen=True, kw_only=True)
class TicketDraft(CaseFacts):
    """A case to open now that the lookup has concluded."""

    kind: OpenKind
    outcome: Outcome | None = None
    transaction_id: str | None = None
    expected_by: date | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind not in ("refund", "dispute", "escalation"):
            raise ValueError("kind must be refund, dispute or escalation")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if self.kind != "escalation" and (self.amount is None or self.window_start is None):
            raise ValueError("a refund or dispute ticket needs the amount and the time window")


@dataclass(frozen=True, kw_only=True)
class PendingDraft(CaseFacts):
    """A complaint recorded while the merchant API is down or slow; looked up again later."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.amount is None or self.window_start is None or self.window_end is None:
            raise ValueError("a pending lookup needs the amount and the time window to search again")


@dataclass(frozen=True)
class TicketEvent:
    """One step of a ticket's history."""

    at: datetime
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    note: str | None
    actor: str


@dataclass(frozen=True)
class Ticket:
    """A ticket as stored, detached from any session."""

    number: str
    former_number: str | None
    kind: TicketKind
    status: TicketStatus
    outcome: Outcome | None
    transaction_id: str | None
    merchant_id: str | None
    merchant_name: str | None
    terminal_id: str | None
    amount: Decimal | None
    currency: str
    card_last4: str | None
    rrn: str | None
    voucher_no: str | None
    window_start: datetime | None
    window_end: datetime | None
    language: Language
    conversation_id: str
    expected_by: date | None
    merged_into: str | None  # the ticket that carries on this case, when this one was a duplicate
    lookup_attempts: int
    last_lookup_at: datetime | None
    created_at: datetime
    updated_at: datetime
    history: tuple[TicketEvent, ...]

    @property
    def is_active(self) -> bool:
        """True while the ticket still needs work (open, in progress or waiting for the lookup)."""
        return self.status in ACTIVE_STATUSES
