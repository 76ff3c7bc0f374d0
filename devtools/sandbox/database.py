"""The sandbox's own database: transactions loaded from the contract's CSV (devtools/sandbox/seed.py),
reversal pushes, refunds.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.pool import StaticPool

from bot.merchant_api.models import (
    SearchQuery,
    Transaction,
)
from bot.private_files import make_private_sqlite

# Codes of an issuer decline: nothing was charged, so there is nothing to refund.
DECLINE_CODES = frozenset({"05", "51", "55"})
PUSHABLE_REVERSALS = frozenset({"pending", "failed"})

Base = declarative_base()


class TransactionRow(Base):
    __tablename__ = "transactions"

    transaction_id = Column(String(64), primary_key=True)
    merchant_id = Column(String(32), nullable=False, index=True)
    merchant_name = Column(String(200), nullable=False)
    terminal_id = Column(String(8), nullable=False, index=True)
    card_last4 = Column(String(4), nullable=False)
    card_type = Column(String(8), nullable=False)
    network = Column(String(16), nullable=False)
    amount_fen = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False)
    created_at_utc = Column(DateTime, nullable=False, index=True)  # naive UTC, comparable in any database
    utc_offset_minutes = Column(Integer, nullable=False)  # the offset the CSV gave, to answer with
    response_code = Column(String(2), nullable=False)
    terminal_result = Column(String(16), nullable=False)
    reversal_status = Column(String(16), nullable=False)
    settlement_status = Column(String(16), nullable=False)
    rrn = Column(String(12), nullable=True, index=True)
    voucher_no = Column(String(6), nullable=True)


class ReversalPushRow(Base):
    __tablename__ = "reversal_pushes"

    request_id = Column(String(40), primary_key=True)
    transaction_id = Column(String(64), ForeignKey("transactions.transaction_id"), nullable=False)
    idempotency_key = Column(String(100), unique=True, nullable=True)
    created_at_utc = Column(DateTime, nullable=False)


class RefundRow(Base):
    __tablename__ = "refunds"

    refund_id = Column(String(40), primary_key=True)
    transaction_id = Column(String(64), ForeignKey("transactions.transaction_id"), nullable=False)
    amount_fen = Column(Integer, nullable=False)
    reason = Column(String(500), nullable=False)
    idempotency_key = Column(String(100), unique=True, nullable=True)
    created_at_utc = Column(DateTime, nullable=False)


class RequestRefused(Exception):
    """A request the sandbox cannot carry out; `code` is the API's error code."""

    code = "bad_request"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code


class NoSuchTransaction(RequestRefused):
    """No transaction has that id."""

    code = "not_found"


class StateConflict(RequestRefused):
    """The transaction is not in a state that allows the request."""

    code = "conflict"


class AmountTooLarge(RequestRefused):
    """A refund would return more than the transaction took."""

    code = "amount_exceeds_transaction"


@dataclass(frozen=True)
class ReversalPush:
    """A recorded request to push a reversal."""

    request_id: str
    transaction_id: str


@dataclass(frozen=True)
class Refund:
    """A recorded refund request."""

    refund_id: str
    transaction_id: str
    amount: Decimal


def matches_merchant_name(stored: str, typed: str) -> bool:
    """Whether the name a customer typed and the stored name contain one another, ignoring case and width."""
    a, b = _fold(stored), _fold(typed)
    return bool(a and b) and (b in a or a in b)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _to_fen(amount: Decimal) -> int:
    return int(amount * 100)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _row(t: Transaction) -> TransactionRow:
    offset = t.created_at.utcoffset()
    assert offset is not None
    return TransactionRow(
        transaction_id=t.transaction_id,
        merchant_id=t.merchant_id,
        merchant_name=t.merchant_name,
        terminal_id=t.terminal_id,
        card_last4=t.card_last4,
        card_type=t.card_type,
        network=t.network,
        amount_fen=_to_fen(t.amount),
        currency=t.currency,
        created_at_utc=_utc(t.created_at),
        utc_offset_minutes=int(offset.total_seconds() // 60),
        response_code=t.response_code,
        terminal_result=t.terminal_result,
        reversal_status=t.reversal_status,
        settlement_status=t.settlement_status,
        rrn=t.rrn,
        voucher_no=t.voucher_no,
    )


def _transaction(row: TransactionRow) -> Transaction:
    zone = timezone(timedelta(minutes=row.utc_offset_minutes))
    return Transaction(
        transaction_id=row.transaction_id,
        merchant_id=row.merchant_id,
        merchant_name=row.merchant_name,
        terminal_id=row.terminal_id,
        card_last4=row.card_last4,
        card_type=row.card_type,
        network=row.network,
        amount=Decimal(row.amount_fen) / 100,
        currency=row.currency,
        created_at=row.created_at_utc.replace(tzinfo=timezone.utc).astimezone(zone),
        response_code=row.response_code,
        terminal_result=row.terminal_result,
        reversal_status=row.reversal_status,
        settlement_status=row.settlement_status,
        rrn=row.rrn,
        voucher_no=row.voucher_no,
    )


class SandboxDatabase:
    """The sandbox's tables; one engine for the process, one session per unit of work."""

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)

    def reset(self, transactions: Iterable[Transaction]) -> int:
        """Drop and recreate every table and load the given transactions; returns how many."""
        Base.metadata.drop_all(self.engine)
        Base.metadata.create_all(self.engine)
        rows = [_row(t) for t in transactions]
        with Session(self.engine) as session, session.begin():
            session.add_all(rows)
        return len(rows)

    def count(self) -> int:
        """How many transactions there are."""
        with Session(self.engine) as session:
            return session.execute(select(func.count()).select_from(TransactionRow)).scalar_one()

    def search(self, query: SearchQuery) -> list[Transaction]:
        """Transactions in the window that match every key of the query, oldest first."""
        statement = select(TransactionRow).where(
            TransactionRow.created_at_utc >= _utc(query.start),
            TransactionRow.created_at_utc <= _utc(query.end),
        )
        if query.terminal_id is not None:
            statement = statement.where(TransactionRow.terminal_id == query.terminal_id.upper())
        if query.amount is not None:
            statement = statement.where(TransactionRow.amount_fen == _to_fen(query.amount))
        if query.card_last4 is not None:
            statement = statement.where(TransactionRow.card_last4 == query.card_last4)
        if query.rrn is not None:
            statement = statement.where(TransactionRow.rrn == query.rrn.upper())
        if query.voucher_no is not None:
            statement = statement.where(TransactionRow.voucher_no == query.voucher_no)
        statement = statement.order_by(TransactionRow.created_at_utc, TransactionRow.transaction_id)
        with Session(self.engine) as session:
            rows = session.execute(statement).scalars().all()
            found = [_transaction(row) for row in rows]
        if query.merchant_name is not None:
            found = [t for t in found if matches_merchant_name(t.merchant_name, query.merchant_name)]
        return found

    def get(self, transaction_id: str) -> Transaction | None:
        """The transaction with this id, if there is one."""
        with Session(self.engine) as session:
            row = session.get(TransactionRow, transaction_id)
            return None if row is None else _transaction(row)

    def push_reversal(self, transaction_id: str, idempotency_key: str | None) -> ReversalPush:
        """Record a request to push the transaction's pending or failed reversal."""
        with Session(self.engine) as session, session.begin():
            row = _existing(session, transaction_id)
            if idempotency_key is not None:
                earlier = session.execute(
                    select(ReversalPushRow).where(ReversalPushRow.idempotency_key == idempotency_key)
                ).scalar_one_or_none()
                if earlier is not None:
                    if earlier.transaction_id != transaction_id:
                        raise StateConflict(
                            "this Idempotency-Key was used for another request", "idempotency_conflict"
                        )
                    return ReversalPush(earlier.request_id, earlier.transaction_id)
            if row.reversal_status not in PUSHABLE_REVERSALS:
                raise StateConflict(
                    f"transaction {transaction_id} has no pending or failed reversal "
                    f"(reversal_status is {row.reversal_status})",
                    "no_pending_reversal",
                )
            push = ReversalPushRow(
                request_id=f"RVP{uuid.uuid4().hex[:16].upper()}",
                transaction_id=transaction_id,
                idempotency_key=idempotency_key,
                created_at_utc=_now_utc(),
            )
            session.add(push)
            return ReversalPush(push.request_id, transaction_id)

    def refund(
        self, transaction_id: str, amount: Decimal, reason: str, idempotency_key: str | None
    ) -> Refund:
        """Record a refund request of at most what the transaction took, less earlier refund requests."""
        fen = _to_fen(amount)
        with Session(self.engine) as session, session.begin():
            row = _existing(session, transaction_id)
            if idempotency_key is not None:
                earlier = session.execute(
                    select(RefundRow).where(RefundRow.idempotency_key == idempotency_key)
                ).scalar_one_or_none()
                if earlier is not None:
                    if (earlier.transaction_id, earlier.amount_fen, earlier.reason) != (
                        transaction_id,
                        fen,
                        reason,
                    ):
                        raise StateConflict(
                            "this Idempotency-Key was used for another request", "idempotency_conflict"
                        )
                    return Refund(earlier.refund_id, transaction_id, Decimal(earlier.amount_fen) / 100)
            if row.response_code in DECLINE_CODES:
                raise StateConflict(
                    f"transaction {transaction_id} was declined; nothing was charged", "not_charged"
                )
            if row.settlement_status == "refunded":
                raise StateConflict(f"transaction {transaction_id} is already refunded", "already_refunded")
            requested = session.execute(
                select(func.coalesce(func.sum(RefundRow.amount_fen), 0)).where(
                    RefundRow.transaction_id == transaction_id
                )
            ).scalar_one()
            if fen > row.amount_fen - requested:
                left = Decimal(row.amount_fen - requested) / 100
                raise AmountTooLarge(
                    f"at most {left:.2f} of transaction {transaction_id} can still be refunded"
                )
            refund = RefundRow(
                refund_id=f"RFD{uuid.uuid4().hex[:16].upper()}",
                transaction_id=transaction_id,
                amount_fen=fen,
                reason=reason,
                idempotency_key=idempotency_key,
                created_at_utc=_now_utc(),
            )
            session.add(refund)
            return Refund(refund.refund_id, transaction_id, amount)

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()


def _existing(session: Session, transaction_id: str) -> TransactionRow:
    row = session.get(TransactionRow, transaction_id)
    if row is None:
        raise NoSuchTransaction(f"no transaction {transaction_id}")
    return row


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        # One in-memory database shared by every session of the process.
        return create_engine(
            url, future=True, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    make_private_sqlite(parsed)  # card data of the fake acquirer, private as the real stores are
    return create_engine(url, future=True)
