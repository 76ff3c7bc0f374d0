from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.parsing.time import TimeWindow
from bot.parsing.validation import (
    AMOUNT_NOT_POSITIVE,
    AMOUNT_OVER_LIMIT,
    TERMINAL_ID_SHAPE,
    TIME_IN_FUTURE,
    TIME_TOO_OLD,
    check_amount,
    check_terminal_id,
    check_transaction_time,
)

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def window(start: datetime, minutes: int = 10) -> TimeWindow:
    return TimeWindow(start=start, end=start + timedelta(minutes=minutes), exact=False)


@pytest.mark.parametrize(
    "start, expected",
    [
        (NOW - timedelta(hours=1), None),
        (NOW - timedelta(days=119), None),
        (NOW + timedelta(minutes=2), None),  # phone clocks drift
        (NOW + timedelta(hours=1), TIME_IN_FUTURE),
        (NOW - timedelta(days=121), TIME_TOO_OLD),
    ],
)
def test_transaction_time(start: datetime, expected: str | None) -> None:
    assert check_transaction_time(window(start), NOW, max_age_days=120) == expected


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("0.01", None),
        ("50000", None),
        ("0", AMOUNT_NOT_POSITIVE),
        ("-5", AMOUNT_NOT_POSITIVE),
        ("50000.01", AMOUNT_OVER_LIMIT),
    ],
)
def test_amount(amount: str, expected: str | None) -> None:
    assert check_amount(Decimal(amount), Decimal("50000")) == expected


@pytest.mark.parametrize(
    "terminal_id, expected",
    [
        ("12345678", None),
        ("AB12CD34", None),
        ("1234567", TERMINAL_ID_SHAPE),
        ("123456789", TERMINAL_ID_SHAPE),
        ("ABCD123？", TERMINAL_ID_SHAPE),
        ("１２３４５６７８", TERMINAL_ID_SHAPE),
    ],
)
def test_terminal_id(terminal_id: str, expected: str | None) -> None:
    assert check_terminal_id(terminal_id) == expected
