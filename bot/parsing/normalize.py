"""Length-preserving text normalisation shared by the parsers."""

from __future__ import annotations

import re
from functools import cache

from opencc import OpenCC

# Parsers report character spans that callers use to mask text, so every
# rewrite here must keep the text's length and each character's position.
_FULLWIDTH_START = 0xFF01
_FULLWIDTH_END = 0xFF5E
_FULLWIDTH_OFFSET = 0xFEE0
_SINGLE_CHAR_MAP = {
    "\u3000": " ",  # ideographic space
    "\uffe5": "¥",  # fullwidth yen sign, which Chinese keyboards type for 元
    "\u2212": "-",  # minus sign
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u30fc": "-",  # katakana long mark, typed for a dash on some IMEs
    "\u00a0": " ",
    "\u2009": " ",
    "\u200b": " ",  # zero-width space: becomes a separator, not nothing
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def _t2s() -> OpenCC:
    """Return the shared Traditional-to-Simplified converter."""
    return OpenCC("t2s")


def _halfwidth_char(ch: str) -> str:
    """Map one fullwidth or look-alike character to its ASCII form."""
    code = ord(ch)
    if _FULLWIDTH_START <= code <= _FULLWIDTH_END:
        return chr(code - _FULLWIDTH_OFFSET)
    # Control characters and lone surrogates cannot cross into Duckling's
    # native code, so they become plain separators.
    if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
        return " "
    return _SINGLE_CHAR_MAP.get(ch, ch)


def to_halfwidth(text: str) -> str:
    """Replace fullwidth ASCII, ideographic spaces and dash variants one for one."""
    return "".join(_halfwidth_char(ch) for ch in text)


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified without changing the length."""
    if not _CJK.search(text):
        return text
    converter = _t2s()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase rule changed the length; convert character by character so
    # that offsets still line up, losing only phrase-level context.
    return "".join(c if len(c := converter.convert(ch)) == 1 else ch for ch in text)


def normalize(text: str) -> str:
    """Return text with halfwidth ASCII and Simplified Chinese, same length."""
    return to_simplified(to_halfwidth(text))


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """Blank out the given character spans with spaces, keeping the length."""
    chars = list(text)
    for start, end in spans:
        for i in range(max(start, 0), min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def has_cjk(text: str) -> bool:
    """Tell whether text contains a CJK ideograph."""
    return _CJK.search(text) is not None


# Phrases that say the user is fixing something they wrote before; kept narrow
# because complaints ("钱扣错了", "something went wrong") are not corrections.
_CORRECTION = re.compile(
    r"说错|写错|打错|输错|搞错|弄错|记错|看错|填错|不对|更正|纠正|改一下|改成|应该是|其实是"
    r"|不是\s*(?:[¥\d零〇一二两三四五六七八九十]|下午|上午|晚上|早上|昨天|前天|今天)"
    r"|^\W*no\b(?!\s+(?:money|idea|problem|one|reply|response|refund))|(?<![a-z])no\s+wait"
    r"|(?<![a-z])(?:sorry|actually|correction|i\s+meant?|typo|my\s+(?:mistake|bad)|mistake|oops"
    r"|not\s+(?:rmb\s*|cny\s*|¥\s*)?\d"
    r"|i\s+(?:said|typed|wrote|entered|gave)\b[^.]{0,20}\bwrong"
    r"|wrong\s+(?:amount|number|time|id|one))(?![a-z])",
    re.IGNORECASE,
)
# A value right after one of these is the one being denied ("不是128", "not 128").
_NEGATION_BEFORE = re.compile(
    r"(?:不是|并非|而非|而不是|(?<![a-z])(?:not|isn't|wasn't|isnt|wasnt|rather\s+than"
    r"|instead\s+of))\s*(?:[¥$]|rmb|cny|大概|约|在|下午|上午|晚上|早上|中午)?\s*$",
    re.IGNORECASE,
)


def has_correction_marker(text: str) -> bool:
    """Tell whether the text says it corrects an earlier value."""
    return _CORRECTION.search(text) is not None


def is_negated(text: str, start: int) -> bool:
    """Tell whether the value starting at `start` is preceded by a denial."""
    return _NEGATION_BEFORE.search(text[max(0, start - 12) : start]) is not None
