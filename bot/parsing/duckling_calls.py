"""Duckling on untrusted text, with bounded work whatever the text.

Duckling's cost grows exponentially with the number of time expressions written next to each other
(five adjacent "11月24日" take a second, seven abort the process), and with the length of a run of
numerals. So a text is shown to Duckling in windows of at most `MAX_ATOMS` time-like atoms (numbers
and time words, found by a cheap scan; runs of numerals longer than any amount are blanked), cut where the
atoms are furthest apart so that one expression stays whole; identical windows (a repeated paste)
are parsed once; at most `MAX_WINDOWS` windows are parsed; and each call runs in a worker process
with a memory cap and a deadline, inside the time budget of the extraction that asked
(`parse_budget`). An ordinary message is a single window: Duckling sees it whole, as before.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.parsing.duckling_worker import shared_worker

MAX_ATOMS = 6
MAX_WINDOWS = 12
# One call's deadline; an extraction's budget (below) bounds the sum of its calls.
CALL_SECONDS = 0.4

# Atoms Duckling may build a time or a number from: digit runs, runs of Chinese numerals, Chinese time
# words and characters, and English time words. Missing a word only means a window may hold more
# atoms than planned; the worker's cap still bounds it.
_ATOM = re.compile(
    r"\d+|[零〇一二两三四五六七八九十百千万亿]{1,2}"
    r"|[今昨前明后大]天|[上下中]午|早上|早晨|晚上|凌晨|傍晚|夜里|半夜|深夜|今早|今晚|昨晚|明早|明晚"
    r"|(?:周|星期|礼拜)[一二三四五六日天末]?|[年月日号点分秒刻半时节宵旦晚早夜]"
    r"|(?<![a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
    r"|(?<![a-z])(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?(?![a-z])"
    r"|(?<![a-z])(?:yesterday|today|tonight|tomorrow|now|noon|midday|midnight|morning|afternoon|evening"
    r"|night|weekend|week|month|year|day|hour|minute|second|ago|am|pm|a\.m|p\.m|o'?clock|quarter|half"
    r"|christmas|xmas|easter|halloween|thanksgiving|valentine|eve|new\s+year|holiday)s?(?![a-z])"
    r"|(?<![a-z])(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
    r"|forty|fifty|hundred|thousand)(?![a-z])",
    re.IGNORECASE,
)

# Duckling reads each Chinese numeral as a token of its own, so a run counts one atom per two.
_LONG_RUN = re.compile(r"\d{25,}|[零〇一二两三四五六七八九十百千万亿点]{13,}")

_budget_deadline: ContextVar[float | None] = ContextVar("duckling_budget_deadline", default=None)
_CACHE_SIZE = 256
_cache: OrderedDict[tuple[str, str, str, int], list[dict]] = OrderedDict()


@contextmanager
def parse_budget(seconds: float) -> Iterator[float]:
    """Bound the total time of the Duckling calls made inside this block (nested blocks keep the
    earlier deadline); the block gets the deadline in force, on the monotonic clock."""
    outer = _budget_deadline.get()
    deadline = time.monotonic() + seconds
    in_force = deadline if outer is None else min(outer, deadline)
    token = _budget_deadline.set(in_force)
    try:
        yield in_force
    finally:
        _budget_deadline.reset(token)


def windows(text: str) -> list[tuple[int, str]]:
    """The (offset, text) pieces Duckling is shown, each with at most MAX_ATOMS atoms, in order."""
    atoms = [m.span() for m in _ATOM.finditer(text)]
    if len(atoms) <= MAX_ATOMS:
        return [(0, text)] if text.strip() else []
    pieces: list[tuple[int, str]] = []
    first = 0  # index of the first atom not yet in a window
    while first < len(atoms) and len(pieces) < MAX_WINDOWS:
        last = min(first + MAX_ATOMS, len(atoms)) - 1
        if last < len(atoms) - 1:
            # Cut after the atom followed by the widest gap, keeping an expression's atoms together;
            # of equal gaps the last, so that windows stay as full as they may be.
            last = max(range(first, last + 1), key=lambda i: (atoms[i + 1][0] - atoms[i][1], i))
        start = atoms[first][0] if pieces else 0
        end = atoms[last + 1][0] if last + 1 < len(atoms) else len(text)
        pieces.append((start, text[start:end]))
        first = last + 1
    return pieces


def duckling_parse(text: str, lang: str, dimension: str, ref_utc_ts: int = 0) -> list[dict]:
    """Duckling's entities of one dimension in text, offsets into text; what cannot be parsed in
    bounded time and memory yields nothing."""
    found: list[dict] = []
    for offset, piece in windows(_without_long_runs(text)):
        for entity in _parse_window(piece, lang, dimension, ref_utc_ts):
            if not isinstance(entity, dict) or entity.get("dim") != dimension:
                continue
            start, end = entity.get("start"), entity.get("end")
            if isinstance(start, int) and isinstance(end, int):
                found.append({**entity, "start": start + offset, "end": end + offset})
    return found


def _without_long_runs(text: str) -> str:
    # A run of digits or numerals longer than any date or amount (a pasted number, 一一一…) is no time
    # or amount Duckling could read, yet it parses it slowly: blank it, keeping offsets.
    return _LONG_RUN.sub(lambda m: " " * len(m.group()), text)


def _parse_window(piece: str, lang: str, dimension: str, ref_utc_ts: int) -> list[dict]:
    key = (piece, lang, dimension, ref_utc_ts)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    timeout = CALL_SECONDS
    deadline = _budget_deadline.get()
    if deadline is not None:
        timeout = min(timeout, deadline - time.monotonic())
        if timeout <= 0:
            return []
    entities = shared_worker().parse(piece, lang, dimension, ref_utc_ts, timeout)
    if entities is None:
        return []
    _cache[key] = entities
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return entities
