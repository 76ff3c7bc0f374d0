from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.parsing.time import TimeWindow
from bot.text.formatting import format_amount, format_date, format_time_window

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def test_amount_has_yuan_sign_and_two_decimals() -> None:
    assert format_amount(Decimal("1280")) == "¥1,280.00"
    assert format_amount(Decimal("128.5")) == "¥128.50"


def test_exact_minute() -> None:
    exact = TimeWindow(at(24, 15, 27), at(24, 15, 37), exact=True)
    assert format_time_window(exact, "zh") == "11月24日(周二) 15:32"
    assert format_time_window(exact, "en") == "Tue 24 Nov 15:32"


def test_a_stretch_of_hours() -> None:
    vague = TimeWindow(at(25, 15), at(25, 16), exact=False)
    assert format_time_window(vague, "zh") == "11月25日(周三) 15:00–16:00 之间"
    assert format_time_window(vague, "en") == "Wed 25 Nov, between 15:00 and 16:00"


def test_a_whole_day() -> None:
    day = TimeWindow(at(24, 0), at(24, 0) + timedelta(days=1), exact=False)
    assert format_time_window(day, "zh") == "11月24日(周二)"
    assert format_time_window(day, "en") == "Tue 24 Nov"


def test_an_evening_ending_at_midnight() -> None:
    evening = TimeWindow(at(25, 18), at(26, 0), exact=False)
    assert format_time_window(evening, "en") == "Wed 25 Nov, between 18:00 and 24:00"


@pytest.mark.parametrize(
    "day, zh, en",
    [
        (date(2025, 11, 28), "11月28日(周五)", "Friday 28 November"),
        (date(2026, 10, 10), "10月10日(周六)", "Saturday 10 October"),
        (date(2026, 11, 29), "11月29日(周日)", "Sunday 29 November"),
        (date(2027, 1, 4), "1月4日(周一)", "Monday 4 January"),
    ],
)
def test_format_date(day: date, zh: str, en: str) -> None:
    assert format_date(day, "zh") == zh
    assert format_date(day, "en") == en
