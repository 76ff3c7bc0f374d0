"""Properties of the parsers on facts in filler: the bot's own amount and time formats read back as
the same amount and minute, and an amount or terminal ID written among filler is found.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.parsing.amount import parse_amount
from bot.parsing.terminal import TERMINAL_ID_LENGTH, find_terminal_id
from bot.parsing.time import TimeWindow, parse_time
from bot.text.formatting import format_amount, format_time_window
from tests.bot.parsing.strategies import FAST, FILLER, NOW, SLOW

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


@FAST
@given(amount=AMOUNTS, before=FILLER, after=FILLER)
def test_the_bots_own_amount_format_reads_back_as_the_same_amount(
    amount: Decimal, before: str, after: str
) -> None:
    shown = format_amount(amount)  # "¥1,280.00", as the bot reads a fact back
    assert parse_amount(shown) == amount
    assert parse_amount(f"{before} {shown} {after}") == amount


@FAST
@given(
    amount=AMOUNTS,
    spelling=st.sampled_from(
        ["{x}元", "{x} 元", "{x}块", "RMB {x}", "{x} yuan", "¥{c}", "扣了{x}", "charged {x}"]
    ),
    before=FILLER,
    after=FILLER,
)
def test_an_amount_in_filler_is_found(amount: Decimal, spelling: str, before: str, after: str) -> None:
    written = spelling.format(x=format(amount, "f"), c=format(amount, ",.2f"))
    assert parse_amount(f"{before} {written} {after}") == amount


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TERMINAL_IDS = (
    st.text(alphabet=_ALNUM, min_size=TERMINAL_ID_LENGTH, max_size=TERMINAL_ID_LENGTH)
    .filter(lambda tid: re.search(r"[0-9]", tid) and re.search(r"[A-Z]", tid))
    .filter(lambda tid: not re.fullmatch(r"[0-9]+(?:YUAN|RMB|CNY|KUAI)|(?:RMB|CNY)[0-9]+", tid))
)
_TID_FILLER = [
    "刷卡失败了",
    "钱却被扣了",
    "请帮我查查",
    "急",
    "😭",
    "please help",
    "the machine said declined",
]


@FAST
@given(
    tid=TERMINAL_IDS,
    lower=st.booleans(),
    label=st.sampled_from(["", "终端号 ", "终端号：", "TID: ", "tid ", "terminal id "]),
    before=st.lists(st.sampled_from(_TID_FILLER), max_size=3).map(" ".join),
    after=st.lists(st.sampled_from(_TID_FILLER), max_size=3).map(" ".join),
)
def test_a_terminal_id_in_filler_is_found(tid: str, lower: bool, label: str, before: str, after: str) -> None:
    written = tid.lower() if lower else tid
    assert find_terminal_id(f"{before} {label}{written} {after}") is not None
    assert find_terminal_id(f"{before} {label}{written} {after}").value == tid


@SLOW
@given(
    days_ago=st.integers(min_value=0, max_value=60),
    minute_of_day=st.integers(min_value=0, max_value=24 * 60 - 1),
    language=st.sampled_from(["zh", "en"]),
    before=FILLER,
)
def test_the_bots_own_time_format_reads_back_as_the_same_minute(
    days_ago: int, minute_of_day: int, language: str, before: str
) -> None:
    day = (NOW - timedelta(days=days_ago)).replace(hour=0, minute=0)
    named = day + timedelta(minutes=minute_of_day)
    assume(named <= NOW)
    shown = format_time_window(
        TimeWindow(named - timedelta(minutes=5), named + timedelta(minutes=5), True), language
    )
    # What a customer sends who copies the bot's read-back to correct the time.
    window = parse_time(f"{before} {shown}", NOW)
    assert window is not None, shown
    assert window.point == named, shown
