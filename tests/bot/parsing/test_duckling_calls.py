"""What Duckling is shown of a text: whole when ordinary, bounded windows when not."""

from __future__ import annotations

import itertools
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.parsing import duckling_calls
from bot.parsing.duckling_calls import MAX_ATOMS, MAX_WINDOWS, duckling_parse, parse_budget, windows

FRAGMENTS = [
    "11月24日",
    "下午3点",
    "晚上",
    "nov 24",
    "noon",
    "128块",
    "昨天",
    "christmas",
    "终端号",
    "的",
    " ",
]
SEPARATORS = ["", " ", "，", ", ", "\n", "和"]
PASTES = st.lists(
    st.tuples(st.sampled_from(FRAGMENTS), st.integers(1, 8), st.sampled_from(SEPARATORS)), max_size=40
).map(lambda parts: "".join(fragment * times + separator for fragment, times, separator in parts))


def _atoms(text: str) -> int:
    return len(duckling_calls._ATOM.findall(text))


def test_an_ordinary_message_is_one_window_the_whole_text() -> None:
    text = "昨天下午三点多在全家刷了128块5"
    assert windows(text) == [(0, text)]
    # What Duckling sees of a whole complaint once the regexes have taken the clock and the day.
    hidden = "        多在全家刷了128块5 终端号1029-3847"
    assert windows(hidden) == [(0, hidden)]


@settings(max_examples=300, deadline=None)
@given(text=PASTES)
def test_windows_hold_few_atoms_cover_the_text_in_order_and_are_few(text: str) -> None:
    pieces = windows(text)
    assert len(pieces) <= MAX_WINDOWS
    for offset, piece in pieces:
        assert text[offset : offset + len(piece)] == piece
    if len(pieces) > 1:
        assert all(_atoms(piece) <= MAX_ATOMS for _, piece in pieces)
    # Consecutive windows meet, so no expression falls between two of them.
    for (offset, piece), (next_offset, _) in itertools.pairwise(pieces):
        assert offset + len(piece) == next_offset
    if len(pieces) < MAX_WINDOWS and text.strip():
        assert pieces[0][0] == 0 and sum(len(p) for _, p in pieces) == len(text)


def test_a_cut_falls_where_atoms_are_furthest_apart() -> None:
    # Seven atoms in all: the date and clock stay together, the amount far away goes on its own.
    text = "11月24日 15:32 我在那家超市里面付款的时候被扣了128"
    (first_offset, first), (second_offset, second) = windows(text)
    assert first.startswith("11月24日 15:32") and "128" not in first
    assert second.endswith("128") and second_offset == first_offset + len(first)


def test_a_repeated_paste_is_cut_into_few_distinct_windows_each_holding_a_whole_date() -> None:
    for paste in ("11月24日" * 100, "11月24日 " * 100, "nov 24, " * 100):
        pieces = {piece for _, piece in windows(paste)}
        assert len(pieces) <= 3
        assert all(_atoms(piece) >= 2 for piece in pieces)


def test_entities_found_in_a_later_window_carry_offsets_into_the_whole_text() -> None:
    text = "11月24日 " * 5 + "我的钱被扣了 yesterday"
    found = [
        e
        for e in duckling_parse(text, "EN", "time", 1764000000)
        if "yesterday" in text[e["start"] : e["end"]]
    ]
    assert found and text[found[0]["start"] : found[0]["end"]] == "yesterday"


def test_the_family_that_aborted_the_process_is_read_and_correct_up_to_the_cap() -> None:
    for count in (5, 7, 20, 333):
        days = duckling_parse("11月24日" * count, "ZH", "time", 1764000000)
        assert days and all(e["value"]["value"].startswith("2025-11-24") for e in days)


def test_no_call_is_made_once_the_budget_is_spent(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(
        duckling_calls, "shared_worker", lambda: calls.append(1) or (_ for _ in ()).throw(AssertionError)
    )
    with parse_budget(0.0):
        time.sleep(0.001)
        assert duckling_parse("a fresh text about nov 24 nobody parsed before", "EN", "time") == []
    assert calls == []


def test_a_nested_budget_never_extends_the_outer_one() -> None:
    with parse_budget(0.05) as outer, parse_budget(10) as inner:
        assert inner == outer
    with parse_budget(10) as later:  # the outer block's deadline ended with it
        assert later > outer


def test_a_run_of_numerals_longer_than_any_date_is_not_shown_to_duckling(monkeypatch) -> None:
    shown: list[str] = []

    class Recorder:
        def parse(self, text, lang, dimension, ref, timeout):
            shown.append(text)
            return []

    monkeypatch.setattr(duckling_calls, "shared_worker", Recorder)
    duckling_parse("一" * 1999 + "天 yesterday", "ZH", "time")
    assert shown and all("一" not in text for text in shown) and "yesterday" in shown[-1]
