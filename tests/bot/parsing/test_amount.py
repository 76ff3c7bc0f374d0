from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing.amount import find_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥128.50", "128.50"),
        ("￥128.5", "128.50"),
        ("¥ 128", "128.00"),
        ("¥1,280.00", "1280.00"),
        ("128块5", "128.50"),
        ("128块5毛", "128.50"),
        ("128块50", "128.50"),
        ("128元5角3分", "128.53"),
        ("5毛", "0.50"),
        ("五毛钱", "0.50"),
        ("五毛五", "0.55"),
        ("一块五", "1.50"),
        ("一百二十八元五角", "128.50"),
        ("一百二十八块五", "128.50"),
        ("一百二十八点五元", "128.50"),
        ("三十块", "30.00"),
        ("两百块", "200.00"),
        ("兩百塊", "200.00"),
        ("两块钱", "2.00"),
        ("一千零五元", "1005.00"),
        ("1,280.00 元", "1280.00"),
        ("1280元", "1280.00"),
        ("2千块", "2000.00"),
        ("1.5万元", "15000.00"),
        ("RMB 128.5", "128.50"),
        ("rmb128.5", "128.50"),
        ("人民币128元", "128.00"),
        ("CNY 88", "88.00"),
        ("88rmb", "88.00"),
        ("88 RMB", "88.00"),
        ("128.5 yuan", "128.50"),
        ("128 yuan 50", "128.50"),
        ("128 kuai", "128.00"),
        ("128 bucks", "128.00"),
        ("128元", "128.00"),
        ("１２８元", "128.00"),
        ("１２８．５元", "128.50"),
        ("-50元", "-50.00"),
        ("¥-50", "-50.00"),
        ("-¥50", "-50.00"),
        ("0元", "0.00"),
        ("3点5元", "3.50"),
        ("999999 yuan", "999999.00"),
    ],
)
def test_reads_amounts_with_a_currency_mark(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
    assert parse_amount(text, bare_number_ok=True) == Decimal(expected)


def test_result_is_quantized_to_fen() -> None:
    value = parse_amount("128块5")
    assert value is not None
    assert value.as_tuple().exponent == -2
    assert parse_amount("¥12.345") == Decimal("12.35")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天下午3点 在超市刷了128块 终端号12345678", "128.00"),
        ("昨天下午3点128块", "128.00"),
        ("3点128块", "128.00"),
        ("下午3点 128块", "128.00"),
        ("11月24日 15:32 ¥88", "88.00"),
        ("yesterday 3pm 128.5 rmb tid AB12CD34", "128.50"),
        ("昨天下午三點 兩百塊 終端號12345678", "200.00"),
        ("尾号1234的卡扣了128元", "128.00"),
        ("tid 1234 128元", "128.00"),
        ("2小时前扣了128元", "128.00"),
        ("扣了两次 每次128元", "128.00"),
        ("余额还有500元，扣了128元", "128.00"),
        ("128块，不对，是138块", "138.00"),
        ("不是128元是138元", "138.00"),
        ("I was charged 88 yuan at 7-11", "88.00"),
        ("it was 88 yuan", "88.00"),
    ],
)
def test_reads_the_amount_inside_a_message(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "3点",
        "三点",
        "15:32",
        "3pm",
        "at 3",
        "11月24日",
        "24号",
        "the 24th",
        "2点半",
        "2026-11-24",
        "终端号 12345678",
        "终端号 1029-3847",
        "tid AB12CD34",
        "A1B2C3D4",
        "1029-3847",
        "尾号1234",
        "卡号尾号1234",
        "last 4 digits 1234",
        "the last 4 digits are 1234",
        "card ending in 1234",
        "RF-20261120-0042",
        "ticket RF-20261120-0042",
        "RF-20261120-0042-X",
        "工单 rf-20261120-0042-x 怎么样了",
        "参考号 123456789012",
        "参考号:123456",
        "凭证号 000123",
        "reference number 123456",
        "商户号 123456789012345",
        "13812345678",
        "6222 0212 3456 7890",
        "2小时前",
        "10分钟前",
        "刷了2次",
        "100%",
        "我们一块去",
        "十分感谢",
        "",
        "你好",
    ],
)
def test_other_numbers_are_not_amounts(text: str) -> None:
    assert parse_amount(text) is None
    assert parse_amount(text, bare_number_ok=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("128", "128.00"),
        ("128.5", "128.50"),
        ("大概128吧", "128.00"),
        ("it was 128", "128.00"),
        ("１２８", "128.00"),
        ("一百二十八", "128.00"),
        ("-50", "-50.00"),
        ("128 我确定是128", "128.00"),
    ],
)
def test_bare_number_counts_only_when_asked(text: str, expected: str) -> None:
    assert parse_amount(text) is None
    assert parse_amount(text, bare_number_ok=True) == Decimal(expected)


@pytest.mark.parametrize("text", ["128 或者 138", "128 or 138", "1029 3847", "1 2", "3点 12345678"])
def test_several_bare_numbers_are_ambiguous(text: str) -> None:
    assert parse_amount(text, bare_number_ok=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不对，是138", "138.00"),
        ("说错了 138", "138.00"),
        ("sorry it was 138 not 128", "138.00"),
        ("sorry, 138 not 128", "138.00"),
        ("not 128, it was 138", "138.00"),
        ("actually 138", "138.00"),
        ("不是128是138", "138.00"),
        ("不是128，是138", "138.00"),
        ("应该是138", "138.00"),
    ],
)
def test_correction_takes_the_value_that_is_not_denied(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
    assert parse_amount(text, bare_number_ok=True) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("被扣了56", "56.00"),
        ("卡里扣了我56 但是没买成", "56.00"),
        ("消费了12.5", "12.50"),
        ("付了300 没成功", "300.00"),
        ("金额为88", "88.00"),
        ("交易金额：88", "88.00"),
        ("总共花了三百二", "320.00"),
        ("结果扣了两千一", "2100.00"),
        ("they charged me 66.6", "66.60"),
        ("i was charged 41.5 anyway", "41.50"),
        ("77 was deducted", "77.00"),
        ("88 got taken from my card", "88.00"),
        ("the amount is 45", "45.00"),
        ("123.45 left my account", "123.45"),
        ("my app shows -23.80", "-23.80"),
        ("两次扣款 每次 1,245.00", "1245.00"),
    ],
)
def test_a_payment_word_or_fen_makes_a_number_an_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two hundred rmb", "200.00"),
        ("fifty kuai", "50.00"),
        ("rmb two hundred", "200.00"),
        ("one hundred and twenty eight yuan", "128.00"),
        ("二十元零五角", "20.50"),
        ("三百二十块", "320.00"),
    ],
)
def test_spelled_out_numbers(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("waited 3 days and the 264 from the bakery is still gone", "264.00"),
        ("my 86 at Lawson failed", "86.00"),
    ],
)
def test_a_sum_named_by_where_it_was_paid(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["the 3 from the list", "I was the 2 at the counter"])
def test_a_position_is_not_a_sum(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two hundred fifteen yuan thirty", "215.30"),
        ("eighty eight yuan ninety nine", "88.99"),
        ("seven oh five rmb", "7.05"),
        ("one hundred and four sixty five yuan", "104.65"),
        ("sixty six eleven", "66.11"),
        ("fourteen-twenty", "14.20"),
    ],
)
def test_fen_read_out_after_a_spelled_amount(text: str, expected: str) -> None:
    assert parse_amount(text, bare_number_ok=True) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two hundred yuan, sixty people in the queue", "200.00"),  # a count after it, not fen
        ("ninety yuan forty five hundred", "90.00"),  # the words go on: a longer number
        ("two hundred yuan and thirty minutes later", "200.00"),
    ],
)
def test_words_after_a_spelled_amount_that_are_no_fen(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "the screen shows 51",
        "error code 51",
        "刷了3下",
        "扣了我两次",
        "余额还有500元",
        "balance 12.50",
        "it took 30 minutes",
        "11.24 20:30",
        "two charges",
        "金额是多少",
        "算了 几十块钱而已",
        "扣了一百多块",
    ],
)
def test_numbers_without_payment_meaning_are_not_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_find_amount_reports_its_span() -> None:
    text = "刷了128块5 显示失败"
    match = find_amount(text)
    assert match is not None
    assert text[match.start : match.end] == "128块5"


# --- properties -----------------------------------------------------------------------

_AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2, allow_nan=False)
_SPELLINGS = [
    "¥{x}",
    "￥{x}",
    "{x}元",
    "{x} 元",
    "{x}块",
    "RMB {x}",
    "rmb{x}",
    "CNY {x}",
    "{x} yuan",
    "{x}rmb",
    "¥{c}",
    "{c} 元",
    "RMB {c}",
    "{c} yuan",
]


@settings(max_examples=300, deadline=None)
@given(amount=_AMOUNTS, spelling=st.sampled_from(_SPELLINGS), wrap=st.booleans())
def test_amount_round_trips_through_its_spellings(amount: Decimal, spelling: str, wrap: bool) -> None:
    text = spelling.format(x=format(amount, "f"), c=format(amount, ",.2f"))
    if wrap:
        text = f"刷卡失败 扣了{text} 请退款"
    assert parse_amount(text) == amount


@settings(max_examples=200, deadline=None)
@given(amount=_AMOUNTS.filter(lambda d: d > 0))
def test_negative_sign_is_kept_for_the_caller(amount: Decimal) -> None:
    assert parse_amount(f"-{format(amount, 'f')}元") == -amount


@settings(max_examples=100, deadline=None)
@given(amount=st.decimals(min_value=1, max_value=99999, places=0))
def test_bare_number_round_trips_when_asked(amount: Decimal) -> None:
    assert parse_amount(str(amount), bare_number_ok=True) == amount


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(list("0123456789.,-¥￥元块毛角分点十百千万两一二三 rmbyuan不是sorry")),
            max_size=40,
        ).map("".join),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    ),
    bare=st.booleans(),
)
def test_never_raises_and_returns_fen(text: str, bare: bool) -> None:
    value = parse_amount(text, bare_number_ok=bare)
    if value is not None:
        assert value == value.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("刷了两次 每次99.9", "99.90"),
        ("扣了两笔 每笔45.5", "45.50"),
        ("charged twice, 45.5 each time", "45.50"),
        ("余额少了25块5 我余额本来有300的", "25.50"),
        ("my balance dropped by 30.5 rmb", "30.50"),
    ],
)
def test_per_charge_and_balance_drop_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("上周六下午在宜家刷卡2999 显示交易失败", "2999.00"),
        ("刷卡失败了 但是扣了钱 一共是三百五", "350.00"),
        ("a couple hours ago I tried to pay 150 at a noodle shop", "150.00"),
        ("3 days ago i pay 500 at gas station, failed", "500.00"),
        ("the card machine said failed, charge 88.8", "88.80"),
    ],
)
def test_amounts_after_a_payment_verb(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
