"""Removes card numbers, PINs and CVVs from a message before anything stores or logs it."""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "[***]"

CARD_NUMBER = "card_number"
SECRET_CODE = "secret_code"

# 13–19 digits, optionally grouped by single spaces or dashes (as printed on a card).
_CARD_CANDIDATE = re.compile(r"(?<![0-9])(?:[0-9][ \-]?){12,18}[0-9](?![0-9])")

# A PIN, CVV/CVN2 or card password named as such, followed by its 3–6 digits.
_SECRET_LABEL = (
    r"(?:"
    r"(?:取款|支付|交易|银行卡|卡|查询)?密\s*码|安全码|校验码|验证码|"
    r"pin(?:\s*(?:code|number|no\.?))?|passcode|password|pwd|"
    r"cvv2?|cvc2?|cvn2?|card\s*verification\s*(?:value|code)?|security\s*code"
    r")"
)
_SECRET = re.compile(
    _SECRET_LABEL
    + r"(?P<gap>\s*(?:is|was|=|:|：|是|为|為|就是|输的|輸的|的)?\s*(?:是)?\s*)"
    + r"(?P<digits>(?:[0-9][ \-]?){2,5}[0-9])(?![0-9])",
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


def redact(text: str) -> Redaction:
    """Mask Luhn-valid card numbers and labelled PINs/CVVs; everything else stays as typed."""
    text = _normalise_digits(text)
    removed: list[str] = []

    def mask_card(match: re.Match[str]) -> str:
        digits = re.sub(r"[ \-]", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            removed.append(CARD_NUMBER)
            return MASK
        return match.group(0)

    def mask_secret(match: re.Match[str]) -> str:
        removed.append(SECRET_CODE)
        return match.group(0)[: match.start("digits") - match.start(0)] + MASK

    text = _CARD_CANDIDATE.sub(mask_card, text)
    text = _SECRET.sub(mask_secret, text)
    return Redaction(text=text, removed=tuple(dict.fromkeys(removed)))
