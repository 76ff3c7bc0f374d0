"""The limits, moment, codes and statuses the decision tests use, and helpers to make a transaction
record, a customer's claim, and a purchase paid twice."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.lookup.decision import Claim, Decision, DecisionLimits
from bot.merchant_api.models import Transaction

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = DecisionLimits(
    max_auto_amount=Decimal("5000.00"),
    reversal_window_days=7,
    correction_window_days=20,
    duplicate_window=timedelta(minutes=10),
)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
AMOUNT = Decimal("128.50")

DECLINE_CODES = ("05", "51", "55", "14", "54", "61", "Z1", "", "XX")
REVERSAL_CODES = ("00", "68", "98", "A0", "06")
UNAVAILABLE_CODES = ("91", "96", "94")
TERMINAL_RESULTS = ("completed", "failed")
REVERSAL_STATUSES = ("none", "pending", "completed", "failed")
SETTLEMENT_STATUSES = ("unsettled", "settled", "refunded")


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def txn(transaction_id: str = "TXN0005", **fields: Any) -> Transaction:
    values: dict[str, Any] = {
        "transaction_id": transaction_id,
        "merchant_id": "898290054990001",
        "merchant_name": "全家便利店(徐汇店)",
        "terminal_id": "10293847",
        "card_last4": "3821",
        "card_type": "debit",
        "network": "unionpay",
        "amount": AMOUNT,
        "currency": "CNY",
        "created_at": at(11, 24, 15, 32, 8),
        "response_code": "00",
        "terminal_result": "failed",
        "reversal_status": "pending",
        "settlement_status": "unsettled",
    }
    values.update(fields)
    return Transaction(**values)


# A normal sale: the terminal completed and the money settled.
SALE: dict[str, Any] = {
    "terminal_result": "completed",
    "reversal_status": "none",
    "settlement_status": "settled",
}


def claim(**fields: Any) -> Claim:
    values: dict[str, Any] = {
        "start": at(11, 24, 15, 0),
        "end": at(11, 24, 16, 0),
        "amount": AMOUNT,
        "terminal_id": "10293847",
        "merchant_name": None,
    }
    values.update(fields)
    return Claim(**values)


def outcome_of(decision: Decision) -> tuple[str, str | None, str]:
    return decision.kind, decision.outcome, decision.reason


def _paid_twice() -> tuple[Transaction, Transaction]:
    first = txn(
        "TXN0008",
        created_at=at(11, 23, 17, 58, 2),
        terminal_result="failed",
        reversal_status="failed",
        settlement_status="settled",
    )
    second = txn(
        "TXN0009",
        created_at=at(11, 23, 18, 1, 36),
        terminal_result="completed",
        reversal_status="none",
        settlement_status="settled",
    )
    return first, second
