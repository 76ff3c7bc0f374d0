"""The moment the time parser's tests are asked at (a Thursday afternoon in Shanghai), and helpers to
name a minute, a whole day, and check a parsed window."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.parsing.time import parse_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI)  # a Thursday


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def whole_day(day: int, month: int = 11, year: int = 2026) -> tuple[datetime, datetime]:
    start = at(day, 0, month=month, year=year)
    return start, start + timedelta(days=1)


def check(text: str, start: datetime, end: datetime, exact: bool, now: datetime = NOW) -> None:
    window = parse_time(text, now)
    assert window is not None, text
    assert (window.start, window.end, window.exact) == (start, end, exact), text
