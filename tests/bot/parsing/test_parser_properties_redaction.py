"""Properties of redaction on hostile text: a card number in any spelling or a named PIN never gets
through, and text without them is left as typed.
"""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.text.redaction import CARD_NUMBER, MASK, SECRET_CODE, luhn_valid, redact
from tests.bot.parsing.strategies import FAST, FILLER, HOSTILE_TEXT

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_TO_ASCII = str.maketrans("０１２３４５６７８９零〇一二三四五六七八九幺两", "0123456789001234567891" + "2")


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


PANS = st.integers(min_value=12, max_value=18).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n).map(_with_check_digit)
)
# How people write a card number: grouped by four with spaces, dashes, dots, double spaces,
# ideographic or no-break spaces, line breaks and zero-width characters from a paste; one digit
# at a time; or all run together.
_SEPARATORS = ["", " ", "-", ".", "  ", " - ", "\u3000", "\u00a0", "\t", "\n", "\u200b", "－", "\u2009"]


@st.composite
def spelled_pans(draw: st.DrawFn) -> tuple[str, str]:
    pan = draw(PANS)
    separator = draw(st.sampled_from(_SEPARATORS))
    # Dots only ever come in the printed groups of four.
    size = 4 if separator == "." else draw(st.sampled_from([4, 4, 1]))
    spelled = separator.join(pan[i : i + size] for i in range(0, len(pan), size))
    if draw(st.booleans()):
        spelled = spelled.translate(_FULL_WIDTH)
    return pan, spelled


# What may stand next to a card number: labels, punctuation, and other numbers (an amount, a
# date, a terminal ID) one space away.
_NEIGHBOURS = [
    "卡号",
    "我的卡号是",
    "card number ",
    "卡号：",
    "，",
    "。",
    " ",
    "\n",
    "扣了128 ",
    "128.50元 ",
    "终端10293847 ",
]
_AFTER = ["", " ", "。", " 12月5号扣的", " 128.50元", " 有效期12/28", " 谢谢", " 1029 3847"]


def _numbers(text: str) -> list[str]:
    """Every number in text as digits, its groups joined: full-width and Chinese digits made ASCII,
    and whatever may separate the groups of one number (spaces, dashes, dots, invisible
    characters) taken out."""
    ascii_digits = text.translate(_TO_ASCII)
    joined = re.sub(
        r"(?<=[0-9])[\s\-.\u2010-\u2015\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+(?=[0-9])",
        "",
        ascii_digits,
    )
    return re.findall(r"[0-9]+", joined)


def _leaks(secret: str, text: str) -> bool:
    return any(secret in number for number in _numbers(text))


@settings(max_examples=250, deadline=None)
@given(card=spelled_pans(), before=st.sampled_from(_NEIGHBOURS), after=st.sampled_from(_AFTER), tail=FILLER)
def test_a_card_number_never_survives_redaction_in_any_spelling(
    card: tuple[str, str], before: str, after: str, tail: str
) -> None:
    pan, spelled = card
    result = redact(f"{before}{spelled}{after} {tail}")
    assert not _leaks(pan, result.text), (spelled, result.text)
    assert CARD_NUMBER in result.removed and MASK in result.text


@FAST
@given(card=spelled_pans(), text=st.text(max_size=60), more=st.text(max_size=60))
def test_a_card_number_in_random_text_never_survives(card: tuple[str, str], text: str, more: str) -> None:
    pan, spelled = card
    # "，" keeps digits of the random text from running into the number.
    result = redact(f"{text}，{spelled}，{more}")
    assert not _leaks(pan, result.text), (spelled, result.text)


_PIN_LABELS = [
    *[
        "密码",
        "密码是",
        "密码：",
        "密码为：",
        "取款密码",
        "支付密码就是",
        "卡密码 ",
        "PIN码",
        "PIN码是",
        "pin码 ",
    ],
    *["PIN ", "PIN: ", "pin is ", "my pin is ", "PIN is: ", "pin number ", "my pin's ", "password is "],
    *["CVV ", "cvv2: ", "cvv码", "CVN2是", "安全码", "security code is ", "the cvv is "],
]
_PIN_DIGITS = {
    "ascii": "0123456789",
    "full": "０１２３４５６７８９",
    "chinese": "零一二三四五六七八九",
}


@FAST
@given(
    label=st.sampled_from(_PIN_LABELS),
    script=st.sampled_from(sorted(_PIN_DIGITS)),
    pin=st.text(alphabet="0123456789", min_size=3, max_size=6),
    separator=st.sampled_from(["", "", " ", "-", "\u200b"]),
    before=FILLER,
    after=FILLER,
)
def test_a_named_pin_never_survives_redaction(
    label: str, script: str, pin: str, separator: str, before: str, after: str
) -> None:
    written = separator.join(_PIN_DIGITS[script][int(d)] for d in pin)
    result = redact(f"{before} {label}{written} {after}")
    assert SECRET_CODE in result.removed, (label, written, result.text)
    assert not _leaks(pin, result.text), (label, written, result.text)


_ORDINARY = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Nd"),
        blacklist_characters="零〇一二三四五六七八九幺两－\u3000",
    ),
    max_size=200,
)


@FAST
@given(text=_ORDINARY)
def test_text_without_digits_is_left_as_typed(text: str) -> None:
    assert redact(text).text == text and redact(text).removed == ()


@FAST
@given(number=st.text(alphabet="0123456789", min_size=13, max_size=19), before=FILLER, after=FILLER)
def test_long_numbers_that_fail_luhn_are_kept(number: str, before: str, after: str) -> None:
    # Order numbers, RRNs and phone numbers run together are no card numbers: masking them would
    # hide facts the bot needs.
    assume(not luhn_valid(number))
    assert redact(f"{before} 订单号{number} {after}").removed == ()


@FAST
@given(text=HOSTILE_TEXT)
def test_redaction_answers_any_text_and_twice_changes_nothing(text: str) -> None:
    once = redact(text)
    assert set(once.removed) <= {CARD_NUMBER, SECRET_CODE}
    # The gateway and then the REST channel both redact: the second pass must find nothing new.
    assert redact(once.text).text == once.text
