"""The sharper lookup keys a customer may have: card last 4, reference number (参考号), 凭证号."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.normalize import normalize

MAX_CHARS = 1000

_LAST4 = re.compile(
    r"(?:尾号|尾數|尾数|后四位|後四位|末四位|最后四位|卡号后四位|卡尾号?"
    r"|(?<![a-z])(?:last\s*(?:4|four)(?:\s*digits?)?|ending(?:\s+in|\s+with)?|ends\s+(?:in|with)))"
    r"\s*(?:是|为|:|：|is|are|=)?\s*(?:\*+\s*)?(?P<v>\d{4})(?!\d)"
    r"|\*{2,}\s*(?P<masked>\d{4})(?!\d)",
    re.IGNORECASE,
)
_RRN = re.compile(
    r"(?:参考号|參考號|检索参考号|(?<![a-z])(?:rrn|ref(?:erence)?\s*(?:no\.?|number|#)?))"
    r"\s*(?:(?:是|为|:|：|is|=)\s*)?(?P<v>[0-9a-z]{12})(?![0-9a-z])",
    re.IGNORECASE,
)
_VOUCHER = re.compile(
    r"(?:凭证号|憑證號|流水号|(?<![a-z])(?:voucher|trace|stan)\s*(?:no\.?|number|#)?)"
    r"\s*(?:(?:是|为|:|：|is|=)\s*)?(?P<v>\d{6})(?!\d)",
    re.IGNORECASE,
)
_BARE_FOUR = re.compile(r"\s*(?:是|就是|it'?s|its)?\s*(?P<v>\d{4})\s*[.!。吧]*\s*", re.IGNORECASE)


@dataclass(frozen=True)
class CardKeys:
    card_last4: str | None
    rrn: str | None
    voucher_no: str | None

    @property
    def any(self) -> bool:
        """True when the message gave at least one key."""
        return bool(self.card_last4 or self.rrn or self.voucher_no)


def extract_card_keys(text: str, *, asked: bool = False) -> CardKeys:
    """Keys the message names; a bare 4-digit reply counts as the last 4 only when the bot asked."""
    clean = normalize(text[:MAX_CHARS])
    last4 = _LAST4.search(clean)
    rrn = _RRN.search(clean)
    voucher = _VOUCHER.search(clean)
    card_last4 = (last4.group("v") or last4.group("masked")) if last4 else None
    if card_last4 is None and asked and (bare := _BARE_FOUR.fullmatch(clean)):
        card_last4 = bare.group("v")
    return CardKeys(
        card_last4=card_last4,
        rrn=rrn.group("v").upper() if rrn else None,
        voucher_no=voucher.group("v") if voucher else None,
    )
