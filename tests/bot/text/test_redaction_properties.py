"""Properties of redaction as people write: a Luhn-valid card number of 13–19 digits, in any script,
with any separators between its groups, with or without a word for it before or after, inside a
Chinese or English sentence, in one message or split over two, never leaves four digits of itself in
a row; neither does a PIN or CVV named before or after its digits. And what the bot needs stays as
typed: amounts, times, dates, terminal IDs, ticket numbers, phone numbers and order numbers."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.text.redaction import CARD_NUMBER, SECRET_CODE, digit_value, luhn_valid, redact

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- how people write digits --------------------------------------------------------------------

_FULL_WIDTH = "０１２３４５６７８９"
_ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
# Each digit as a voice keyboard or a careful typist writes it in Chinese: 〇 or 零, 一 or 幺, 二 or 两.
_CHINESE = ["零〇", "一幺", "二两", "三", "四", "五", "六", "七", "八", "九"]
SCRIPTS = ["ascii", "full-width", "chinese", "arabic-indic"]
# Between groups: runs of spaces (also ideographic, no-break, line breaks), dashes, invisible
# characters from a paste; and the marks that also make decimals, dates and lists.
_SPACES = [" ", "  ", "    ", "\u3000", "\u00a0", "\n", "\t", "\u200b", "-", " - ", "－", "\u2013"]
_MARKS = ["_", "/", ",", ".", ", ", " / ", "＿", "／", "，", "、", "．"]


@st.composite
def written(draw: st.DrawFn, digits: str, script: str) -> str:
    if script == "ascii":
        return digits
    if script == "full-width":
        return "".join(_FULL_WIDTH[int(d)] for d in digits)
    if script == "arabic-indic":
        return "".join(_ARABIC_INDIC[int(d)] for d in digits)
    return "".join(draw(st.sampled_from(_CHINESE[int(d)])) for d in digits)


def by_four(digits: str) -> list[str]:
    return [digits[i : i + 4] for i in range(0, len(digits), 4)]


@st.composite
def grouped(
    draw: st.DrawFn,
    digits: str,
    *,
    ways: tuple[str, ...] = ("by four", "one by one", "whole"),
    whole: bool = True,
) -> str:
    """digits as one number: in groups of four, one at a time or run together (15 digits of a whole
    number also 4-6-5), separated by spaces, dashes, invisible characters or (only in groups of four)
    marks."""
    script = draw(st.sampled_from(SCRIPTS))
    way = draw(st.sampled_from(ways))
    if way == "whole":
        return draw(written(digits, script))
    if way == "one by one":
        groups, separator = list(digits), draw(st.sampled_from([" ", "-", "\u200b", "\u3000"]))
    else:
        groups = by_four(digits)
        if whole and len(digits) == 15 and draw(st.booleans()):
            groups = [digits[:4], digits[4:10], digits[10:]]
        separator = draw(st.sampled_from(_SPACES + _MARKS))
    return separator.join(draw(written(group, script)) for group in groups)


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


# --- what stands around them ----------------------------------------------------------------

_ZH = ["刷卡失败了", "钱却被扣了", "请帮我查查", "在超市", "急急急", "怎么办", "昨天下午", "😭"]
_EN = ["the card machine said declined", "but the money is gone", "please help", "at the shop", "???"]
SENTENCE = st.lists(st.sampled_from(_ZH + _EN), max_size=3).map(" ".join)
_CARD_BEFORE = [
    "",
    "",
    "卡号",
    "我的卡号是",
    "卡号：",
    "银行卡 ",
    "card number ",
    "my card is ",
    "the card: ",
]
_CARD_AFTER = ["", "", "。", "，", " 是我的卡", "是我的卡号", " is my card", " please"]
# Facts that may stand right next to a card number: what they are written with is part of them.
_BESIDE = ["", "扣了128块，", "12月4日 ", "at 14:05, ", "¥326 ", "终端SP55G013，"]


def numbers_in(text: str) -> list[str]:
    """Every number of text in ASCII, whatever its script, its groups joined across anything that may
    separate them (spaces, dashes, invisible characters, marks)."""
    ascii_text = "".join(digit_value(ch) or ch for ch in text)
    joined = re.sub(
        r"(?<=[0-9])[\s\-_/,.，、．／＿－\u2013\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+(?=[0-9])",
        "",
        ascii_text,
    )
    return re.findall(r"[0-9]+", joined)


def leaked(secret: str, text: str, ordinary: str = "") -> list[str]:
    """The numbers of text (not one of the ordinary text's own) holding 4 digits of the secret in a
    row; the whole secret when shorter."""
    pieces = {secret[i : i + 4] for i in range(max(1, len(secret) - 3))}
    own = set(numbers_in(ordinary))
    return [n for n in numbers_in(text) if n not in own and any(piece in n for piece in pieces)]


# --- card numbers ---------------------------------------------------------------------------


@PROPERTIES
@given(
    pan=card_numbers(),
    data=st.data(),
    before=st.sampled_from(_CARD_BEFORE),
    after=st.sampled_from(_CARD_AFTER),
    beside=st.sampled_from(_BESIDE),
    opening=SENTENCE,
    closing=SENTENCE,
)
def test_no_four_digits_of_a_card_number_survive_in_any_spelling(
    pan: str, data: st.DataObject, before: str, after: str, beside: str, opening: str, closing: str
) -> None:
    spelled = data.draw(grouped(pan))
    text = f"{opening} {beside}{before}{spelled}{after} {closing}"
    result = redact(text)
    assert not leaked(pan, result.text, f"{opening} {beside} {closing}"), (text, result.text)
    assert CARD_NUMBER in result.removed


@PROPERTIES
@given(
    pan=card_numbers(),
    data=st.data(),
    word=st.sampled_from(["", "", "卡号", "我的卡号是", "银行卡：", "my card is ", "card no. "]),
    lead=st.sampled_from(["", "", "接着是", "后面是 ", "then ", "rest: ", "还有"]),
    after=st.sampled_from(["", "。", " 谢谢", " please", "，就这些"]),
    opening=SENTENCE,
)
def test_a_card_number_split_over_two_messages_leaves_nothing_behind(
    pan: str, data: st.DataObject, word: str, lead: str, after: str, opening: str
) -> None:
    cut = data.draw(st.integers(min_value=12, max_value=len(pan) - 1))
    start, rest = pan[:cut], pan[cut:]
    # The start looks like one: printed in groups of four, or any way after a word for a card.
    ways = ("by four", "whole", "one by one") if word else ("by four",)
    first = f"{opening} {word}{data.draw(grouped(start, ways=ways, whole=False))}"
    second = f"{lead}{data.draw(grouped(rest))}{after}"
    one = redact(first)
    two = redact(second, unfinished_card=one.unfinished_card)
    assert CARD_NUMBER in one.removed, (first, one)
    if len(rest) >= 3:  # 一, 两: one or two Chinese numerals begin words as often as they end numbers
        assert CARD_NUMBER in two.removed, (first, one, second, two)
    assert not leaked(pan, one.text) and not leaked(pan, two.text), (first, one, second, two)
    # Nor across the two: what the first ends with and the second begins with, put together.
    tail, head = numbers_in(one.text)[-1:], numbers_in(two.text)[:1]
    assert not leaked(pan, "".join(tail + head)), (one.text, two.text)


@PROPERTIES
@given(pan=card_numbers(), data=st.data(), before=SENTENCE)
def test_the_rest_of_a_whole_card_number_is_no_secret_of_the_next_message(
    pan: str, data: st.DataObject, before: str
) -> None:
    """A message that ends with a whole 16- or 19-digit card number leaves nothing pending: the next
    message's amount is an amount."""
    assume(len(pan) in (16, 19))
    one = redact(f"{before} 卡号 {data.draw(grouped(pan))}")
    assert one.unfinished_card == 0
    assert redact("128", unfinished_card=one.unfinished_card).text == "128"


# --- PINs and CVVs ----------------------------------------------------------------------------

_NAMED_BEFORE = [
    *["密码", "密码是", "取款密码：", "支付密码为", "卡密码 ", "PIN码是", "安全码", "安全码：", "校验码"],
    *["CVN2", "CVN2:", "cvn2 是", "CVV", "cvv2: ", "CVC ", "卡背后三位是", "卡背面的三位数字", "背面三位"],
    *["PIN ", "my pin is ", "pin: ", "password ", "security code is ", "the cvv is ", "CVV on my card is "],
    *["the 3 digits on the back are ", "three digits on the back of my card: ", "the code on the back is "],
]
_NAMED_AFTER = [
    *[" is my pin", " is my PIN", " is the cvv", " was my password", " (PIN)", " on the back of my card"],
    *[
        "是我的密码",
        "是我的安全码",
        "是取款密码",
        "，是密码",
        "（CVN2）",
        "就是我的支付密码",
        "是卡背面的三位数字",
    ],
]


@PROPERTIES
@given(
    code=st.text(alphabet="0123456789", min_size=3, max_size=6),
    script=st.sampled_from(SCRIPTS),
    separator=st.sampled_from(["", "", "", " ", "-", "\u200b"]),
    named=st.sampled_from([("before", n) for n in _NAMED_BEFORE] + [("after", n) for n in _NAMED_AFTER]),
    data=st.data(),
    opening=SENTENCE,
    closing=SENTENCE,
)
def test_a_pin_or_cvv_named_before_or_after_its_digits_never_survives(
    code: str,
    script: str,
    separator: str,
    named: tuple[str, str],
    data: st.DataObject,
    opening: str,
    closing: str,
) -> None:
    spelled = separator.join(data.draw(written(d, script)) for d in code)
    side, name = named
    middle = f"{name}{spelled}" if side == "before" else f"{spelled}{name}"
    text = f"{opening} {middle} {closing}"
    result = redact(text)
    assert SECRET_CODE in result.removed, (text, result.text)
    assert code not in numbers_in(result.text) and not leaked(code, result.text), (text, result.text)


# --- what must survive ------------------------------------------------------------------------


def _order_numbers() -> st.SearchStrategy[str]:
    digits = st.text(alphabet="0123456789", min_size=9, max_size=9).map(lambda tail: "20261126" + tail)
    return digits.filter(lambda number: not luhn_valid(number))


_FACTS = st.one_of(
    st.decimals(min_value=1, max_value=99999, places=2).map(lambda amount: f"{amount}元"),
    st.integers(min_value=1, max_value=99999).map(lambda amount: f"¥{amount}"),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
    st.tuples(st.integers(1, 12), st.integers(1, 28)).map(lambda d: f"{d[0]}月{d[1]}日"),
    st.from_regex(r"\A[A-Z]{2}[0-9]{2}[A-Z][0-9]{3}\Z"),  # terminal IDs like SP55G013
    st.from_regex(r"\A[0-9]{8}\Z"),  # numeric terminal IDs
    st.tuples(st.integers(1, 28), st.integers(1, 9999)).map(lambda t: f"RF-202611{t[0]:02d}-{t[1]:04d}"),
    st.from_regex(r"\A1[3-9][0-9]{9}\Z"),  # mobile phone numbers
    _order_numbers(),
)
_WORDS = st.sampled_from(
    [
        *[
            "扣了",
            "在",
            "终端号",
            "工单",
            "手机",
            "订单号",
            "时间",
            "金额",
            "下午",
            "刷卡失败，",
            "，",
            "。",
            "、",
        ],
        *[" charged ", " at ", " terminal ", " ticket ", " phone ", " order ", " on ", " and ", ", "],
    ]
)


@PROPERTIES
@given(st.lists(st.tuples(_WORDS, _FACTS), min_size=1, max_size=5), _WORDS)
def test_amounts_times_ids_tickets_phones_and_order_numbers_survive(
    parts: list[tuple[str, str]], last: str
) -> None:
    text = "".join(word + fact for word, fact in parts) + last
    assert redact(text).text == text and redact(text).removed == ()


@PROPERTIES
@given(st.tuples(_WORDS, _FACTS).map("".join), st.integers(min_value=12, max_value=18))
def test_after_an_unfinished_card_number_ordinary_facts_with_their_units_survive(
    fact: str, digits: int
) -> None:
    """The next message after a card number that may go on: an amount with its unit, a time, a date, an
    ID or a longer number is no rest of it."""
    assert redact(fact, unfinished_card=digits).text == fact
