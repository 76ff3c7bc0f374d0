from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import Facts, extract_facts

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI)  # a Thursday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "start", "amount", "terminal_id"),
    [
        ("昨天下午3点 在超市刷了128块 终端号12345678", at(25, 14, 50), "128.00", "12345678"),
        (
            "昨天下午3点在超市刷了128块5 终端号 1029-3847 显示失败但是扣钱了",
            at(25, 14, 50),
            "128.50",
            "10293847",
        ),
        ("昨天下午3点128块终端号12345678", at(25, 14, 50), "128.00", "12345678"),
        ("终端号12345678 128元 今天上午10点半", at(26, 10, 25), "128.00", "12345678"),
        ("11月24日 15:32 ¥88", at(24, 15, 27), "88.00", None),
        ("11月24日15:32刷了88元", at(24, 15, 27), "88.00", None),
        ("昨天下午三點 兩百塊 終端號12345678", at(25, 14, 50), "200.00", "12345678"),
        ("前天晚上八点左右 一百二十八元五角 终端编号:1029-3847", at(24, 19, 30), "128.50", "10293847"),
        (
            "２０２６年１１月２４日 １５：３２ ￥１２８．５０ 终端号ＡＢ１２ＣＤ３４",
            at(24, 15, 27),
            "128.50",
            "AB12CD34",
        ),
        ("yesterday 3pm 128.5 rmb tid AB12CD34", at(25, 14, 50), "128.50", "AB12CD34"),
        ("tid ab12 cd34 RMB 128.5 this morning around 10:30", at(26, 10, 15), "128.50", "AB12CD34"),
        (
            "I paid ¥1,280.00 yesterday at 3:20 pm, terminal id 1029 3847",
            at(25, 15, 15),
            "1280.00",
            "10293847",
        ),
        ("two hours ago I was charged 88 yuan", at(26, 11, 30), "88.00", None),
        ("刚才刷卡失败了 扣了¥1,280.00", at(26, 13, 40), "1280.00", None),
        ("A1B2C3D4 两个小时前 三十块", at(26, 11, 30), "30.00", "A1B2C3D4"),
        ("12AB34CD yesterday 15:32 CNY 88", at(25, 15, 27), "88.00", "12AB34CD"),
        ("尾号1234的卡 昨天下午3点 刷了128块", at(25, 14, 50), "128.00", None),
        ("参考号 123456789012 昨天 88元", at(25, 0), "88.00", None),
    ],
)
def test_one_message_gives_every_fact_it_states(
    text: str, start: datetime, amount: str | None, terminal_id: str | None
) -> None:
    facts = extract_facts(text, NOW)
    assert facts.transaction_time is not None
    assert facts.transaction_time.start == start
    assert facts.amount == (Decimal(amount) if amount else None)
    assert facts.terminal_id == terminal_id
    assert facts.is_correction is False


@pytest.mark.parametrize(
    "text",
    ["11月24日 15:32", "3点", "15:32", "3pm", "2点半", "11月24日", "下午3点20", "yesterday at 3pm", "24号"],
)
def test_time_numbers_are_never_read_as_amounts(text: str) -> None:
    for slot in (None, "amount"):
        facts = extract_facts(text, NOW, slot)
        assert facts.transaction_time is not None
        assert facts.amount is None
        assert facts.terminal_id is None


@pytest.mark.parametrize("text", ["终端号 12345678", "tid AB12CD34", "终端编号 1029-3847", "A1B2C3D4"])
def test_terminal_id_digits_are_never_read_as_amounts_or_times(text: str) -> None:
    for slot in (None, "amount", "transaction_time"):
        facts = extract_facts(text, NOW, slot)
        assert facts.terminal_id is not None
        assert facts.amount is None
        assert facts.transaction_time is None


def test_requested_amount_makes_a_bare_number_an_amount() -> None:
    assert extract_facts("128", NOW).amount is None
    assert extract_facts("128", NOW, "amount").amount == Decimal("128.00")
    assert extract_facts("大概128吧", NOW, "amount").amount == Decimal("128.00")
    assert extract_facts("it was 128.5", NOW, "amount").amount == Decimal("128.50")
    assert extract_facts("128", NOW, "terminal_id").amount is None
    assert extract_facts("128", NOW, "transaction_time").amount is None


def test_requested_terminal_id_makes_a_bare_token_the_terminal_id() -> None:
    assert extract_facts("10293847", NOW).terminal_id is None
    for text in ("10293847", "1029 3847", "1029-3847", "是12345678"):
        facts = extract_facts(text, NOW, "terminal_id")
        assert facts.terminal_id == text.replace(" ", "").replace("-", "").replace("是", "")
        assert facts.amount is None and facts.transaction_time is None
    assert extract_facts("10293847", NOW, "amount").terminal_id is None


def test_requested_time_makes_a_bare_hour_a_time() -> None:
    assert extract_facts("3", NOW).transaction_time is None
    facts = extract_facts("3", NOW, "transaction_time")
    assert facts.transaction_time is not None and facts.transaction_time.start == at(25, 14, 50)
    assert facts.amount is None
    for text, start in (("3点", at(25, 14, 50)), ("15:30", at(26, 15, 25)), ("3pm", at(26, 14, 50))):
        facts = extract_facts(text, NOW, "transaction_time")
        assert facts.transaction_time is not None and facts.transaction_time.start == start
        assert facts.amount is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("不对，是138", "138.00"),
        ("说错了，138块", "138.00"),
        ("sorry it was 138 not 128", "138.00"),
        ("actually it was 138", "138.00"),
        ("not 128, 138", "138.00"),
        ("不是128是138", "138.00"),
        ("no wait, 138", "138.00"),
        ("i made a mistake, 138", "138.00"),
        ("no, 138", "138.00"),
    ],
)
def test_correction_marker_makes_the_corrected_number_an_amount(text: str, amount: str) -> None:
    facts = extract_facts(text, NOW)
    assert facts.is_correction
    assert facts.amount == Decimal(amount)


def test_correction_of_time_and_terminal_id() -> None:
    facts = extract_facts("不对 是前天下午", NOW)
    assert facts.is_correction
    assert facts.transaction_time is not None and facts.transaction_time.start == at(24, 13)
    facts = extract_facts("sorry, the tid is AB12CD35", NOW)
    assert facts.is_correction and facts.terminal_id == "AB12CD35"


@pytest.mark.parametrize(
    "text",
    [
        "刷卡失败了但是钱被扣了",
        "钱扣错了",
        "something went wrong with my payment",
        "金额是128元",
        "my card was charged",
        "你好",
        "no money came back",
        "I have no idea what the terminal id is",
    ],
)
def test_complaints_are_not_corrections(text: str) -> None:
    assert extract_facts(text, NOW).is_correction is False


@pytest.mark.parametrize(
    "text",
    [
        "今天油价多少",
        "深圳明天会下雨吗",
        "今天先聊到这",
        "see you tomorrow",
        "what's the weather today",
        "i opened a ticket 3 days ago, any news",
        "上周申请的那个工单怎么样了",
        "晚上好",
        "取消刚才的申请",
        "刚才问的问题还没回答",
    ],
)
def test_a_day_mentioned_in_chit_chat_is_not_a_transaction_time(text: str) -> None:
    assert extract_facts(text, NOW).transaction_time is None


def test_a_day_counts_with_payment_context_or_when_asked() -> None:
    facts = extract_facts("今天刷卡失败了", NOW)
    assert facts.transaction_time is not None and facts.transaction_time.start == at(26, 0)
    facts = extract_facts("yesterday my card was declined", NOW)
    assert facts.transaction_time is not None and facts.transaction_time.start == at(25, 0)
    facts = extract_facts("今天", NOW, "transaction_time")
    assert facts.transaction_time is not None and facts.transaction_time.start == at(26, 0)
    facts = extract_facts("昨天晚上", NOW, "amount")
    assert facts.transaction_time is not None and facts.transaction_time.start == at(25, 18)
    facts = extract_facts("11月24日", NOW)
    assert facts.transaction_time is not None and facts.transaction_time.start == at(24, 0)


def test_message_without_facts_gives_empty_facts() -> None:
    assert extract_facts("你好，我的卡刷卡失败了", NOW) == Facts(None, None, None, False)
    assert extract_facts("", NOW) == Facts(None, None, None, False)


def test_extract_facts_is_fast() -> None:
    messages = [
        "昨天下午3点 在超市刷了128块 终端号12345678",
        "yesterday 3pm 128.5 rmb tid AB12CD34",
        "11月24日 15:32 ¥88",
        "两个小时前 三十块",
    ]
    for text in messages:  # warm Duckling up for both languages
        extract_facts(text, NOW)
    started = time.perf_counter()
    rounds = 50
    for _ in range(rounds):
        for text in messages:
            extract_facts(text, NOW)
    per_call = (time.perf_counter() - started) / (rounds * len(messages))
    assert per_call < 0.05


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "昨天",
                    "下午",
                    "3点",
                    "多",
                    "128",
                    "块",
                    "5",
                    "终端号",
                    "12345678",
                    "tid ",
                    "AB12",
                    "CD34",
                    "¥",
                    "rmb",
                    " ",
                    "不对",
                    "sorry",
                    "not ",
                    "15:32",
                    "11月24日",
                    "刚才",
                    "ago",
                    "two hours ",
                ]
            ),
            max_size=20,
        ).map("".join),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    ),
    slot=st.sampled_from([None, "transaction_time", "amount", "terminal_id"]),
)
def test_never_raises_on_arbitrary_text(text: str, slot: str | None) -> None:
    facts = extract_facts(text, NOW, slot)
    window = facts.transaction_time
    if window is not None:
        assert window.end >= window.start
        assert window.end - window.start <= timedelta(days=31)
    if facts.amount is not None:
        assert facts.amount == facts.amount.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "text, terminal_id",
    [
        ("终端号打错了 应该是8873 6621 不是8873 6612", "88736621"),
        ("不是1029-3847 是1029-3874", "10293874"),
        ("not 1029-3847, it's 1029-3874", "10293874"),
        ("no, the terminal id is 8873 6621 not 8873 6612", "88736621"),
    ],
)
def test_terminal_id_corrections_leave_no_amount(text: str, terminal_id: str) -> None:
    facts = extract_facts(text, NOW)
    assert facts.terminal_id == terminal_id
    assert facts.amount is None
