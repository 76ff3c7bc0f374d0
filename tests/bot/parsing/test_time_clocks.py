"""The time parser on clock times: named minutes (exact, ±5 minutes), hours (vague), their modifiers
(多 / -ish / after, 左右 / around, 前 / before), and dotted clock times that are not dates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.parsing.time import parse_time
from tests.bot.parsing.time_support import NOW, at, check

# --- named minutes: exact, ±5 minutes -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("11月24日 15:32", at(24, 15, 32)),
        ("11月24日15:32", at(24, 15, 32)),
        ("2026-11-24 15:32", at(24, 15, 32)),
        ("今天上午10点半", at(26, 10, 30)),
        ("上午10点半", at(26, 10, 30)),
        ("今天早上10:30", at(26, 10, 30)),
        ("下午3点20分", at(26, 15, 20)),
        ("昨天下午3点20", at(25, 15, 20)),
        ("昨天下午三点二十", at(25, 15, 20)),
        ("昨天下午三点一刻", at(25, 15, 15)),
        ("昨天15点32分", at(25, 15, 32)),
        ("昨天15时32分", at(25, 15, 32)),
        ("昨天 15:32:10", at(25, 15, 32)),
        ("中午12点半", at(26, 12, 30)),
        ("昨天晚上8点半", at(25, 20, 30)),
        ("0点30", at(26, 0, 30)),
        ("09:30", at(26, 9, 30)),
        ("3点整", at(25, 15, 0)),
        ("on Nov 24 at 15:32", at(24, 15, 32)),
        ("yesterday at 3:20 pm", at(25, 15, 20)),
        ("yesterday 3:20pm", at(25, 15, 20)),
        ("at 3:20 pm", at(26, 15, 20)),
        ("11/24 15:32", at(24, 15, 32)),
    ],
)
def test_named_minute_is_exact_with_five_minutes_each_side(text: str, named: datetime) -> None:
    window = parse_time(text, NOW)
    assert window is not None
    assert window.exact
    assert window.start == named - timedelta(minutes=5)
    assert window.end == named + timedelta(minutes=5)
    assert window.point == named


def test_bare_minute_without_half_day_is_the_latest_past_waking_one() -> None:
    # At 14:00, 15:20 today has not happened and 03:20 is not when people shop.
    check("3点20", at(25, 15, 15), at(25, 15, 25), True)
    check("3点20", at(26, 15, 15), at(26, 15, 25), True, now=at(26, 16))


def test_24_hour_minute_without_date_is_today_even_if_future() -> None:
    check("15:32", at(26, 15, 27), at(26, 15, 37), True)


# --- hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hour_at"),
    [
        ("昨天下午3点", at(25, 15)),
        ("昨天下午三点", at(25, 15)),
        ("昨天下午三點", at(25, 15)),
        ("昨天的下午3点", at(25, 15)),
        ("昨天下午 3点", at(25, 15)),
        ("今天 下午 3点", at(26, 15)),
        ("下午3点", at(26, 15)),
        ("11月24号下午3点", at(24, 15)),
        ("晚上8点", at(26, 20)),
        ("昨晚8点", at(25, 20)),
        ("今天早上8点", at(26, 8)),
        ("早上8点", at(26, 8)),
        ("上午8点", at(26, 8)),
        ("凌晨3点", at(26, 3)),
        ("中午12点", at(26, 12)),
        ("中午1点", at(26, 13)),
        ("下午一点", at(26, 13)),
        ("一点钟", at(26, 13)),
        ("晚上12点", at(27, 0)),
        ("晚上1点", at(27, 1)),
        ("15点", at(26, 15)),
        ("零点", at(26, 0)),
        ("yesterday at 3pm", at(25, 15)),
        ("yesterday 3pm", at(25, 15)),
        ("3 pm yesterday", at(25, 15)),
        ("3pm", at(26, 15)),
        ("3 p.m.", at(26, 15)),
        ("11/24 3pm", at(24, 15)),
        ("yesterday at 3 in the afternoon", at(25, 15)),
        ("last night at 9", at(25, 21)),
        ("this morning at 9", at(26, 9)),
        ("at 9", at(26, 9)),
        ("at noon", at(26, 12)),
        ("at midnight", at(26, 0)),
        ("昨天 3pm", at(25, 15)),
    ],
)
def test_named_hour_is_vague_from_ten_before_to_twenty_after(text: str, hour_at: datetime) -> None:
    check(text, hour_at - timedelta(minutes=10), hour_at + timedelta(minutes=20), False)


def test_bare_hour_picks_the_most_recent_past_waking_occurrence() -> None:
    # At 14:00, 15:00 yesterday is the latest waking "3 o'clock" that has happened.
    check("3点", at(25, 14, 50), at(25, 15, 20), False)
    check("三点", at(25, 14, 50), at(25, 15, 20), False)
    check("at 3", at(25, 14, 50), at(25, 15, 20), False)
    check("3点", at(26, 14, 50), at(26, 15, 20), False, now=at(26, 16))
    # 14:00 is "2 o'clock" that has just started.
    check("两点", at(26, 13, 50), at(26, 14, 20), False)
    # Shortly after midnight, "11点" is late last night.
    check("11点", at(25, 22, 50), at(25, 23, 20), False, now=at(26, 0, 30))
    # Morning hours stay mornings when they are the latest past reading.
    check("9点", at(26, 8, 50), at(26, 9, 20), False)
    check("10:30", at(26, 10, 25), at(26, 10, 35), True)
    # Noon, not midnight.
    check("12点", at(26, 11, 50), at(26, 12, 20), False)
    # The small hours only when the user says so.
    check("凌晨3点", at(26, 2, 50), at(26, 3, 20), False)


def test_bare_hour_with_a_date_picks_the_later_past_reading() -> None:
    check("昨天3点", at(25, 14, 50), at(25, 15, 20), False)
    check("yesterday at 3", at(25, 14, 50), at(25, 15, 20), False)


# --- modifiers: 多 / -ish / after, 左右 / around, 前 / before ------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("下午三点多", at(26, 15), at(26, 16)),
        ("下午3点多钟", at(26, 15), at(26, 16)),
        ("昨天三点多", at(25, 15), at(25, 16)),
        ("昨天下午3点以后", at(25, 15), at(25, 16)),
        ("yesterday after 3", at(25, 15), at(25, 16)),
        ("after 3pm", at(26, 15), at(26, 16)),
        ("yesterday 3-ish", at(25, 15), at(25, 16)),
        ("yesterday 3ish", at(25, 15), at(25, 16)),
        ("前天晚上八点左右", at(24, 19, 30), at(24, 20, 30)),
        ("下午3点左右", at(26, 14, 30), at(26, 15, 30)),
        ("大概下午3点", at(26, 14, 30), at(26, 15, 30)),
        ("大概是下午3点", at(26, 14, 30), at(26, 15, 30)),
        ("昨天下午3点前后", at(25, 14, 30), at(25, 15, 30)),
        ("around 3pm", at(26, 14, 30), at(26, 15, 30)),
        ("about 3 pm yesterday", at(25, 14, 30), at(25, 15, 30)),
        ("yesterday afternoon around 3", at(25, 14, 30), at(25, 15, 30)),
        ("around noon", at(26, 11, 30), at(26, 12, 30)),
        ("this morning around 10:30", at(26, 10, 15), at(26, 10, 45)),
        ("3点半左右", at(25, 15, 15), at(25, 15, 45)),
        ("昨天3点20多", at(25, 15, 20), at(25, 15, 30)),
        ("昨天下午3点前", at(25, 14), at(25, 15)),
        ("yesterday before 3pm", at(25, 14), at(25, 15)),
    ],
)
def test_modifiers_widen_or_shift_the_window(text: str, start: datetime, end: datetime) -> None:
    check(text, start, end, False)


def test_bare_three_something_at_two_pm_is_yesterday_afternoon() -> None:
    check("三点多", at(25, 15), at(25, 16), False)
    check("3-ish", at(25, 15), at(25, 16), False)
    check("after 3", at(25, 15), at(25, 16), False)
    # Later in the afternoon the same words mean this afternoon.
    check("三点多", at(26, 15), at(26, 16), False, now=at(26, 15, 40))


@pytest.mark.parametrize("text, hour, minute", [("11.40am", 11, 40), ("4.30pm", 16, 30)])
def test_dotted_clock_times_are_not_dates(text: str, hour: int, minute: int) -> None:
    window = parse_time(text, NOW)
    assert window is not None and window.exact
    assert (window.point.hour, window.point.minute) == (hour, minute)
