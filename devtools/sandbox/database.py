"""The sandbox's own database: transactions loaded from the contract's CSV, reversal pushes, refunds.

The seed file (`seed_transactions.csv`, used when SANDBOX_TRANSACTIONS is unset) holds 81 payments at
28 merchants (35 terminals) in Shanghai, Beijing, Guangzhou, Shenzhen, Hangzhou and Chengdu over ten
days; its times are shifted on load so that the newest is about an hour old (SANDBOX_SHIFT_TO_NOW).
All amounts in yuan; every row has an RRN (参考号) and a 凭证号 unless said otherwise.

| id      | code | terminal/reversal/settlement | amount   | TID      | card  | demonstrates                 |
|---------|------|------------------------------|----------|----------|-------|------------------------------|
| TXN0001 | 51   | failed/none/unsettled        | 86.40    | 31570042 | 6217  | declined: insufficient funds |
| TXN0002 | 05   | failed/none/unsettled        | 23.50    | 20481736 | 4392W | declined: do not honour      |
| TXN0003 | 55   | failed/none/unsettled        | 215.80   | 11045602 | 0817  | declined: wrong PIN          |
| TXN0004 | 00   | failed/completed/unsettled   | 342.60   | 21450330 | 5528  | reversal completed           |
| TXN0005 | 00   | failed/pending/unsettled     | 128.50   | 10293847 | 3821  | reversal pending (全家徐汇)  |
| TXN0006 | 00   | failed/failed/settled        | 300.00   | 60218877 | 7756C | reversal failed              |
| TXN0007 | 00   | failed/none/settled          | 486.00   | 73311001 | 5412N | approved, no reversal        |
| TXN0008 | 00   | failed/failed/settled        | 260.00   | 13650071 | 4417  | duplicate: the "failed" one  |
| TXN0009 | 00   | completed/none/settled       | 260.00   | 13650071 | 4417  | ...paid again 3.5 min later  |
| TXN0010 | 00   | completed/none/settled       | 45.50    | 32004410 | 4023V | duplicate: two completed     |
| TXN0011 | 00   | completed/none/settled       | 45.50    | 32004410 | 4023V | ...debits 2.5 min apart      |
| TXN0012 | 00   | completed/none/settled       | 38.00    | 41837203 | 2291C | completed normally           |
| TXN0013 | 68   | failed/pending/unsettled     | 199.90   | 5A7C3E91 | 6608  | timeout; no RRN              |
| TXN0014 | 98   | failed/pending/unsettled     | 158.00   | 15230017 | 1386C | timeout; no RRN, no 凭证号   |
| TXN0015 | 00   | failed/pending/unsettled     | 6999.00  | 42210057 | 9902C | above 5000: escalate         |
| TXN0016 | 00   | failed/failed/settled        | 12800.00 | 42210057 | 3345  | above 5000, reversal failed  |
| TXN0017 | 00   | completed/none/settled       | 50.00    | 31570043 | 6622  | 4 candidates in 4 minutes:   |
| TXN0018 | 00   | failed/pending/unsettled     | 50.00    | 31570043 | 9035  | the customer's one           |
| TXN0019 | 51   | failed/none/unsettled        | 50.00    | 31570043 | 4410W | a decline                    |
| TXN0020 | 00   | completed/none/settled       | 50.00    | 31570043 | 7781N | someone else's sale          |
| TXN0021 | 91   | failed/none/unsettled        | 312.00   | 23907715 | 2705  | issuer unavailable           |
| TXN0022 | 96   | failed/none/unsettled        | 67.30    | 51002237 | 8864  | system malfunction           |
| TXN0023 | A0   | failed/completed/unsettled   | 425.70   | 31208847 | 1173  | MAC error, reversed          |
| TXN0024 | 06   | failed/completed/unsettled   | 89.00    | 24118802 | 6039C | refused after approval       |
| TXN0025 | 00   | completed/none/settled       | 156.20   | 52338410 | 3190  | paid once...                 |
| TXN0026 | 94   | failed/none/unsettled        | 156.20   | 52338410 | 3190  | ...duplicate transmission    |
| TXN0027 | 00   | completed/none/refunded      | 98.60    | 34420196 | 5216  | already refunded             |
| TXN0028 | 00   | failed/completed/unsettled   | 35.00    | 12870094 | 8830W | Visa credit, reversed        |
| TXN0029 | 00   | failed/pending/unsettled     | 268.00   | 14002389 | 2468N | Mastercard credit, pending   |
| TXN0030 | 00   | failed/pending/unsettled     | 20.00    | P9004521 | 7317  | parking; letters in the TID  |
| TXN0031 | 00   | completed/none/settled       | 135.00   | 1T3P0088 | 6411C | parking, completed           |
| TXN0032 | 00   | completed/none/settled       | 12.80    | 22019874 | 3057M | Mastercard debit             |
| TXN0033 | 00   | completed/none/unsettled     | 42.00    | 41837203 | 2291C | the newest row               |

Card: last 4, then C = UnionPay credit, V = Visa debit, W = Visa credit, M = Mastercard debit,
N = Mastercard credit; no letter = UnionPay debit. TXN0008/9, TXN0010/11 and TXN0025/26 are the
same card at the same terminal. Merchants: 31570042/3 联华超市(长宁店), 10293847 全家便利店(徐汇店),
42210057 苏宁易购(杭州解放路店), 41837203 星巴克(杭州西湖银泰店), 13650071 中国石油加油站(京承高速站),
32004410 麦当劳(深圳南山店), P9004521 上海久事停车场(虹桥枢纽P9); the CSV names every one.

TXN0101–TXN0148 are ordinary traffic (mostly completed, some 05/51/55 declines) at the same merchants,
including 全家便利店(人民广场店), so that "全家" matches two shops. Before the shift the newest row
(TXN0033) is 2025-11-25T20:47:19+08:00; relative spacing is kept exactly.
"""

from __future__ import annotations

import csv
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, create_engine, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.pool import StaticPool

from bot.merchant_api.models import (
    CARD_TYPES,
    NETWORKS,
    REVERSAL_STATUSES,
    SETTLEMENT_STATUSES,
    TERMINAL_RESULTS,
    SearchQuery,
    Transaction,
    parse_amount,
    parse_datetime,
)

SEED_CSV = Path(__file__).with_name("seed_transactions.csv")
CONTRACT_HEADER = [
    "transaction_id",
    "merchant_id",
    "merchant_name",
    "terminal_id",
    "card_last4",
    "card_type",
    "network",
    "amount",
    "currency",
    "created_at",
    "response_code",
    "terminal_result",
    "reversal_status",
    "settlement_status",
]
OPTIONAL_COLUMNS = ["rrn", "voucher_no"]
# Codes of an issuer decline: nothing was charged, so there is nothing to refund.
DECLINE_CODES = frozenset({"05", "51", "55"})
PUSHABLE_REVERSALS = frozenset({"pending", "failed"})

_TERMINAL_ID = re.compile(r"[0-9A-Za-z]{8}")
_LAST4 = re.compile(r"[0-9]{4}")
_RRN = re.compile(r"[0-9A-Za-z]{12}")
_VOUCHER = re.compile(r"[0-9]{6}")
_RESPONSE_CODE = re.compile(r"[0-9A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")

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


def read_transactions(path: Path) -> list[Transaction]:
    """Read a CSV of the contract (optionally with trailing rrn,voucher_no); ValueError names the line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return parse_transactions(handle, str(path))


def parse_transactions(lines: Iterable[str], path: str = "<csv>") -> list[Transaction]:
    """Parse CSV lines of the contract (see read_transactions); ValueError names the line."""
    reader = csv.reader(lines)
    header = [name.strip() for name in next(reader, [])]
    if header not in (CONTRACT_HEADER, CONTRACT_HEADER + OPTIONAL_COLUMNS):
        raise ValueError(
            f"{path}: the header must be {','.join(CONTRACT_HEADER)} "
            f"(optionally followed by {','.join(OPTIONAL_COLUMNS)}), not {','.join(header)}"
        )
    transactions: list[Transaction] = []
    seen: set[str] = set()
    for line, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            raise ValueError(f"{path}:{line}: {len(values)} fields, the header has {len(header)}")
        try:
            transaction = _transaction_from_row(dict(zip(header, values, strict=True)))
        except ValueError as exc:
            raise ValueError(f"{path}:{line}: {exc}") from None
        if transaction.transaction_id in seen:
            raise ValueError(f"{path}:{line}: transaction_id {transaction.transaction_id} repeats")
        seen.add(transaction.transaction_id)
        transactions.append(transaction)
    return transactions


def _transaction_from_row(row: dict[str, str]) -> Transaction:
    row = {name: value.strip() for name, value in row.items()}
    for name in ("transaction_id", "merchant_id", "merchant_name"):
        if not row[name]:
            raise ValueError(f"{name} is empty")
    checks = {
        "terminal_id": _TERMINAL_ID,
        "card_last4": _LAST4,
        "currency": _CURRENCY,
        "response_code": _RESPONSE_CODE,
    }
    for name, pattern in checks.items():
        if not pattern.fullmatch(row[name]):
            raise ValueError(f"{name} {row[name]!r} is malformed")
    choices = {
        "card_type": CARD_TYPES,
        "network": NETWORKS,
        "terminal_result": TERMINAL_RESULTS,
        "reversal_status": REVERSAL_STATUSES,
        "settlement_status": SETTLEMENT_STATUSES,
    }
    for name, allowed in choices.items():
        if row[name] not in allowed:
            raise ValueError(f"{name} must be one of {sorted(allowed)}, not {row[name]!r}")
    rrn, voucher = row.get("rrn") or None, row.get("voucher_no") or None
    if rrn is not None and not _RRN.fullmatch(rrn):
        raise ValueError(f"rrn {rrn!r} is not 12 letters or digits")
    if voucher is not None and not _VOUCHER.fullmatch(voucher):
        raise ValueError(f"voucher_no {voucher!r} is not 6 digits")
    return Transaction(
        transaction_id=row["transaction_id"],
        merchant_id=row["merchant_id"],
        merchant_name=row["merchant_name"],
        terminal_id=row["terminal_id"].upper(),
        card_last4=row["card_last4"],
        card_type=row["card_type"],  # type: ignore[arg-type]
        network=row["network"],  # type: ignore[arg-type]
        amount=parse_amount(row["amount"]),
        currency=row["currency"],
        created_at=parse_datetime(row["created_at"]),
        response_code=row["response_code"],
        terminal_result=row["terminal_result"],  # type: ignore[arg-type]
        reversal_status=row["reversal_status"],  # type: ignore[arg-type]
        settlement_status=row["settlement_status"],  # type: ignore[arg-type]
        rrn=rrn.upper() if rrn else None,
        voucher_no=voucher,
    )


def shift_to_now(
    transactions: Sequence[Transaction], now: datetime, lead: timedelta = timedelta(hours=1)
) -> list[Transaction]:
    """Move every time by one whole-minute shift so that the newest is about `lead` before `now`."""
    if not transactions:
        return []
    newest = max(t.created_at for t in transactions)
    shift = now - lead - newest
    shift -= timedelta(seconds=shift.total_seconds() % 60)  # whole minutes keep the seed's seconds
    return [replace(t, created_at=t.created_at + shift) for t in transactions]


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
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True)
