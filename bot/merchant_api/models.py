"""Transactions and requests of the merchant API, and their JSON form (pure, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

CardType = Literal["debit", "credit"]
Network = Literal["unionpay", "visa", "mastercard"]
TerminalResult = Literal["completed", "failed"]
ReversalStatus = Literal["none", "pending", "completed", "failed"]
SettlementStatus = Literal["unsettled", "settled", "refunded"]

CARD_TYPES: frozenset[str] = frozenset(get_args(CardType))
NETWORKS: frozenset[str] = frozenset(get_args(Network))
TERMINAL_RESULTS: frozenset[str] = frozenset(get_args(TerminalResult))
REVERSAL_STATUSES: frozenset[str] = frozenset(get_args(ReversalStatus))
SETTLEMENT_STATUSES: frozenset[str] = frozenset(get_args(SettlementStatus))

CENT = Decimal("0.01")
# A plain yuan amount with at most two decimals, as the API writes it: "128.50".
AMOUNT_PATTERN = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")


def parse_amount(text: str) -> Decimal:
    """Read an amount in yuan ("128.5", "128.50") exactly, as a Decimal with two decimals."""
    if not isinstance(text, str) or not AMOUNT_PATTERN.fullmatch(text):
        raise ValueError(f"not an amount in yuan with at most two decimals: {text!r}")
    return Decimal(text).quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """Write an amount the way the API does: "128.50"; refuses fractions of a fen."""
    try:
        exact = amount.quantize(CENT)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if exact != amount or exact < 0:
        raise ValueError(f"not an amount in yuan and fen: {amount!r}")
    return f"{exact:.2f}"


def parse_datetime(text: str) -> datetime:
    """Read an ISO 8601 time that carries its UTC offset ("Z" allowed)."""
    if not isinstance(text, str):
        raise ValueError(f"not a time: {text!r}")
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"time without a UTC offset: {text!r}")
    return value


def _choice(value: Any, allowed: frozenset[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, not {value!r}")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


@dataclass(frozen=True)
class Transaction:
    """One card payment as the merchant side recorded it."""

    transaction_id: str
    merchant_id: str  # 15 characters
    merchant_name: str
    terminal_id: str  # 8 characters
    card_last4: str
    card_type: CardType
    network: Network
    amount: Decimal  # yuan, 2 decimals
    currency: str  # "CNY"
    created_at: datetime  # aware
    response_code: str  # ISO 8583 field 39, e.g. "00", "05", "51", "68", "96", "A0"
    terminal_result: TerminalResult
    reversal_status: ReversalStatus
    settlement_status: SettlementStatus
    rrn: str | None = None  # 参考号, 12 chars (optional column)
    voucher_no: str | None = None  # 凭证号, 6 digits (optional column)

    def to_json(self) -> dict[str, Any]:
        """The API's JSON object for this transaction."""
        return {
            "transaction_id": self.transaction_id,
            "merchant_id": self.merchant_id,
            "merchant_name": self.merchant_name,
            "terminal_id": self.terminal_id,
            "card_last4": self.card_last4,
            "card_type": self.card_type,
            "network": self.network,
            "amount": format_amount(self.amount),
            "currency": self.currency,
            "created_at": self.created_at.isoformat(),
            "response_code": self.response_code,
            "terminal_result": self.terminal_result,
            "reversal_status": self.reversal_status,
            "settlement_status": self.settlement_status,
            "rrn": self.rrn,
            "voucher_no": self.voucher_no,
        }

    @classmethod
    def from_json(cls, data: Any) -> Transaction:
        """Read the API's JSON object; raises ValueError when a field is missing or malformed."""
        if not isinstance(data, dict):
            raise ValueError(f"a transaction must be an object, not {type(data).__name__}")
        try:
            return cls(
                transaction_id=_text(data["transaction_id"], "transaction_id"),
                merchant_id=_text(data["merchant_id"], "merchant_id"),
                merchant_name=_text(data["merchant_name"], "merchant_name"),
                terminal_id=_text(data["terminal_id"], "terminal_id"),
                card_last4=_text(data["card_last4"], "card_last4"),
                card_type=_choice(data["card_type"], CARD_TYPES, "card_type"),  # type: ignore[arg-type]
                network=_choice(data["network"], NETWORKS, "network"),  # type: ignore[arg-type]
                amount=parse_amount(data["amount"]),
                currency=_text(data["currency"], "currency"),
                created_at=parse_datetime(data["created_at"]),
                response_code=_text(data["response_code"], "response_code"),
                terminal_result=_choice(data["terminal_result"], TERMINAL_RESULTS, "terminal_result"),  # type: ignore[arg-type]
                reversal_status=_choice(data["reversal_status"], REVERSAL_STATUSES, "reversal_status"),  # type: ignore[arg-type]
                settlement_status=_choice(  # type: ignore[arg-type]
                    data["settlement_status"], SETTLEMENT_STATUSES, "settlement_status"
                ),
                rrn=_optional_text(data.get("rrn"), "rrn"),
                voucher_no=_optional_text(data.get("voucher_no"), "voucher_no"),
            )
        except KeyError as exc:
            raise ValueError(f"a transaction lacks the field {exc.args[0]!r}") from None


@dataclass(frozen=True)
class SearchQuery:
    """What to look for: a time window, sharpened by terminal or merchant, amount and receipt keys."""

    start: datetime  # aware window
    end: datetime
    terminal_id: str | None = None
    merchant_name: str | None = None  # fuzzy, case-insensitive substring match
    amount: Decimal | None = None  # exact; None = any amount in the window
    card_last4: str | None = None
    rrn: str | None = None
    voucher_no: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"SearchQuery.{name} must carry a UTC offset")
        if self.end < self.start:
            raise ValueError("SearchQuery.end is before its start")

    def to_params(self) -> dict[str, str]:
        """The query parameters of `GET /v1/transactions` for this search."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        optional = {
            "terminal_id": self.terminal_id,
            "merchant_name": self.merchant_name,
            "amount": None if self.amount is None else _amount_param(self.amount),
            "card_last4": self.card_last4,
            "rrn": self.rrn,
            "voucher_no": self.voucher_no,
        }
        params.update({name: value for name, value in optional.items() if value is not None})
        return params


def _amount_param(amount: Decimal) -> str:
    # A fraction of a fen goes to the server as written, which refuses it, rather than rounded here.
    try:
        return format_amount(amount)
    except ValueError:
        return str(amount)


@dataclass(frozen=True)
class ReversalRequest:
    """The merchant side's receipt for a request to push a pending reversal."""

    request_id: str
    transaction_id: str
    status: str  # "accepted"

    @classmethod
    def from_json(cls, data: Any) -> ReversalRequest:
        """Read the API's JSON answer to `POST /v1/transactions/{id}/reversal-push`."""
        if not isinstance(data, dict):
            raise ValueError("a reversal request must be an object")
        try:
            return cls(
                request_id=_text(data["request_id"], "request_id"),
                transaction_id=_text(data["transaction_id"], "transaction_id"),
                status=_text(data["status"], "status"),
            )
        except KeyError as exc:
            raise ValueError(f"a reversal request lacks the field {exc.args[0]!r}") from None


@dataclass(frozen=True)
class RefundRequest:
    """The merchant side's receipt for a refund request."""

    refund_id: str
    transaction_id: str
    amount: Decimal
    status: str  # "accepted"

    @classmethod
    def from_json(cls, data: Any) -> RefundRequest:
        """Read the API's JSON answer to `POST /v1/transactions/{id}/refunds`."""
        if not isinstance(data, dict):
            raise ValueError("a refund request must be an object")
        try:
            return cls(
                refund_id=_text(data["refund_id"], "refund_id"),
                transaction_id=_text(data["transaction_id"], "transaction_id"),
                amount=parse_amount(data["amount"]),
                status=_text(data["status"], "status"),
            )
        except KeyError as exc:
            raise ValueError(f"a refund request lacks the field {exc.args[0]!r}") from None
