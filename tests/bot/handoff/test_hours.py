from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import SupportHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = SupportHours.parse("09:00-18:00", "mon-fri", "Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)  # 2026-11-23 is a Monday


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (at(23, 9), True),
        (at(23, 8, 59), False),
        (at(23, 17, 59), True),
        (at(23, 18), False),
        (at(28, 10), False),
    ],
)
def test_open_within_hours_on_working_days(now: datetime, is_open: bool) -> None:
    assert WEEKDAYS.is_open(now) is is_open


def test_next_opening_is_now_when_open_else_the_next_morning_of_a_working_day() -> None:
    assert WEEKDAYS.next_opening(at(23, 10)) == at(23, 10)
    assert WEEKDAYS.next_opening(at(23, 19)) == at(24, 9)
    assert WEEKDAYS.next_opening(at(23, 7)) == at(23, 9)
    assert WEEKDAYS.next_opening(at(27, 20)) == datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)  # Friday night


def test_hours_are_read_in_the_support_teams_zone() -> None:
    london_evening = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Europe/London"))  # 20:30 in Shanghai
    assert not WEEKDAYS.is_open(london_evening)
    assert WEEKDAYS.next_opening(london_evening) == at(24, 9)


def test_day_lists_and_wrapping_ranges() -> None:
    assert SupportHours.parse("10:00-12:00", "mon,wed,sat", "UTC").days == {0, 2, 5}
    assert SupportHours.parse("10:00-12:00", "fri-mon", "UTC").days == {4, 5, 6, 0}


def test_defaults_from_the_environment() -> None:
    hours = SupportHours.configured({})
    assert hours.is_open(at(28, 9)) and not hours.is_open(at(28, 21))


@pytest.mark.parametrize(
    ("hours", "days"), [("18:00-09:00", "mon"), ("9-18", "mon"), ("09:00-18:00", "funday")]
)
def test_bad_settings_are_refused(hours: str, days: str) -> None:
    with pytest.raises(ValueError):
        SupportHours.parse(hours, days, "UTC")
