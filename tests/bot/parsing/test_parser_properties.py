"""Properties of the parsers (time, amount, terminal ID) and of redaction on hostile text.

Everything here runs on text a stranger can type into the public chat: huge pastes, control and
format characters, markup, template and SQL syntax, card numbers and PINs in every spelling people
use. Each parser must answer without raising and within its contract; redaction must never let a
card number or a named PIN through.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.parsing.amount import find_amount, parse_amount
from bot.parsing.facts import extract_facts
from bot.parsing.normalize import normalize
from bot.parsing.terminal import TERMINAL_ID_LENGTH, find_terminal_id
from bot.parsing.time import TimeWindow, find_time, parse_time
from bot.text.formatting import format_amount, format_time_window
from bot.text.redaction import CARD_NUMBER, MASK, SECRET_CODE, luhn_valid, redact

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 15, 30, tzinfo=SHANGHAI)  # a Thursday

# The amount parser's own bound: anything this large is an ID, not a payment.
AMOUNT_BOUND = Decimal("1e10")

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- hostile text ----------------------------------------------------------------------

# Characters hostile or careless messages are made of: digits in three scripts, money and time
# words, labels, markup and code punctuation, control and format characters (NUL, ESC, bidi
# overrides, zero-width), emoji, and letters that case-fold or count as digits outside ASCII
# (Kelvin sign, long s, dotted I, Arabic-Indic digits).
_HOSTILE_CHARS = (
    "0123456789０１２３４５６７８９零〇一二两三四五六七八九十百千万点"
    "元块毛角分¥￥$.,:：-－—/ \u3000\u00a0\t\n\r"
    "终端号码密卡刷扣昨天下午上晚早周前后多左右不是"
    "TIDtidPOSposcvvPINpinamAMyuanrmb"
    "<>{}[]()=*;'\"`\\%&|#@!?"
    "\x00\x01\x07\x08\x1b\x7f\u0085\u2028\u202e\u202c\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e"
    "\u200f\u2060\ufeff\u00ad"
    "\u212a\u017f\u0130\u0131\u0661\u0662\u0663"
    "😡💳🇨🇳\ufe0f\u20e3"
)
_FRAGMENTS = [
    *[
        "终端号",
        "终端号:",
        "TID ",
        "terminal id ",
        "POS机号",
        "参考号",
        "卡号",
        "尾号",
        "密码是",
        "PIN ",
        "cvv ",
    ],
    *["昨天", "前天晚上", "下午3点", "三点多", "15:32", "11月24日", "(周二)", "at 3pm", "yesterday", "刚才"],
    *["128块5", "¥1,280.00", "RMB 99", "128.50", "一百二十八元", "-23.80", "扣了", "charged ", "yuan"],
    *["1029-3847", "ab12 cd34", "A1B2C3D4", "12345678", "20261124", "6222021234567890128"],
    *["不是", "不对，", "sorry ", "actually ", "not ", "余额", "balance "],
    *["<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${7*7}"],
    *["{slot}", "%s%n", "'; DROP TABLE tickets;--", " OR 1=1", "/restart", '/inform{"amount":"1"}'],
    *["../../etc/passwd", '{"text": "hi"}', "\x1b[31m", "\r\n", "\x00", "\u202e", "\u2066", "\u200b"],
    *["😭", "👨\u200d👩\u200d👧", "９９９", "１２８元", " ", "，", "。"],
    # Look-alikes: the Kelvin sign and long s fold to k and s, Arabic-Indic digits are digits too.
    *["ab12cd3\u212a", "\u017f1029384", "١٠٢٩٣٨٤٧", "不对 "],
]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),  # any Unicode Hypothesis draws (never lone surrogates)
    st.text(alphabet=_HOSTILE_CHARS, max_size=120),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=20).map("".join),
    st.text(alphabet=st.characters(max_codepoint=0x9F, whitelist_categories=("Cc",)), max_size=60),
)
# Pasted novels and floods: well past the parsers' 1000-character cut and the gateway's 2000.
HUGE_TEXT = st.tuples(
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=8).map("".join),
    st.integers(min_value=50, max_value=400),
).map(lambda piece_times: piece_times[0] * piece_times[1])


def _zones() -> st.SearchStrategy[datetime]:
    fixed = st.integers(min_value=-12, max_value=14).map(lambda h: timezone(timedelta(hours=h)))
    named = st.sampled_from([SHANGHAI, ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Europe/London")])
    return st.one_of(fixed, named).map(lambda zone: NOW.astimezone(zone))


# --- contracts -------------------------------------------------------------------------


def _check_amount(text: str, bare: bool) -> None:
    match = find_amount(text, bare_number_ok=bare)
    if match is None:
        assert parse_amount(text, bare_number_ok=bare) is None
        return
    value = match.value
    assert isinstance(value, Decimal) and value.is_finite()
    assert value == value.quantize(Decimal("0.01")), "at most two decimals (fen)"
    assert abs(value) < AMOUNT_BOUND
    assert 0 <= match.start < match.end <= len(text)
    # The parser keeps a written minus for the caller ("-23.80" in a banking app), and the caller
    # checks that the charge is positive; with no minus sign anywhere, it never goes below zero.
    if "-" not in normalize(text):
        assert value >= 0


def _check_terminal(text: str, bare: bool) -> None:
    match = find_terminal_id(text, bare_ok=bare)
    if match is None:
        return
    # Upper-case ASCII letters and digits only: what the merchant API and the validation accept.
    assert re.fullmatch(r"[A-Z0-9]+", match.value), match.value
    assert re.search(r"[0-9]", match.value)
    assert 0 <= match.start < match.end <= len(text)
    # Only a label may carry a value of the wrong length (so the bot can say what it read);
    # anything found without one is exactly eight characters.
    if not re.search(r"终端|机具|tid|terminal|pos", normalize(text), re.IGNORECASE):
        assert len(match.value) == TERMINAL_ID_LENGTH, match.value


def _check_window(window: TimeWindow, now: datetime) -> None:
    for moment in (window.start, window.end, window.point):
        assert moment.tzinfo is not None and moment.utcoffset() is not None
        assert moment.tzinfo == now.tzinfo, "in the user's own zone"
        assert re.search(r"[+-]\d\d:\d\d$", moment.isoformat()), moment.isoformat()
        assert datetime.fromisoformat(moment.isoformat()) == moment
    assert window.start <= window.point <= window.end


@FAST
@given(text=HOSTILE_TEXT, bare=st.booleans())
def test_amount_parser_answers_any_text_within_its_contract(text: str, bare: bool) -> None:
    _check_amount(text, bare)


@FAST
@given(text=HOSTILE_TEXT, bare=st.booleans())
def test_terminal_parser_answers_any_text_within_its_contract(text: str, bare: bool) -> None:
    _check_terminal(text, bare)


@SLOW
@given(text=HOSTILE_TEXT, now=_zones(), bare=st.booleans())
def test_time_parser_answers_any_text_with_aware_iso_windows(text: str, now: datetime, bare: bool) -> None:
    match = find_time(text, now, bare_ok=bare)
    if match is not None:
        _check_window(match.window, now)


@SLOW
@given(text=HUGE_TEXT, requested=st.sampled_from([None, "transaction_time", "amount", "terminal_id"]))
def test_huge_pastes_are_answered_within_every_contract(text: str, requested: str | None) -> None:
    facts = extract_facts(text, NOW, requested)
    if facts.transaction_time is not None:
        _check_window(facts.transaction_time, NOW)
    if facts.amount is not None:
        assert facts.amount == facts.amount.quantize(Decimal("0.01")) and abs(facts.amount) < AMOUNT_BOUND
    if facts.terminal_id is not None:
        assert re.fullmatch(r"[A-Z0-9]+", facts.terminal_id)
    _check_amount(text, requested == "amount")
    _check_terminal(text, requested == "terminal_id")
    assert isinstance(redact(text).text, str)


# A message that is markup, a template or SQL is no answer to "how much was taken?", even though
# the bot asked for a number and takes a bare one.
_CODE_ANSWERS = [
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    "javascript:alert({n})",
    "{{{{{n}*{n}}}}}",
    "${{{n}*{n}}}",
    "#{{{n}*{n}}}",
    "<%= {n}*{n} %>",
    "{n} OR {n}={n}",
    "' OR {n}={n}--",
    '/inform{{"amount":"{n}"}}',
    '{{"amount": {n}}}',
    "[{n}]",
]


@FAST
@given(template=st.sampled_from(_CODE_ANSWERS), number=st.integers(min_value=1, max_value=99999))
def test_markup_and_code_are_not_read_as_the_amount_asked_for(template: str, number: int) -> None:
    text = template.format(n=number)
    assert parse_amount(text, bare_number_ok=True) is None, text
    # ...and the same number written as an answer still is one.
    assert parse_amount(f"{number}", bare_number_ok=True) == Decimal(number)


# --- round trips -----------------------------------------------------------------------

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
# Filler people write around the facts: no numbers, no labels, no denial or correction words.
_ZH_FILLER = [
    "刷卡失败了",
    "钱却被扣了",
    "请帮我查查",
    "急急急",
    "怎么办啊",
    "在超市",
    "😭😭",
    "！！",
    "<b>急</b>",
]
_EN_FILLER = ["the card machine said declined", "but the money is gone", "please help", "at the shop", "???"]
FILLER = st.lists(st.sampled_from(_ZH_FILLER + _EN_FILLER), max_size=4).map(" ".join)


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


# --- redaction -------------------------------------------------------------------------

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
