"""Removes card numbers, PINs and CVVs from a message before anything stores or logs it."""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "[***]"

CARD_NUMBER = "card_number"
SECRET_CODE = "secret_code"

# Characters nobody sees: a paste (or a hostile user) can put them between digits, where they
# must not hide a number from the patterns below. Soft hyphen, zero-width and joiner characters,
# the directional marks, embeddings, overrides and isolates, and the byte-order mark.
_INVISIBLE = "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# What separates the digit groups of a card number as people write it: any space (also no-break,
# ideographic and line breaks), dashes, and the invisible characters; up to three in a row
# ("6222 - 0212", a double space).
_SEPARATOR = rf"[\s\-\u2010-\u2015{_INVISIBLE}]"
_DIGIT_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEPARATOR}{{1,3}}[0-9]+)*")
_DIGIT_GROUP = re.compile(r"[0-9]+")
# Dots separate a card number only in the printed shapes (4-4-4-4, 4-4-4-4-3, Amex 4-6-5): dots
# are decimal points and dates everywhere else.
_DOTTED_CARD = re.compile(
    r"(?<![0-9.])(?:[0-9]{4}(?:\.[0-9]{4}){2,3}(?:\.[0-9]{1,3})?|[0-9]{4}\.[0-9]{6}\.[0-9]{5})(?![0-9]|\.[0-9])"
)
_CARD_DIGITS = range(13, 20)
# A number the customer calls a card number is one even when a typo breaks its Luhn check: 13–19
# digits after the label are masked all the same (one wrong digit would otherwise leave 18 of 19).
_CARD_LABELLED = re.compile(
    r"(?:银行卡号|卡号|card\s*(?:number|no\.?|num|#))"
    + rf"[\s{_INVISIBLE}]*(?:(?:is|was|=|:|：|是|为|為)[\s{_INVISIBLE}]*){{0,2}}"
    + rf"(?P<digits>[0-9](?:{_SEPARATOR}{{0,3}}[0-9]){{12,18}})(?![0-9])",
    re.IGNORECASE,
)

# A PIN, CVV/CVN2 or card password named as such, followed by its 3–6 digits (Arabic, or Chinese
# numerals as a voice keyboard writes them: 密码是一二三四五六).
_SECRET_LABEL = (
    r"(?:"
    r"(?:取款|支付|交易|银行卡|卡|查询)?密\s*码|卡密|口令|安全码|校验码|验证码|"
    r"(?<![a-z])(?:pin(?:\s*(?:码|code|number|no\.?))?|passcode|password|pwd|"
    r"(?:cvv2?|cvc2?|cvn2?)(?:\s*码)?|card\s*verification\s*(?:value|code)?|security\s*code"
    # The CVV described rather than named: "the 3 digits on the back (of my card) are ...".
    r"|(?:the\s+)?(?:3|three)[\s-]*digits?\s+(?:code\s+)?(?:on|at)\s+the\s+back(?:\s+of\s+(?:my|the)\s+card)?"
    r"|(?:the\s+)?(?:code|number)\s+on\s+the\s+back(?:\s+of\s+(?:my|the)\s+card)?)"
    r"|(?:卡)?(?:背面|反面|后面|背后)(?:的)?(?:那)?(?:三位数?|3位数?|数字|号码|签名栏(?:的)?(?:三位)?数?)"
    r")"
)
_SECRET_DIGIT = "[0-9零〇一二三四五六七八九幺两]"
_GAP_SPACE = rf"[\s{_INVISIBLE}]*"
# Between the label and the digits: "is", "是", a colon, "'s" ... or a couple of them ("为：").
_GAP_WORD = r"(?:is|was|are|were|=|:|：|是|为|為|就是|输的|輸的|的|'s|’s|#)"
_SECRET = re.compile(
    _SECRET_LABEL
    + rf"(?P<gap>{_GAP_SPACE}(?:{_GAP_WORD}{_GAP_SPACE}){{0,3}})"
    + rf"(?P<digits>(?:{_SECRET_DIGIT}[ \-{_INVISIBLE}]?){{2,5}}{_SECRET_DIGIT})(?!{_SECRET_DIGIT})",
    re.IGNORECASE,
)


_CODE_AFTER_CARD = re.compile(
    r"\[\*\*\*\](?:[\s,;:/]*(?:exp(?:iry|ires)?\.?|valid(?:\s+thru)?|有效期(?:至)?)?[\s:]*"
    r"[0-9]{2}\s*/\s*[0-9]{2,4})?[\s,;:/\-]+(?P<code>[0-9]{3})(?![0-9])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Redaction:
    text: str
    removed: tuple[str, ...]  # kinds of data removed, e.g. ("card_number",)


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


def _normalise_digits(text: str) -> str:
    # Full-width digits and separators are common on Chinese phone keyboards.
    return text.translate(
        {ord(full): ord(half) for full, half in zip("０１２３４５６７８９－　", "0123456789- ", strict=True)}
    )


def _card_spans(run: re.Match[str]) -> list[tuple[int, int]]:
    """The spans of a run of digit groups that hold a Luhn-valid card number.

    Every stretch of whole groups with 13–19 digits is checked, not only the whole run: a card
    number one space away from an amount or a date ("扣了128 6222 …", "… 1111 12月5号") is still
    one. Every group of a valid stretch is masked, so that a stretch that passes by chance and
    overlaps the real number cannot leave part of it behind.
    """
    groups = [(m.start(), m.end()) for m in _DIGIT_GROUP.finditer(run.group(0))]
    masked = [False] * len(groups)
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            start, end = groups[last]
            digits += run.group(0)[start:end]
            if len(digits) > _CARD_DIGITS[-1]:
                break
            if len(digits) in _CARD_DIGITS and luhn_valid(digits):
                masked[first : last + 1] = [True] * (last + 1 - first)
    spans: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(groups):
        if not masked[index]:
            continue
        if spans and index > 0 and masked[index - 1]:
            spans[-1] = (spans[-1][0], run.start() + end)  # one mask over the whole number
        else:
            spans.append((run.start() + start, run.start() + end))
    return spans


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + MASK + text[end:]
    return text


def redact(text: str) -> Redaction:
    """Mask Luhn-valid card numbers, numbers called card numbers, and labelled PINs/CVVs; everything
    else stays as typed."""
    text = _normalise_digits(text)
    removed: list[str] = []

    dotted = [m.span() for m in _DOTTED_CARD.finditer(text) if luhn_valid(m.group(0).replace(".", ""))]
    text = _mask(text, dotted)
    cards = [span for run in _DIGIT_RUN.finditer(text) for span in _card_spans(run)]
    text = _mask(text, cards)
    labelled = [m.span("digits") for m in _CARD_LABELLED.finditer(text)]
    text = _mask(text, labelled)
    cards += labelled
    if dotted or cards:
        removed.append(CARD_NUMBER)

    def mask_secret(match: re.Match[str]) -> str:
        removed.append(SECRET_CODE)
        return match.group(0)[: match.start("digits") - match.start(0)] + MASK

    text = _SECRET.sub(mask_secret, text)
    # Three digits right after a card number (and its expiry) are its CVV.
    after_card = [m.span("code") for m in _CODE_AFTER_CARD.finditer(text)] if cards or dotted else []
    if after_card:
        removed.append(SECRET_CODE)
        text = _mask(text, after_card)
    return Redaction(text=text, removed=tuple(dict.fromkeys(removed)))
