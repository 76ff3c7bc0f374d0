"""The time parser on days: parts of the day, dates, weeks and months, relative times (ago, just now,
months back), dotted and dashed dates, and ordinals that count things."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.parsing.facts import extract_facts
from bot.parsing.time import parse_time
from tests.bot.parsing.time_support import NOW, at, check, whole_day

# --- parts of the day ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("今天早上", at(26, 6), at(26, 12)),
        ("今早", at(26, 6), at(26, 12)),
        ("上午", at(26, 6), at(26, 12)),
        ("this morning", at(26, 6), at(26, 12)),
        ("前天上午", at(24, 6), at(24, 12)),
        ("yesterday morning", at(25, 6), at(25, 12)),
        ("中午", at(26, 12), at(26, 14)),
        ("今天中午", at(26, 12), at(26, 14)),
        ("yesterday at lunchtime", at(25, 12), at(25, 14)),
        ("下午", at(26, 13), at(26, 18)),
        ("前天下午", at(24, 13), at(24, 18)),
        ("11月24日下午", at(24, 13), at(24, 18)),
        ("上周五下午", at(20, 13), at(20, 18)),
        ("yesterday afternoon", at(25, 13), at(25, 18)),
        ("this afternoon", at(26, 13), at(26, 18)),
        ("傍晚", at(26, 17), at(26, 19)),
        ("晚上", at(26, 18), at(27, 0)),
        ("今晚", at(26, 18), at(27, 0)),
        ("tonight", at(26, 18), at(27, 0)),
        ("昨天晚上", at(25, 18), at(26, 0)),
        ("昨晚", at(25, 18), at(26, 0)),
        ("last night", at(25, 18), at(26, 0)),
        ("yesterday evening", at(25, 18), at(26, 0)),
        ("凌晨", at(26, 0), at(26, 6)),
    ],
)
def test_part_of_day_is_its_whole_span(text: str, start: datetime, end: datetime) -> None:
    check(text, start, end, False)


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("11月24日", whole_day(24)),
        ("11月24号", whole_day(24)),
        ("2026年11月24日", whole_day(24)),
        ("2026-11-24", whole_day(24)),
        ("2026/11/24", whole_day(24)),
        ("11/24", whole_day(24)),
        ("24号", whole_day(24)),
        ("上个月24号", whole_day(24, month=10)),
        ("昨天", whole_day(25)),
        ("yesterday", whole_day(25)),
        ("今天", whole_day(26)),
        ("today", whole_day(26)),
        ("前天", whole_day(24)),
        ("the day before yesterday", whole_day(24)),
        ("大前天", whole_day(23)),
        ("3天前", whole_day(23)),
        ("三天前", whole_day(23)),
        ("3 days ago", whole_day(23)),
        ("周三", whole_day(25)),
        ("星期三", whole_day(25)),
        ("礼拜三", whole_day(25)),
        ("周四", whole_day(26)),
        ("这周一", whole_day(23)),
        ("上周五", whole_day(20)),
        ("上礼拜五", whole_day(20)),
        ("wednesday", whole_day(25)),
        ("on wednesday", whole_day(25)),
        ("last Friday", whole_day(20)),
        ("Nov 24th", whole_day(24)),
        ("24 Nov", whole_day(24)),
        ("the 24th", whole_day(24)),
        ("明天", whole_day(27)),
        ("tomorrow", whole_day(27)),
        ("12月3日", whole_day(3, month=12, year=2025)),
    ],
)
def test_date_alone_is_the_whole_day(text: str, day: tuple[datetime, datetime]) -> None:
    check(text, *day, False)


def test_weeks_and_months_are_whole_periods() -> None:
    check("上周", at(16, 0), at(23, 0), False)
    check("last week", at(16, 0), at(23, 0), False)
    check("上个月", at(1, 0, month=10), at(1, 0, month=11), False)


# --- relative -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("两个小时前", at(26, 11, 30), at(26, 12, 30)),
        ("2小时前", at(26, 11, 30), at(26, 12, 30)),
        ("两个钟头前", at(26, 11, 30), at(26, 12, 30)),
        ("two hours ago", at(26, 11, 30), at(26, 12, 30)),
        ("2 hours ago", at(26, 11, 30), at(26, 12, 30)),
        ("一个半小时前", at(26, 12), at(26, 13)),
        ("一个小时前", at(26, 12, 40), at(26, 13, 20)),
        ("an hour ago", at(26, 12, 40), at(26, 13, 20)),
        ("半个小时前", at(26, 13, 20), at(26, 13, 40)),
        ("半小时前", at(26, 13, 20), at(26, 13, 40)),
        ("half an hour ago", at(26, 13, 20), at(26, 13, 40)),
        ("10分钟前", at(26, 13, 45), at(26, 13, 55)),
        ("10 mins ago", at(26, 13, 45), at(26, 13, 55)),
        ("几分钟前", at(26, 13, 52), at(26, 14)),
        ("a few minutes ago", at(26, 13, 52), at(26, 14)),
    ],
)
def test_ago_is_a_window_around_the_instant(text: str, start: datetime, end: datetime) -> None:
    check(text, start, end, False)


@pytest.mark.parametrize(
    "text", ["刚才", "刚刚", "我刚刷的卡", "刚在超市付款", "just now", "I just paid", "a moment ago"]
)
def test_just_now_is_the_last_twenty_minutes(text: str) -> None:
    check(text, NOW - timedelta(minutes=20), NOW, False)


@pytest.mark.parametrize(
    "text, day, hour",
    [
        ("11.23 晚上7点 刷了六十八元", 23, 19),
        ("11.24号下午三点", 24, 15),
        ("11.22 at 8pm", 22, 20),
        ("11.21 in the morning", 21, 9),
    ],
)
def test_dotted_dates_before_a_time_of_day(text: str, day: int, hour: int) -> None:
    window = parse_time(text, NOW)
    assert window is not None
    assert window.start.day == day and window.start.hour <= hour <= window.end.hour


@pytest.mark.parametrize(
    "text, day, hour",
    [
        ("11-24 15:32在便利店刷了35块", 24, 15),
        ("charged at XX STORE on 24-Nov 15:32.", 24, 15),
        ("on Nov-23 at 8pm", 23, 20),
        ("last Friday evening", 20, 19),
    ],
)
def test_dashed_dates_and_bare_day_phrases(text: str, day: int, hour: int) -> None:
    window = extract_facts(text, NOW).transaction_time
    assert window is not None
    assert window.start.day == day and window.start.hour <= hour <= (window.end - timedelta(minutes=1)).hour


@pytest.mark.parametrize(
    "text", ["the store was on the 3rd floor, shop 12", "2nd time i tried the card", "see you tomorrow"]
)
def test_ordinals_that_count_things_are_not_dates(text: str) -> None:
    assert extract_facts(text, NOW).transaction_time is None


@pytest.mark.parametrize(
    ("text", "day"),
    [("半个月前", at(11, 0)), ("一个月前", at(27, 0, month=10)), ("一个半月前", at(12, 0, month=10))],
)
def test_months_back_are_a_spread_of_days_around_the_day(text: str, day: datetime) -> None:
    window = parse_time(text, NOW)
    assert window is not None and not window.exact
    assert window.start < day < window.end
    assert timedelta(days=5) <= window.end - window.start <= timedelta(days=25)


def test_a_month_number_before_qian_is_not_months_back() -> None:
    assert parse_time("3月前", NOW) is None
