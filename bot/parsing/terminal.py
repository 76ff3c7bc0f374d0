"""Terminal ID (ISO 8583 field 41) extraction from free text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.normalize import has_correction_marker, is_negated, normalize

TERMINAL_ID_LENGTH = 8

# Chat messages are short; the cap bounds regex work on pasted junk.
MAX_CHARS = 1000

# Labels that name the terminal ID outright; any value after them is returned,
# even of the wrong length, so the caller can say what it read.
_STRONG_LABEL = (
    r"终端机?(?:编号|号码|号|代码|码|id)|机具(?:编号|号)|pos机?(?:编号|号码|号)"
    r"|(?<![a-z])(?:tid|terminal\s*(?:id|no\.?|number|num|code|#)|pos\s*(?:id|terminal\s*id))"
    r"(?![a-z])"
)
# Bare "终端"/"terminal" also label a value, but only one that looks like an ID.
_WEAK_LABEL = r"终端机?|(?<![a-z])terminal(?![a-z])"
_LABEL = re.compile(rf"(?P<strong>{_STRONG_LABEL})|(?P<weak>{_WEAK_LABEL})", re.IGNORECASE)
_SEPARATORS = re.compile(
    r"\s*(?:(?:[:=#]|是|为|(?<![a-z])(?:is|was|no\.?|number)(?![a-z0-9]))\s*)*",
    re.IGNORECASE,
)
# IDs are ASCII: without re.ASCII, IGNORECASE lets [a-z] match the Kelvin sign, long s and
# dotted I, and \d any script's digits, and such an "ID" is one no terminal has.
_GROUP = re.compile(r"[a-z0-9]+", re.IGNORECASE | re.ASCII)
_GROUP_GAP = re.compile(r"[ \-_]{1,2}")
_WORDS_GAP = re.compile(r"[^a-z0-9]{1,12}", re.IGNORECASE)
_NEXT_IS_OTHER = re.compile(r"\s*(?:元|块|圆|yuan|rmb|cny|%|点|时|号|月|日|am|pm)(?![a-z0-9])", re.IGNORECASE)
_CLOCK_TOKEN = re.compile(r"\d{1,2}[ap]m", re.IGNORECASE)
# Short words that may follow a labelled ID and must not be glued onto it.
# fmt: off
_STOPWORDS = frozenset({
    "an", "the", "and", "or", "but", "is", "was", "are", "were", "be", "it", "its", "my",
    "me", "at", "on", "in", "of", "for", "to", "no", "not", "yes", "ok", "okay", "id", "num",
    "said", "says", "say", "show", "shows", "read", "reads", "then", "also", "just", "so", "with",
    "from", "this", "that", "am", "pm", "yuan", "rmb", "cny", "kuai", "paid", "pay", "card",
    "time", "date", "when", "what", "how", "why", "pls", "plz", "thx", "hi", "hey", "um", "uh",
    "oh", "ah", "sir", "too", "all", "one", "two",
})
# fmt: on

# Other numbers on a receipt that must not be mistaken for the terminal ID.
_OTHER_LABEL = re.compile(
    r"(?:(?:商户|参考|检索|凭证|流水|订单|交易|批次|授权|工单|手机|电话)[号码]*|卡号|尾号|单号)"
    r"\s*[:：]?\s*$"
    r"|(?<![a-z])(?:merchant|mid|ref(?:erence)?|rrn|order|ticket|card|phone|auth\w*|batch"
    r"|trace|invoice)(?:\s*(?:id|no\.?|number|code|#))?\s*(?:(?:is|:)\s*)?$",
    re.IGNORECASE,
)
_UNLABELLED = re.compile(r"(?<![a-z0-9\-_])[a-z0-9]{8}(?![a-z0-9\-_])", re.IGNORECASE | re.ASCII)
_MONEY_TOKEN = re.compile(r"\d+(?:yuan|rmb|cny|kuai)|(?:rmb|cny)\d+", re.IGNORECASE)
_BARE_LEAD_IN = r"(?:(?:就是|我的是|号码是|是|(?:it'?s|it\s+is|ok)(?![a-z0-9])|好的|嗯|哦)\s*[:：,，]?\s*)"
_BARE_VALUE = r"(?P<v>(?a:[a-z0-9](?:[a-z0-9]|[ \-](?=[a-z0-9])){6,16}))\s*[.!。！吧啊呀~]*\s*"
# With a lead-in word first; then without, for an ID that starts like one ("OK 000000").
_BARE = (
    re.compile(rf"\s*{_BARE_LEAD_IN}?{_BARE_VALUE}", re.IGNORECASE),
    re.compile(rf"\s*{_BARE_VALUE}", re.IGNORECASE),
)
_YYYYMMDD = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


@dataclass(frozen=True)
class TerminalMatch:
    """A terminal ID and where it was read."""

    value: str
    start: int
    end: int


def _labelled(text: str) -> list[TerminalMatch]:
    """Read the values written after terminal-ID labels."""
    found = []
    for label in _LABEL.finditer(text):
        value, end = _read_value(text, _SEPARATORS.match(text, label.end()).end())
        if not value and label.group("strong"):
            # "终端号输错了 应该是 70215583": a few words may sit between the label
            # and its value, which then has to look like a whole terminal ID.
            gap = _WORDS_GAP.match(text, label.end())
            if gap:
                value, end = _read_value(text, gap.end())
                if len(value) != TERMINAL_ID_LENGTH:
                    value = ""
        if not re.search(r"\d", value):
            continue
        if label.group("weak") and len(value) < TERMINAL_ID_LENGTH - 2:
            continue
        found.append(TerminalMatch(value, label.start(), end))
    return found


def _read_value(text: str, pos: int) -> tuple[str, int]:
    """Read an ID written from pos on, possibly in pieces; return it and where it ends."""
    groups: list[str] = []
    end = pos
    # Join "ab12 cd34" / "1029-3847" until eight characters are collected;
    # a piece without digits must fit and not be a word that follows an ID.
    while sum(map(len, groups)) < TERMINAL_ID_LENGTH:
        group = _GROUP.match(text, pos)
        if not group or not _is_piece(group.group(), sum(map(len, groups))):
            break
        # A number glued to 元/点/am after the ID is an amount or a time.
        if groups and (
            (group.group().isdigit() and _NEXT_IS_OTHER.match(text, group.end()))
            or _CLOCK_TOKEN.fullmatch(group.group())
        ):
            break
        groups.append(group.group())
        end = group.end()
        gap = _GROUP_GAP.match(text, end)
        if not gap:
            break
        pos = gap.end()
    return "".join(groups).upper(), end


def _is_piece(token: str, so_far: int) -> bool:
    """Tell whether a space- or dash-separated piece can belong to an ID."""
    if re.search(r"\d", token):
        return True
    # Letters alone must fit in the ID and not be a word that follows one.
    return so_far + len(token) <= TERMINAL_ID_LENGTH and token.lower() not in _STOPWORDS


def _is_id_token(token: str) -> bool:
    """Tell whether an unlabelled 8-character token looks like a terminal ID."""
    has_letter = re.search(r"[a-z]", token, re.IGNORECASE) is not None
    has_digit = re.search(r"\d", token) is not None
    return has_letter and has_digit and not _MONEY_TOKEN.fullmatch(token)


def _unlabelled(text: str) -> list[TerminalMatch]:
    """Find free-standing tokens such as "A1B2C3D4" that mix letters and digits."""
    found = []
    for m in _UNLABELLED.finditer(text):
        if not _is_id_token(m.group()):
            continue
        if _OTHER_LABEL.search(text[max(0, m.start() - 16) : m.start()]):
            continue
        found.append(TerminalMatch(m.group().upper(), m.start(), m.end()))
    return found


def _bare(text: str) -> TerminalMatch | None:
    """Read a message that is essentially one 8-character token ("1029 3847")."""
    for pattern in _BARE:
        m = pattern.fullmatch(text)
        if not m:
            continue
        value = re.sub(r"[ \-]", "", m.group("v")).upper()
        if len(value) != TERMINAL_ID_LENGTH or not re.search(r"\d", value):
            continue
        if _YYYYMMDD.fullmatch(value) or _MONEY_TOKEN.fullmatch(value):
            return None
        return TerminalMatch(value, m.start("v"), m.end("v"))
    return None


# "1029-3847", "8873 6621": two groups of four are how people copy a terminal ID.
_GROUPED = re.compile(
    r"(?<![a-z0-9\-])[a-z0-9]{4}[ \-][a-z0-9]{4}(?![ \-]?[a-z0-9])", re.IGNORECASE | re.ASCII
)
_EIGHT_DIGITS = re.compile(r"(?<![a-z0-9\-.,])\d{8}(?![a-z0-9\-.,])", re.IGNORECASE | re.ASCII)
_MENTIONS_TERMINAL = re.compile(r"终端|(?<![a-z])(?:tid|terminal)(?![a-z])", re.IGNORECASE)


def _id_shaped(text: str) -> list[TerminalMatch]:
    """Grouped IDs, and 8-digit runs when the message talks about the terminal."""
    found = []
    shapes = [_GROUPED] + ([_EIGHT_DIGITS] if _MENTIONS_TERMINAL.search(text) else [])
    for shape in shapes:
        for m in shape.finditer(text):
            value = re.sub(r"[ \-]", "", m.group()).upper()
            if not re.search(r"\d", value) or _YYYYMMDD.fullmatch(value) or _MONEY_TOKEN.fullmatch(value):
                continue
            if _OTHER_LABEL.search(text[max(0, m.start() - 16) : m.start()]):
                continue
            found.append(TerminalMatch(value, m.start(), m.end()))
    return sorted(found, key=lambda match: match.start)


def id_shaped_spans(text: str) -> list[tuple[int, int]]:
    """Where the text holds something written like a terminal ID, denied ones included."""
    text = normalize(text[:MAX_CHARS])
    return [(m.start, m.end) for m in _id_shaped(text)]


def find_terminal_id(text: str, *, bare_ok: bool = False) -> TerminalMatch | None:
    """Find the terminal ID in normalised text, with its span."""
    text = normalize(text[:MAX_CHARS])
    correcting = has_correction_marker(text)
    # A correction ("不是1029-3847 是1029-3874") may give the new ID with no label at all.
    sources = [_labelled(text), _unlabelled(text), *([_id_shaped(text)] if correcting else [])]
    for candidates in sources:
        kept = [c for c in candidates if not is_negated(text, c.start)]
        if kept:
            return kept[-1] if correcting else kept[0]
    return _bare(text) if bare_ok else None


def parse_terminal_id(text: str, *, bare_ok: bool = False) -> str | None:
    """Read a terminal ID, upper-cased without spaces/dashes; a labelled one may have the wrong length."""
    match = find_terminal_id(text, bare_ok=bare_ok)
    return match.value if match else None
