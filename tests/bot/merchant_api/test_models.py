"""The shared model: exact amounts, aware times, and the JSON form both sides use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.merchant_api.models import (
    RefundRequest,
    ReversalRequest,
    SearchQuery,
    Transaction,
    format_amount,
    parse_amount,
    parse_datetime,
)
from tests.bot.merchant_api.spec import OpenAPISpec

CST = timezone(timedelta(hours=8))
SAMPLE = Transaction(
    transaction_id="TXN0005",
    merchant_id="898290054990001",
    merchant_name="全家便利店(徐汇店)",
    terminal_id="10293847",
    card_last4="3821",
    card_type="debit",
    network="unionpay",
    amount=Decimal("128.50"),
    currency="CNY",
    created_at=datetime(2025, 11, 24, 15, 32, 8, tzinfo=CST),
    response_code="00",
    terminal_result="failed",
    reversal_status="pending",
    settlement_status="unsettled",
    rrn="831212129288",
    voucher_no="081394",
)


def test_json_round_trip_matches_the_spec() -> None:
    data = SAMPLE.to_json()
    assert data["amount"] == "128.50" and data["created_at"] == "2025-11-24T15:32:08+08:00"
    OpenAPISpec().validate(data, OpenAPISpec().component("Transaction"), "Transaction")
    assert Transaction.from_json(data) == SAMPLE


def test_optional_receipt_keys_may_be_missing_or_null() -> None:
    data = SAMPLE.to_json()
    del data["rrn"]
    data["voucher_no"] = None
    parsed = Transaction.from_json(data)
    assert parsed.rrn is None and parsed.voucher_no is None


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 128.5},
        {"amount": "128.505"},
        {"amount": "-1.00"},
        {"created_at": "2025-11-24T15:32:08"},
        {"card_type": "prepaid"},
        {"reversal_status": "unknown"},
        {"terminal_id": ""},
    ],
)
def test_malformed_fields_are_refused(change: dict) -> None:
    with pytest.raises(ValueError):
        Transaction.from_json({**SAMPLE.to_json(), **change})


def test_a_missing_field_is_a_value_error() -> None:
    data = SAMPLE.to_json()
    del data["network"]
    with pytest.raises(ValueError, match="network"):
        Transaction.from_json(data)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_amounts_round_trip_to_the_fen(fen: int) -> None:
    amount = Decimal(fen) / 100
    text = format_amount(amount)
    assert parse_amount(text) == amount and text == f"{fen // 100}.{fen % 100:02d}"


def test_amounts_never_round() -> None:
    assert parse_amount("128.5") == Decimal("128.50")
    for bad in ("1.005", "1e3", " 1", "１２", ""):
        with pytest.raises(ValueError):
            parse_amount(bad)
    with pytest.raises(ValueError):
        format_amount(Decimal("1.005"))


def test_times_need_an_offset() -> None:
    assert parse_datetime("2025-11-24T07:32:08Z") == datetime(2025, 11, 24, 15, 32, 8, tzinfo=CST)
    with pytest.raises(ValueError):
        parse_datetime("2025-11-24T15:32:08")


def test_search_query_needs_an_aware_ordered_window() -> None:
    start = datetime(2025, 11, 24, 15, 0, tzinfo=CST)
    with pytest.raises(ValueError):
        SearchQuery(start=start.replace(tzinfo=None), end=start)
    with pytest.raises(ValueError):
        SearchQuery(start=start, end=start - timedelta(minutes=1))


def test_search_params_carry_only_the_given_keys() -> None:
    start = datetime(2025, 11, 24, 15, 0, tzinfo=CST)
    query = SearchQuery(
        start=start, end=start + timedelta(hours=1), terminal_id="10293847", amount=Decimal("128.5")
    )
    assert query.to_params() == {
        "start": "2025-11-24T15:00:00+08:00",
        "end": "2025-11-24T16:00:00+08:00",
        "terminal_id": "10293847",
        "amount": "128.50",
    }


def test_receipts_of_the_action_requests() -> None:
    assert ReversalRequest.from_json(
        {"request_id": "RVP1", "transaction_id": "TXN0005", "status": "accepted"}
    ) == ReversalRequest("RVP1", "TXN0005", "accepted")
    refund = RefundRequest.from_json(
        {"refund_id": "RFD1", "transaction_id": "TXN0005", "amount": "12.00", "status": "accepted"}
    )
    assert refund.amount == Decimal("12.00")
    with pytest.raises(ValueError):
        RefundRequest.from_json({"refund_id": "RFD1"})
