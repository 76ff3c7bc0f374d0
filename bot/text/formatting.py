"""How facts are shown back to the customer, in their language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.parsing.time import TimeWindow

_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_amount(amount: Decimal) -> str:
    """¥1,280.00 — the same in both languages."""
    return f"¥{amount:,.2f}"


def format_date(day: date, language: str) -> str:
    """A quoted date as people write it: "11月28日(周五)" or "Friday 28 November"."""
    if language == "zh":
        return f"{day.month}月{day.day}日(周{_ZH_WEEKDAYS[day.weekday()]})"
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"


def _date(moment: datetime, language: str) -> str:
    """The day inside a time window: "11月28日(周五)" or the short "Fri 28 Nov"."""
    if language == "zh":
        return format_date(moment, language)
    return f"{_EN_WEEKDAYS[moment.weekday()][:3]} {moment.day} {_EN_MONTHS[moment.month - 1][:3]}"


def format_time_window(window: TimeWindow, language: str) -> str:
    """A window as a person would say it: a minute, a stretch of hours, or a whole day."""
    start, end = window.start, window.end
    if window.exact:
        return f"{_date(window.point, language)} {window.point:%H:%M}"
    if end - start >= timedelta(hours=20):
        return _date(window.point, language)
    if start.date() != end.date() and end.time() != datetime.min.time():
        span_zh = f"{_date(start, 'zh')} {start:%H:%M} 至 {_date(end, 'zh')} {end:%H:%M}"
        span_en = f"between {_date(start, 'en')} {start:%H:%M} and {_date(end, 'en')} {end:%H:%M}"
        return span_zh if language == "zh" else span_en
    end_label = "24:00" if end.time() == datetime.min.time() and end > start else f"{end:%H:%M}"
    if language == "zh":
        return f"{_date(start, language)} {start:%H:%M}–{end_label} 之间"
    return f"{_date(start, language)}, between {start:%H:%M} and {end_label}"
