"""Properties of the parsers (time, amount, terminal ID) on hostile text: each must answer without
raising and within its contract, on huge pastes too, and markup or code is not read as an amount.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.parsing.amount import find_amount, parse_amount
from bot.parsing.facts import extract_facts
from bot.parsing.normalize import normalize
from bot.parsing.terminal import TERMINAL_ID_LENGTH, find_terminal_id
from bot.parsing.time import TimeWindow, find_time
from bot.text.redaction import redact
from tests.bot.parsing.strategies import AMOUNT_BOUND, FAST, HOSTILE_TEXT, HUGE_TEXT, NOW, SHANGHAI, SLOW


def _zones() -> st.SearchStrategy[datetime]:
    fixed = st.integers(min_value=-12, max_value=14).map(lambda h: timezone(timedelta(hours=h)))
    named = st.sampled_from([SHANGHAI, ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Europe/London")])
    return st.one_of(fixed, named).map(lambda zone: NOW.astimezone(zone))


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
