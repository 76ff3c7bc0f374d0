"""Merchant accounts, their terminals and QR codes: issuing, revoking and resolving tokens."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.case_store.db import CaseDatabase, is_unique_violation, translate_errors, utc_now
from bot.case_store.errors import CaseStoreError
from bot.case_store.passwords import hash_password, password_matches
from bot.case_store.qr_models import Merchant, MerchantRow, QrCode, QrCodeRow, QrKind, Terminal, TerminalRow
from bot.case_store.staff_accounts import StaffAccounts

TOKEN_BYTES = 16  # 128 random bits
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
Resolution = Literal["ok", "unknown", "revoked", "expired"]
# The counter codes a merchant's home page lists: a week covers every code still working (the form
# allows at most 168 hours), and twenty rows stay one screen's scroll at a busy counter.
RECENT_COUNTER_CODE_DAYS = 7
RECENT_COUNTER_CODE_ROWS = 20


class MerchantError(CaseStoreError):
    """A merchant, terminal or code that is not there, or not theirs."""


@dataclass(frozen=True)
class Scan:
    """What a scanned token turned out to be."""

    status: Resolution
    code: QrCode | None = None

    def context(self) -> dict[str, str] | None:
        """The verified facts handed to the bot as message metadata (the contract's `qr`)."""
        if self.status != "ok" or self.code is None:
            return None
        code = self.code
        context = {
            "kind": code.kind,
            "merchant_id": code.merchant_id,
            "merchant_name": code.merchant_name,
            "terminal_id": code.terminal_id,
        }
        if code.kind == "counter" and code.amount is not None and code.transaction_time is not None:
            context["amount"] = f"{code.amount:.2f}"
            context["transaction_time"] = code.transaction_time.isoformat()
        return context


def new_token() -> str:
    """26 characters of upper-case base32: a URL of them fits a QR code's compact alphanumeric mode."""
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii").rstrip("=")


def normalize_token(token: object) -> str | None:
    """The token as stored, or None when it cannot be one (wrong length or characters)."""
    if not isinstance(token, str):
        return None
    token = token.strip().upper()
    return token if len(token) == 26 and set(token) <= TOKEN_ALPHABET else None


class CodeJustReplaced(MerchantError):
    """Two replacements of one terminal's code at once: the other one won."""


@translate_errors
class MerchantDirectory:
    """The merchant side of the case store."""

    def __init__(self, database: CaseDatabase, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        # Writes take SQLite's write lock at BEGIN: a scan reads, then counts.
        self._sessions = database.writes
        self._clock = clock
        self._accounts = StaffAccounts(MerchantRow, "merchant", MerchantError, self._sessions, clock)

    # --- accounts and terminals (operators, through the CLI) -----------------------------------

    def add_merchant(self, merchant_id: str, name: str, login: str, password: str) -> Merchant:
        self._accounts.check_password(password)
        row = MerchantRow(
            merchant_id=merchant_id,
            name=name,
            login=login,
            password_hash=hash_password(password),
            created_at=self._clock(),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as error:
            raise MerchantError(f"merchant {merchant_id} or login {login} exists already") from error
        return Merchant(merchant_id, name, login)

    def add_terminal(self, merchant_id: str, terminal_id: str, label: str | None = None) -> Terminal:
        terminal_id = terminal_id.upper()
        with self._sessions.begin() as session:
            if session.get(MerchantRow, merchant_id) is None:
                raise MerchantError(f"no merchant {merchant_id}")
            if session.get(TerminalRow, terminal_id) is not None:
                raise MerchantError(f"terminal {terminal_id} exists already")
            session.add(
                TerminalRow(
                    terminal_id=terminal_id, merchant_id=merchant_id, label=label, created_at=self._clock()
                )
            )
        return Terminal(terminal_id, merchant_id, label)

    def sign_in(self, login: str, password: str) -> Merchant | None:
        """The merchant whose login and password these are, or None (also for a disabled account)."""
        with self._sessions() as session:
            row = session.scalar(select(MerchantRow).where(MerchantRow.login == login))
            if not password_matches(row.password_hash if row else None, password):
                return None
            return None if row.disabled_at is not None else Merchant(row.merchant_id, row.name, row.login)

    def merchant(self, merchant_id: str) -> Merchant | None:
        """The merchant, or None when there is none or its sign-in is disabled."""
        with self._sessions() as session:
            row = session.get(MerchantRow, merchant_id)
            if row is None or row.disabled_at is not None:
                return None
            return Merchant(row.merchant_id, row.name, row.login)

    def disable(self, merchant_id: str) -> int:
        """The merchant's staff can no longer sign in, and their sessions end; returns how many were
        live. Its codes keep working: customers still reach the assistant."""
        return self._accounts.disable(merchant_id)

    def enable(self, merchant_id: str) -> None:
        """A disabled merchant's staff may sign in again (with the password it had)."""
        self._accounts.enable(merchant_id)

    def reset_password(self, merchant_id: str, password: str) -> int:
        """A new password; every session of the merchant's staff ends. Returns how many were live."""
        return self._accounts.reset_password(merchant_id, password)

    def terminals(self, merchant_id: str) -> list[tuple[Terminal, QrCode | None]]:
        """A merchant's terminals, each with its current printed code (if any)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(TerminalRow)
                .where(TerminalRow.merchant_id == merchant_id)
                .order_by(TerminalRow.terminal_id)
            ).all()
            return [
                (Terminal(r.terminal_id, r.merchant_id, r.label), self._active_code(session, r)) for r in rows
            ]

    def recent_counter_codes(
        self,
        merchant_id: str,
        *,
        days: float = RECENT_COUNTER_CODE_DAYS,
        limit: int = RECENT_COUNTER_CODE_ROWS,
    ) -> list[QrCode]:
        """The merchant's counter codes made in the last `days`, newest first, at most `limit`: staff
        find a code again after leaving its page (revoked and expired ones too, marked as such)."""
        since = self._clock() - timedelta(days=days)
        with self.database.reads() as session:
            rows = session.scalars(
                select(QrCodeRow)
                .join(TerminalRow, TerminalRow.terminal_id == QrCodeRow.terminal_id)
                .where(TerminalRow.merchant_id == merchant_id)
                .where(QrCodeRow.kind == "counter")
                .where(QrCodeRow.created_at >= since)
                .order_by(QrCodeRow.created_at.desc(), QrCodeRow.token)
                .limit(limit)
            ).all()
            return [self._code(session, row) for row in rows]

    # --- codes ---------------------------------------------------------------------------------

    def issue_terminal_code(self, terminal_id: str, *, merchant_id: str | None = None) -> QrCode:
        """A new printed code for a terminal; the one it replaces stops working."""
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                terminal = self._terminal(session, terminal_id, merchant_id)
                session.execute(
                    update(QrCodeRow)
                    .where(QrCodeRow.terminal_id == terminal.terminal_id)
                    .where(QrCodeRow.kind == "terminal")
                    .where(QrCodeRow.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                row = self._new_code(session, terminal, "terminal", now)
                return self._code(session, row)
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise CodeJustReplaced(
                f"terminal {terminal_id}'s code was replaced at the same moment"
            ) from error

    def issue_counter_code(
        self,
        terminal_id: str,
        amount: Decimal,
        transaction_time: datetime,
        valid_for: timedelta,
        *,
        merchant_id: str | None = None,
    ) -> QrCode:
        """A code for one failed payment at the counter: amount and time, valid for a while."""
        if amount <= 0:
            raise MerchantError("the amount must be above zero")
        if transaction_time.tzinfo is None:
            raise MerchantError("the payment's time needs a time zone")
        now = self._clock()
        if transaction_time > now + timedelta(minutes=5):
            raise MerchantError("the payment's time is in the future")
        with self._sessions.begin() as session:
            terminal = self._terminal(session, terminal_id, merchant_id)
            row = self._new_code(
                session,
                terminal,
                "counter",
                now,
                amount=amount.quantize(Decimal("0.01")),
                transaction_time=transaction_time,
                expires_at=now + valid_for,
            )
            return self._code(session, row)

    def revoke(self, token: str, *, merchant_id: str | None = None) -> QrCode:
        with self._sessions.begin() as session:
            row = session.get(QrCodeRow, token)
            if row is None or (merchant_id is not None and self._owner(session, row) != merchant_id):
                raise MerchantError("no such code")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
            return self._code(session, row)

    def code(self, token: str, *, merchant_id: str | None = None) -> QrCode | None:
        with self._sessions() as session:
            row = session.get(QrCodeRow, token)
            if row is None or (merchant_id is not None and self._owner(session, row) != merchant_id):
                return None
            return self._code(session, row)

    def scan(self, token: str) -> Scan:
        """Resolve a scanned token, and count the scan when the code is good."""
        normalized = normalize_token(token)
        if normalized is None:
            return Scan("unknown")
        token = normalized
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(QrCodeRow, token)
            if row is None:
                return Scan("unknown")
            if row.revoked_at is not None:
                return Scan("revoked", self._code(session, row))
            if row.expires_at is not None and row.expires_at <= now:
                return Scan("expired", self._code(session, row))
            row.scans = (row.scans or 0) + 1
            row.last_scanned_at = now
            return Scan("ok", self._code(session, row))

    # --- inside --------------------------------------------------------------------------------

    @staticmethod
    def _terminal(session: Session, terminal_id: str, merchant_id: str | None) -> TerminalRow:
        terminal = session.get(TerminalRow, terminal_id.upper())
        if terminal is None or (merchant_id is not None and terminal.merchant_id != merchant_id):
            raise MerchantError(f"no terminal {terminal_id}")
        return terminal

    @staticmethod
    def _owner(session: Session, row: QrCodeRow) -> str:
        return session.get(TerminalRow, row.terminal_id).merchant_id

    @staticmethod
    def _new_code(
        session: Session, terminal: TerminalRow, kind: QrKind, now: datetime, **facts: object
    ) -> QrCodeRow:
        row = QrCodeRow(
            token=new_token(), kind=kind, terminal_id=terminal.terminal_id, created_at=now, scans=0, **facts
        )
        session.add(row)
        session.flush()
        return row

    def _active_code(self, session: Session, terminal: TerminalRow) -> QrCode | None:
        row = session.scalar(
            select(QrCodeRow)
            .where(QrCodeRow.terminal_id == terminal.terminal_id)
            .where(QrCodeRow.kind == "terminal")
            .where(QrCodeRow.revoked_at.is_(None))
        )
        return None if row is None else self._code(session, row)

    @staticmethod
    def _code(session: Session, row: QrCodeRow) -> QrCode:
        terminal = session.get(TerminalRow, row.terminal_id)
        merchant = session.get(MerchantRow, terminal.merchant_id)
        return QrCode(
            token=row.token,
            kind=row.kind,
            terminal_id=row.terminal_id,
            merchant_id=merchant.merchant_id,
            merchant_name=merchant.name,
            amount=row.amount,
            transaction_time=row.transaction_time,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            scans=row.scans or 0,
            last_scanned_at=row.last_scanned_at,
        )
