"""The time parser on whole messages: times found inside them, receipt formats and spoken English, chat
spellings and shop names, and what is not a time (greetings, promises, ranges, counts)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.parsing.time import parse_time
from tests.bot.parsing.time_support import NOW, at, check

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
        "RF-20261120-0042-X",
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
