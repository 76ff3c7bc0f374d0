from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.facts import extract_facts
from bot.parsing.time import TimeWindow, find_time, parse_time

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


# --- in context ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "exact"),
    [
        ("昨天下午3点 在超市刷了128块 终端号12345678", at(25, 14, 50), at(25, 15, 20), False),
        ("昨天下午3点在超市刷了128块5终端号10293847显示失败", at(25, 14, 50), at(25, 15, 20), False),
        ("昨天下午三點 兩百塊 終端號12345678", at(25, 14, 50), at(25, 15, 20), False),
        ("昨天下午３：２０刷卡失败", at(25, 15, 15), at(25, 15, 25), True),
        ("yesterday 3pm 128.5 rmb tid AB12CD34", at(25, 14, 50), at(25, 15, 20), False),
        ("I paid 88 yuan at 7-11 yesterday at 3pm", at(25, 14, 50), at(25, 15, 20), False),
        ("不是3点是4点", at(25, 15, 50), at(25, 16, 20), False),
        ("不是昨天，是前天下午", at(24, 13), at(24, 18), False),
        ("sorry it was 4pm not 3pm", at(26, 15, 50), at(26, 16, 20), False),
        ("昨天下午3点128块", at(25, 14, 50), at(25, 15, 20), False),
    ],
)
def test_time_is_found_inside_a_full_message(text: str, start: datetime, end: datetime, exact: bool) -> None:
    check(text, start, end, exact)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "你好",
        "刷卡失败但是钱被扣了",
        "my card payment failed but the money was taken",
        "128块",
        "¥128.50",
        "八点五元",
        "一百二十八元五角",
        "it was 128",
        "128.5",
        "终端号 12345678",
        "tid AB12CD34",
        "尾号1234",
        "last 4 digits 1234",
        "RF-20261120-0042",
        "参考号 123456789012",
        "20261124",
        "12345678",
        "我一点都不知道",
        "差一点",
        "有一点问题",
        "100%",
        "😀😀😀",
        "paid at 7-11",
    ],
)
def test_nothing_time_like_gives_none(text: str) -> None:
    assert parse_time(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "start", "end", "exact"),
    [
        ("2026/11/25 10:08", at(25, 10, 3), at(25, 10, 13), True),
        ("11月25日 9:15", at(25, 9, 10), at(25, 9, 20), True),
        # A clock time written beside a calendar date is read as written, in both languages.
        ("on Nov 24 at 10:56", at(24, 10, 51), at(24, 11, 1), True),
        ("24 Nov, 10:56", at(24, 10, 51), at(24, 11, 1), True),
        ("on the 24th of November at 10:56", at(24, 10, 51), at(24, 11, 1), True),
        ("Nov 24th 21:10", at(24, 21, 5), at(24, 21, 15), True),
        ("on Nov 24 at 10:56pm", at(24, 22, 51), at(24, 23, 1), True),
        ("11.24 20:30", at(24, 20, 25), at(24, 20, 35), True),
        ("24/11 at 3pm", at(24, 14, 50), at(24, 15, 20), False),
        ("on 21/11", at(21, 0), at(22, 0), False),
        ("half past 4 yesterday", at(25, 16, 25), at(25, 16, 35), True),
        ("yesterday at about half past 4", at(25, 16, 15), at(25, 16, 45), False),
        ("quarter past 9 this morning", at(26, 9, 10), at(26, 9, 20), True),
        ("quarter to 4", at(25, 15, 40), at(25, 15, 50), True),
        ("the day before yesterday around noon", at(24, 11, 30), at(24, 12, 30), False),
        ("actually it was monday evening not tuesday", at(23, 18), at(24, 0), False),
    ],
)
def test_receipt_formats_and_spoken_english(text: str, start: datetime, end: datetime, exact: bool) -> None:
    check(text, start, end, exact)


@pytest.mark.parametrize(
    "text",
    [
        "下午好",
        "晚上好 在吗",
        "早上好，我想问一下",
        "晚安",
        "good evening, anyone there",
        "good morning",
        "morning bot",
        "evening all",
        "night night",
        "the first try failed",
        "you will get it in 3 days",
    ],
)
def test_greetings_and_future_promises_are_not_times(text: str) -> None:
    assert parse_time(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "start", "end", "exact"),
    [
        ("yday around 6pm", at(25, 17, 30), at(25, 18, 30), False),
        ("yest 3pm", at(25, 14, 50), at(25, 15, 20), False),
        ("last nite 10pm", at(25, 21, 50), at(25, 22, 20), False),
        ("this moring at 9", at(26, 8, 50), at(26, 9, 20), False),
        ("昨儿个晚上七点来钟", at(25, 18, 30), at(25, 19, 30), False),
        ("22.11 at 19:30", at(22, 19, 25), at(22, 19, 35), True),
        ("it was 88 yuan this morning at 7-eleven", at(26, 6), at(26, 12), False),
        ("paid at 7 eleven yesterday", at(25, 0), at(26, 0), False),
        ("20 past 3 yesterday", at(25, 15, 15), at(25, 15, 25), True),
        ("10 minutes to 4", at(25, 15, 45), at(25, 15, 55), True),
        ("时间不对 应该是下午四点", at(26, 15, 50), at(26, 16, 20), False),
    ],
)
def test_chat_spellings_and_shop_names(text: str, start: datetime, end: datetime, exact: bool) -> None:
    check(text, start, end, exact)


@pytest.mark.parametrize(
    "text",
    [
        "you said 3 to 5 days and it's been 7",
        "收據上哪一個號碼是終端號",
        "刚才那个说错了",
        "取消刚才的申请",
        "刚刚说的不对",
    ],
)
def test_ranges_counts_and_earlier_messages_are_not_times(text: str) -> None:
    assert parse_time(text, NOW) is None


def test_a_part_of_day_alone_is_still_a_time() -> None:
    check("morning", at(26, 6), at(26, 12), False)
    check("下午", at(26, 13), at(26, 18), False)


# --- time zones and the window type ---------------------------------------------------


def test_fixed_offset_now_gives_the_same_answer_as_the_zone() -> None:
    fixed = NOW.astimezone(timezone(timedelta(hours=8)))
    window = parse_time("昨天下午3点20", fixed)
    assert window is not None
    assert window.point == at(25, 15, 20)
    assert window.point.utcoffset() == timedelta(hours=8)


def test_relative_dates_resolve_in_the_users_zone() -> None:
    new_york = NOW.astimezone(ZoneInfo("America/New_York"))  # 01:00 on Nov 26 there
    window = parse_time("yesterday at 3pm", new_york)
    assert window is not None
    assert window.start == datetime(2026, 11, 25, 14, 50, tzinfo=ZoneInfo("America/New_York"))
    utc_window = parse_time("yesterday", NOW.astimezone(timezone.utc))  # 06:00 UTC, Nov 26
    assert utc_window is not None
    assert utc_window.start == datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_point_is_the_midpoint_of_a_vague_window() -> None:
    window = TimeWindow(at(26, 15), at(26, 16), exact=False)
    assert window.point == at(26, 15, 30)


def test_find_time_reports_the_spans_it_used() -> None:
    text = "11月24日 15:32 ¥88"
    match = find_time(text, NOW)
    assert match is not None
    covered = {i for start, end in match.spans for i in range(start, end)}
    assert {text.index("24"), text.index("15"), text.index("32")} <= covered
    assert text.index("88") not in covered


def test_bare_number_is_a_time_only_when_the_bot_asked_for_one() -> None:
    assert find_time("3", NOW) is None
    match = find_time("3", NOW, bare_ok=True)
    assert match is not None
    assert match.window.start == at(25, 14, 50)
    match = find_time("1530", NOW, bare_ok=True)
    assert match is not None and match.window.point == at(26, 15, 30)
    assert find_time("128", NOW, bare_ok=True) is None


def test_huge_input_is_cut_and_still_answers() -> None:
    window = parse_time("昨天下午3点 " + "啊" * 100_000, NOW)
    assert window is not None and window.start == at(25, 14, 50)


# --- properties -----------------------------------------------------------------------

_TIME_ALPHABET = st.sampled_from(
    [
        *"0123456789０１２点时分半多左右前后天号月日年上下午晚早昨今刚才周星期¥元块:-/ ",
        *["am", "pm", "ago", "at ", "yesterday", "around", "hours", "\x00", "😀", "\ufeff"],
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(_TIME_ALPHABET, max_size=30).map("".join),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    ),
    offset_hours=st.integers(min_value=-12, max_value=14),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_never_raises_and_windows_are_well_formed(text: str, offset_hours: int, minutes: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=offset_hours))) + timedelta(minutes=minutes)
    window = parse_time(text, now)
    if window is not None:
        assert window.start.tzinfo is not None and window.end.tzinfo is not None
        assert window.end >= window.start
        assert window.start <= window.point <= window.end
        if window.exact:
            assert window.end - window.start == timedelta(minutes=10)


@settings(max_examples=100, deadline=None)
@given(
    hour=st.integers(min_value=1, max_value=12),
    minute=st.integers(min_value=0, max_value=59),
    now_minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_ambiguous_clock_never_lands_in_the_future(hour: int, minute: int, now_minutes: int) -> None:
    now = datetime.combine(date(2026, 11, 26), datetime.min.time(), SHANGHAI) + timedelta(minutes=now_minutes)
    window = parse_time(f"{hour}点{minute}分", now)
    assert window is not None and window.exact
    assert window.start <= now
    # The latest waking reading is at most a day back ("12点0分" just before noon).
    assert now - window.point < timedelta(hours=24)


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


@pytest.mark.parametrize("text, hour, minute", [("11.40am", 11, 40), ("4.30pm", 16, 30)])
def test_dotted_clock_times_are_not_dates(text: str, hour: int, minute: int) -> None:
    window = parse_time(text, NOW)
    assert window is not None and window.exact
    assert (window.point.hour, window.point.minute) == (hour, minute)


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
