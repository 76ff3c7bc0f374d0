"""Removes card numbers, PINs and CVVs from text before anything stores or logs it.

One pure function for every way text comes in: `redact` for a message (the customer's, a button's
title, an agent's, a note), `redact_value` for the strings inside a message's metadata. Nothing here
knows about sentences; it knows how people write numbers:

- digits in any script: ASCII, full-width, other Unicode decimal digits, and Chinese numerals as a
  voice keyboard writes them (六二二二, 〇/零, 幺, 两, and the financial 壹贰叁...). A change of script
  ends a group of digits, so "…0128一直" keeps its 19 digits apart from the 一;
- groups of digits joined by separators: any run of spaces, dashes and invisible characters (up to
  ten in a row), or one of `_ / , .` (also full-width) with spaces around it. Those marks are also
  decimal points, dates and lists, so a number joined by them is a card number only in the printed
  shapes 4-4-4-4(-1..3), 4-6-5 and 4-6-4;
- a card number is any stretch of whole groups with 13–19 digits that passes the Luhn check
  (groups of at most six digits, or one group), wherever it stands;
- the start of a card number is hidden too, Luhn or not: three or more groups of exactly four
  digits (not all years), or 12–19 digits after a word for a card ("card", "卡", "卡号", "账号"...).
  When such a number ends a message, `Redaction.unfinished_card` says how many digits it had: the
  next message of the conversation is passed that number, and the digits it begins with are the
  rest of the card number when, with those before, they make at most 19 (unless they are plainly
  an amount, a time or a date: 128元, ¥326, 14:05, 12月4日, 128.50);
- a PIN, CVV/CVN2 or password is 3–12 digits named as such, with the name before ("密码是…",
  "CVN2: 739", "the 3 digits on the back are 739", "卡背后三位是739") or after them ("7306 is my
  pin", "739是我的安全码"); three digits right after a card number (and its expiry) are its CVV.

Masked text is stable: redacting it again changes nothing (the gateway and the REST channel both
redact). Ordinary facts stay as typed: amounts, times, dates, terminal IDs, ticket numbers, phone
numbers, and long numbers that fail the Luhn check with no card word before them (order numbers).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MASK = "[***]"

CARD_NUMBER = "card_number"
SECRET_CODE = "secret_code"

CARD_DIGITS = range(13, 20)
# The fewest digits of a card number that are hidden as one even when its end is still to come.
PARTIAL_CARD_DIGITS = 12
MAX_CARD_DIGITS = CARD_DIGITS[-1]

_CHINESE_DIGITS = {
    **dict.fromkeys("零〇", "0"),
    **dict.fromkeys("一幺壹", "1"),
    **dict.fromkeys("二两贰貳", "2"),
    **dict.fromkeys("三叁參", "3"),
    **dict.fromkeys("四肆", "4"),
    **dict.fromkeys("五伍", "5"),
    **dict.fromkeys("六陆陸", "6"),
    **dict.fromkeys("七柒", "7"),
    **dict.fromkeys("八捌", "8"),
    **dict.fromkeys("九玖", "9"),
}
# Characters nobody sees: a paste (or a hostile user) can put them between digits, where they must
# not hide a number. Soft hyphen, zero-width and joiner characters, the directional marks,
# embeddings, overrides and isolates, and the byte-order mark.
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_CHAR = re.compile(f"[{_INVISIBLE}]")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")
# Marks that separate a card number's groups as often as they separate anything else.
_MARKS = frozenset("_/,.\uff0c\u3001\uff0e\uff0f\uff3f")
_MAX_SEPARATOR_CHARS = 10

# One digit in any script, for the regexes of short codes (\d is any Unicode decimal digit).
_D = "[\\d" + "".join(_CHINESE_DIGITS) + "]"
_NOT_D = f"(?!{_D})"
_NOT_AFTER_D = f"(?<!{_D})"


@dataclass(frozen=True)
class Redaction:
    text: str
    removed: tuple[str, ...]  # kinds of data removed, e.g. ("card_number",)
    # How many digits of a card number, hidden, end this text while the number looks unfinished
    # (too short to be one, or failing the Luhn check): the next message of the same conversation
    # may carry the rest, so it is redacted with this number. 0 when nothing is pending.
    unfinished_card: int = 0


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check used by every card scheme."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def digit_value(char: str) -> str | None:
    """The ASCII digit a character stands for, in any script; None for anything else."""
    if "0" <= char <= "9":
        return char
    if char in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[char]
    value = unicodedata.decimal(char, None)
    return None if value is None else str(value)


# --- groups of digits and the numbers they make ------------------------------------------------

_STRONG, _WEAK = 1, 2  # how two groups are joined: spaces/dashes/script change, or a mark


@dataclass
class _Group:
    start: int
    end: int
    digits: str
    joint: int | None  # how it is joined to the group before it; None: it starts a number
    chinese: bool = False


def _groups(text: str) -> list[_Group]:
    """Every group of digits of one script, and how each is joined to the one before."""
    groups: list[_Group] = []
    index = 0
    length = len(text)
    while index < length:
        value = digit_value(text[index])
        if value is None:
            index += 1
            continue
        han = text[index] in _CHINESE_DIGITS
        start, digits = index, [value]
        index += 1
        while index < length and (text[index] in _CHINESE_DIGITS) == han:
            value = digit_value(text[index])
            if value is None:
                break
            digits.append(value)
            index += 1
        joint = _joint(text[groups[-1].end : start]) if groups else None
        groups.append(_Group(start, index, "".join(digits), joint, han))
    return groups


def _joint(between: str) -> int | None:
    if not between:
        return _STRONG  # the script changed: 6222〇二一二
    if len(between) > _MAX_SEPARATOR_CHARS:
        return None
    marks = 0
    for char in between:
        if char in _MARKS:
            marks += 1
        elif not (char.isspace() or char in _DASHES or _INVISIBLE_CHAR.match(char)):
            return None
    if marks > 1:
        return None
    return _WEAK if marks else _STRONG


def _numbers(groups: list[_Group]) -> list[list[int]]:
    """The indices of the groups, number by number (groups joined by separators)."""
    numbers: list[list[int]] = []
    for index, group in enumerate(groups):
        if group.joint is None or not numbers:
            numbers.append([index])
        else:
            numbers[-1].append(index)
    return numbers


_PRINTED_SHAPES = ((4, 6, 5), (4, 6, 4))


def _written_like_a_card(sizes: list[int], marked: bool) -> bool:
    """Whether groups of these sizes can be one card number as people write it. Joined by a mark
    (`_ / , .`) only the printed shapes are; by spaces or dashes, any groups of at most six digits
    (4-4-4-4, 4-6-5, one digit at a time, a stray 5) or one group."""
    if len(sizes) == 1:
        return True
    if not marked:
        return max(sizes) <= 6
    if tuple(sizes) in _PRINTED_SHAPES:
        return True
    return all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _luhn_cards(groups: list[_Group], number: list[int]) -> set[int]:
    """The groups of a number that belong to a Luhn-valid card number.

    Every stretch of whole groups with 13–19 digits is checked, not only the whole number: a card
    number one space away from an amount or a date ("扣了128 6222 …", "… 1111 12月5号") is still
    one. Every group of a valid stretch is masked, so that a stretch that passes by chance and
    overlaps the real number cannot leave part of it behind."""
    found: set[int] = set()
    for first_at, first in enumerate(number):
        digits, marked = "", False
        for last in number[first_at:]:
            digits += groups[last].digits
            if len(digits) > MAX_CARD_DIGITS:
                break
            if last != first:
                marked = marked or groups[last].joint == _WEAK
            if (
                len(digits) in CARD_DIGITS
                and luhn_valid(digits)
                and _written_like_a_card([len(groups[i].digits) for i in range(first, last + 1)], marked)
            ):
                found.update(range(first, last + 1))
    return found


def _is_year(digits: str) -> bool:
    return digits[:2] in ("19", "20")


def _four_by_four(text: str, groups: list[_Group], number: list[int]) -> set[int]:
    """The groups of a number written as a card number is printed, Luhn or not: three or more groups
    of exactly four digits in a row ("6222 0212 3456", "6222_0212_3456_7890"), and the 1–3 digits
    that may end it ("… 7890 123", not "… 12月"). Not inside an identifier with letters (AB1234-5678-
    9012, a UUID 2556f3fc-1020-4414-8561-6396954691d1) or when all are years (2024 2025 2026)."""
    found: set[int] = set()
    run: list[int] = []
    for index in [*number, None]:
        if index is not None and len(groups[index].digits) == 4:
            run.append(index)
            continue
        if (
            len(run) >= 3
            and not all(_is_year(groups[i].digits) for i in run)
            and not _in_identifier(text, groups[run[0]].start, groups[run[-1]].end)
        ):
            found.update(run)
            if index is not None and _ends_the_number(text, groups[index], 4 * len(run)):
                found.add(index)
        run = []
    return found


_IDENTIFIER_CHARS = frozenset(string.ascii_letters + string.digits + "-")


def _in_identifier(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a word of ASCII letters, digits and dashes with a letter."""
    first, last = start, end
    while first > 0 and text[first - 1] in _IDENTIFIER_CHARS:
        first -= 1
    while last < len(text) and text[last] in _IDENTIFIER_CHARS:
        last += 1
    return any(_ascii_letter(char) for char in text[first:last])


def _ends_the_number(text: str, group: _Group, digits_before: int) -> bool:
    end = group.end
    return (
        len(group.digits) <= 3
        and digits_before + len(group.digits) <= MAX_CARD_DIGITS
        and not _UNIT_AFTER.match(text, end)
        and not _ascii_letter(text[end : end + 1])
    )


def _long_chinese(groups: list[_Group], number: list[int]) -> set[int]:
    """A number of 13 digits or more written in Chinese numerals, masked whole. Nobody writes an
    amount, a date or an order number one Chinese digit at a time, and a numeral that begins the
    next word (六…八一直, 两次) cannot be told from the number's own digits, so no Luhn check and no
    shape: the whole run goes."""
    if any(groups[index].chinese for index in number) and sum(len(groups[i].digits) for i in number) >= 13:
        return set(number)
    return set()


def _ascii_letter(char: str) -> bool:
    return bool(char) and char.isascii() and char.isalpha()


# A word for a card (or its account) right before a number makes 12–19 digits a card number even
# when its check digit is wrong or its end is still to come.
_CARD_WORD = re.compile(
    r"(?:(?:银行|信用|借记|储蓄|贷记)?卡(?:片)?(?:号码|号)?|[账帳帐]号"
    r"|(?<![a-z])(?:(?:credit|debit|bank)\s*)?cards?(?:\s*(?:number|no\.?|num|#))?"
    r"|(?<![a-z])(?:account|acct\.?)(?:\s*(?:number|no\.?|#))?)"
    rf"(?:[\s{_INVISIBLE}]*(?:is|was|=|:|：|是|为|為|的|#|号码|号)(?![a-z]))*[\s{_INVISIBLE}]*",
    re.IGNORECASE,
)


def _named_cards(text: str, groups: list[_Group], numbers: list[list[int]]) -> set[int]:
    found: set[int] = set()
    number_of = {index: number for number in numbers for index in number}
    starts = {group.start: index for index, group in enumerate(groups)}
    for match in _CARD_WORD.finditer(text):
        first = starts.get(match.end())
        if first is None:
            continue
        number = number_of[first]
        taken, digits = [], 0
        for index in number[number.index(first) :]:
            if digits + len(groups[index].digits) > MAX_CARD_DIGITS:
                break
            digits += len(groups[index].digits)
            taken.append(index)
        if digits >= PARTIAL_CARD_DIGITS:
            found.update(taken)
    return found


# What makes the digits at the start of a message an amount, a time or a date rather than the rest
# of a card number: a currency sign before them, a unit after them, a decimal or clock mark inside.
_CURRENCY_BEFORE = re.compile(r"[¥￥$€£]\s*$")
_UNIT_AFTER = re.compile(
    r"\s*(?:[元块塊圆圓角毛分%％月日号號点點时時秒年岁天个個笔筆次张張]|(?:rmb|yuan|usd|cny|am|pm|a\.m|p\.m)(?![a-z])|[.:：,，/][0-9])",
    re.IGNORECASE,
)
_MAX_LEAD_CHARS = 12  # "the rest is ", "接着是": what may come before the rest of a card number


def _rest_of_card(text: str, groups: list[_Group], numbers: list[list[int]], unfinished: int) -> set[int]:
    """The groups that finish a card number begun, hidden, at the end of the message before."""
    if not unfinished or not groups:
        return set()
    first = groups[0]
    lead = text[: first.start]
    if len(lead) > _MAX_LEAD_CHARS or _CURRENCY_BEFORE.search(lead) or _ascii_letter(lead[-1:]):
        return set()
    taken, digits = [], unfinished
    for index in numbers[0]:
        group = groups[index]
        if index != 0 and group.joint == _WEAK and not _goes_on(groups[index - 1]):
            break  # "7890 123" and "7890/123" go on; "128.50", "12/5" and "2026/11/26" do not
        if digits + len(group.digits) > MAX_CARD_DIGITS:
            if group.chinese:  # 七八九零一二三一直: the numeral of the next word goes too
                taken.append(index)
            break
        digits += len(group.digits)
        taken.append(index)
    if not taken or (all(groups[i].chinese for i in taken) and digits - unfinished < 3):
        return set()  # 一共, 两次: a word that begins with a numeral
    end = groups[taken[-1]].end
    if _UNIT_AFTER.match(text, end) or _ascii_letter(text[end : end + 1]):
        return set()
    return set(taken)


def _goes_on(before: _Group) -> bool:
    """Whether the group after a mark goes on with the card number: after four digits that are no
    year ("7890/123", "7890.1"; not "2026/11/26", "128.50", "12/5"). An amount written with its unit
    or currency sign is still told apart (7890.50元)."""
    return len(before.digits) == 4 and not _is_year(before.digits)


def _spans(groups: list[_Group], numbers: list[list[int]], masked: set[int]) -> list[list[int]]:
    """Masked groups, one list per stretch to hide as one (consecutive groups of one number)."""
    spans: list[list[int]] = []
    for number in numbers:
        previous = None
        for index in number:
            if index not in masked:
                previous = None
                continue
            if previous is None:
                spans.append([index])
            else:
                spans[-1].append(index)
            previous = index
    return spans


_TAIL_WITHOUT_WORDS = re.compile(r"[\W_]*")


def _unfinished(text: str, groups: list[_Group], spans: list[list[int]], finished: set[int]) -> int:
    """Digits of the card number the text ends with, when it may go on in the next message.

    Only a number of 19 digits, or of 16 that passes the Luhn check (the commonest card), is taken
    as whole: any other may be the start of a longer one, whatever its check digit says."""
    if not spans:
        return 0
    last = spans[-1]
    if last[-1] in finished or not _TAIL_WITHOUT_WORDS.fullmatch(text, groups[last[-1]].end):
        return 0
    digits = "".join(groups[index].digits for index in last)
    if len(digits) == 16 and luhn_valid(digits):
        return 0
    return len(digits) if PARTIAL_CARD_DIGITS <= len(digits) < MAX_CARD_DIGITS else 0


# --- PINs, CVVs and passwords -------------------------------------------------------------------

_SECRET_NAME = (
    r"(?:"
    r"(?:取款|支付|交易|银行卡|信用卡|卡片?|查询|网银|登录|登陆|手机银行|6位|六位)?密\s*码|卡密|口令|安全码|校验码|验证码|动态码|"
    r"(?<![a-z])(?:pin(?:\s*(?:码|code|number|no\.?|#))?|passcode|password|passwd|pwd"
    r"|(?:cvv|cvc|cvn|cav|cid|csc)\s*2?(?:\s*(?:码|code|number|no\.?))?"
    r"|card\s*verification\s*(?:value|code|number)?|security\s*(?:code|number|digits)"
    # The CVV described rather than named: "the 3 digits on the back (of my card)".
    r"|(?:(?:the|those|these)\s+)?(?:(?:3|three|4|four)[\s-]*digits?(?:\s+(?:code|number))?|code|number|numbers|digits)"
    r"\s+(?:on|at|from|in)\s+(?:the\s+)?back(?:\s+of\s+(?:my|the|this)\s+card)?"
    r"|(?:the\s+)?back\s+of\s+(?:my|the|this)\s+card)(?![a-z])"
    # 卡背面的三个数字, 背面签名栏后三位, 背后那串数字: the back, and a few words saying which digits.
    r"|(?:卡片?|信用卡|银行卡)?(?:的)?(?:背面|反面|背后|后背)"
    r"(?:[^\d\s，。,.;；:：]{0,6}?(?:[三3３]\s*[位个](?:数字|数|号码|码|号)?|数字|号码|码))?"
    r"|(?:卡片?)?后面[的那最]*[三3３][位个](?:数字|数|号码|码|号)?"
    r")"
)
_GAP = rf"[\s{_INVISIBLE}]*"
# Between a name and its digits: "is", "是", a colon, "'s", "should be", "of my card" ... or a few.
_GAP_WORD = (
    r"(?:is|was|are|were|=|:|：|是|为|為|就是|输的|輸的|的|'s|’s|#|says?|reads?|shows?"
    r"|(?:should|might|would|could|may|must)\s+be"
    r"|(?:应该|好像|可能|大概|也)是|(?:of|on|for|from)\s+(?:my|the|this)\s+card)"
)
_CODE = rf"(?P<digits>(?:{_D}[ \-{_INVISIBLE}]?){{2,11}}{_D}){_NOT_D}"
_SECRET_BEFORE = re.compile(
    _SECRET_NAME + rf"(?P<gap>{_GAP}(?:{_GAP_WORD}{_GAP})" + "{0,3})" + _CODE, re.IGNORECASE
)
# The digits first and the name after: "7306 is my pin", "739是我的安全码", "4829 (PIN)".
_CODE_FIRST = rf"{_NOT_AFTER_D}(?P<digits>(?:{_D}[ \-{_INVISIBLE}]?){{2,7}}{_D}){_NOT_D}"
_NAMED_AFTER = (
    rf"[\s,，、:：\-—{_INVISIBLE}]*"
    r"(?:(?:(?:that|this|which|it)\s*(?:'s|’s|is|was)|is|was|=|是|为|為|就是|这是|那是|即|乃)"
    r"[\s]*(?:(?:my|the|our|your|the\s+card's|我的|我|卡的|卡片的|卡)[\s]*)?"
    r"|[(（]\s*(?:my\s+|the\s+)?)"
)
# Or where it is written: "739 on the back (of my card)", "739在卡背面".
_WRITTEN_ON_THE_BACK = (
    r"\s*(?:is\s+)?(?:on|at)\s+the\s+back(?![a-z])|(?:在|是)?(?:卡片?的?)?(?:背面|背后|反面)"
)
_SECRET_AFTER = re.compile(
    _CODE_FIRST + f"(?={_NAMED_AFTER}{_SECRET_NAME}|{_WRITTEN_ON_THE_BACK})", re.IGNORECASE
)


# Three digits right after a card number (and its expiry) are its CVV.
_CODE_AFTER_CARD = re.compile(
    r"\[\*\*\*\](?:[\s,;:/]*(?:exp(?:iry|ires)?\.?|valid(?:\s+thru)?|有效期(?:至)?)?[\s:]*"
    rf"{_D}{{2}}\s*/\s*{_D}{{2,4}})?[\s,;:/\-]+(?P<code>{_D}{{3}}){_NOT_D}",
    re.IGNORECASE,
)


def _mask_codes(text: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    spans = [m.span("digits") for m in pattern.finditer(text)]
    return _mask(text, spans), bool(spans)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + MASK + text[end:]
    return text


# Full-width digits and separators are common on Chinese phone keyboards.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９－\u3000", "0123456789- ")


# --- the two entries ----------------------------------------------------------------------------


def redact(text: str, *, unfinished_card: int = 0) -> Redaction:
    """Mask card numbers (and their starts), PINs, CVVs and passwords; everything else stays as
    typed, but for full-width digits, dashes and spaces, which are made ASCII (as the parsers read
    them). `unfinished_card` is `Redaction.unfinished_card` of the conversation's message before."""
    text = text.translate(_HALF_WIDTH)
    groups = _groups(text)
    numbers = _numbers(groups)
    complete: set[int] = set()
    for number in numbers:
        complete |= _luhn_cards(groups, number)
    started = set().union(
        *(_four_by_four(text, groups, number) | _long_chinese(groups, number) for number in numbers)
    )
    continued = _rest_of_card(text, groups, numbers, unfinished_card)
    masked = complete | started | _named_cards(text, groups, numbers) | continued
    spans = _spans(groups, numbers, masked)
    # The rest of a number goes on in no further message.
    unfinished = _unfinished(text, groups, spans, continued)
    text = _mask(text, [(groups[span[0]].start, groups[span[-1]].end) for span in spans])

    removed: list[str] = [CARD_NUMBER] if spans else []
    text, named_before = _mask_codes(text, _SECRET_BEFORE)
    text, named_after = _mask_codes(text, _SECRET_AFTER)
    after_card = False
    if spans:
        codes = [m.span("code") for m in _CODE_AFTER_CARD.finditer(text)]
        text, after_card = _mask(text, codes), bool(codes)
    if named_before or named_after or after_card:
        removed.append(SECRET_CODE)
    return Redaction(text=text, removed=tuple(removed), unfinished_card=unfinished)


_MAX_DEPTH = 32


def redact_value(value: Any) -> tuple[Any, tuple[str, ...]]:
    """A JSON-like value (a message's metadata) with every string in it redacted, keys included, and
    numbers that spell a card number masked; what was removed. Nesting past 32 levels is dropped."""
    removed: dict[str, None] = {}

    def walk(item: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(item, str):
            redaction = redact(item)
            removed.update(dict.fromkeys(redaction.removed))
            return redaction.text
        if isinstance(item, bool) or item is None:
            return item
        if isinstance(item, (int, float)):
            redaction = redact(str(item))
            removed.update(dict.fromkeys(redaction.removed))
            return MASK if redaction.removed else item
        if isinstance(item, Mapping):
            return {walk(str(key), depth + 1): walk(inner, depth + 1) for key, inner in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(inner, depth + 1) for inner in item]
        return item

    return walk(value, 0), tuple(removed)
