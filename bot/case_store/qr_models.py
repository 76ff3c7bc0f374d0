"""Merchants, their terminals and the QR codes that open the chat with a terminal already known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, text

from bot.case_store.models import Base, Money, UTCDateTime

QrKind = Literal["terminal", "counter"]
QR_KINDS: tuple[str, ...] = get_args(QrKind)
_ACTIVE_TERMINAL_CODE_SQL = "kind = 'terminal' AND revoked_at IS NULL"


class MerchantRow(Base):
    """A merchant (the acquirer's merchant ID) and the one sign-in of its staff."""

    __tablename__ = "merchants"

    merchant_id = Column(String(32), primary_key=True)
    name = Column(String(200), nullable=False)
    login = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    disabled_at = Column(UTCDateTime, nullable=True)  # set: its staff can no longer sign in


class TerminalRow(Base):
    __tablename__ = "terminals"

    terminal_id = Column(String(8), primary_key=True)
    merchant_id = Column(String(32), ForeignKey("merchants.merchant_id"), nullable=False, index=True)
    label = Column(String(200), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)


class QrCodeRow(Base):
    """A code's opaque token and what it stands for; the token itself says nothing."""

    __tablename__ = "qr_codes"

    token = Column(String(32), primary_key=True)
    kind = Column(String(16), nullable=False)
    terminal_id = Column(String(8), ForeignKey("terminals.terminal_id"), nullable=False)
    amount = Column(Money, nullable=True)
    transaction_time = Column(UTCDateTime, nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=True)
    revoked_at = Column(UTCDateTime, nullable=True)
    scans = Column(Integer, nullable=False, default=0)
    last_scanned_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("kind IN ('terminal', 'counter')", name="kind"),
        CheckConstraint(
            "kind = 'terminal' OR "
            "(amount IS NOT NULL AND transaction_time IS NOT NULL AND expires_at IS NOT NULL)",
            name="counter_facts",
        ),
        # A merchant's recent counter codes (its home page): its terminals' codes by age.
        Index("ix_qr_codes_terminal_created", "terminal_id", "created_at"),
        # A terminal has one printed code at a time: replacing it revokes the old one.
        Index(
            "uq_qr_codes_active_terminal",
            "terminal_id",
            unique=True,
            sqlite_where=text(_ACTIVE_TERMINAL_CODE_SQL),
            postgresql_where=text(_ACTIVE_TERMINAL_CODE_SQL),
        ),
    )


@dataclass(frozen=True)
class Merchant:
    merchant_id: str
    name: str
    login: str


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    merchant_id: str
    label: str | None


@dataclass(frozen=True)
class QrCode:
    token: str
    kind: QrKind
    terminal_id: str
    merchant_id: str
    merchant_name: str
    amount: Decimal | None
    transaction_time: datetime | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    scans: int
    last_scanned_at: datetime | None = None
