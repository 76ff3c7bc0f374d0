"""The time parser's windows: time zones, the midpoint, the spans found, a bare number only when asked,
huge input; and properties: it never raises, windows are well formed, and an ambiguous clock never
lands in the future."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.time import TimeWindow, find_time, parse_time
from tests.bot.parsing.time_support import NOW, SHANGHAI, at

# --- time zones and the window type ---------------------------------------------------


def test_fixed_offset_now_gives_the_same_answer_as_the_zone() -> None:
    fixed = NOW.astimezone(timezone(timedelta(hours=8)))
    window = parse_time("昨天下午3点20", fixed)
    assert window is not None
    assert window.point == at(25, 15, 20)
    assert window.point.utcoffset() == timedelta(hours=8)


def test_relative_dates_resolve_in_the_users_zone() -> None:
    new_york = NOW.astimezone(ZoneInfo("America/New_York"))  # 01:00 on Nov 26 there
    window = parse_time("yesterday at 3pm", new_york)
    assert window is not None
    assert window.start == datetime(2026, 11, 25, 14, 50, tzinfo=ZoneInfo("America/New_York"))
    utc_window = parse_time("yesterday", NOW.astimezone(timezone.utc))  # 06:00 UTC, Nov 26
    assert utc_window is not None
    assert utc_window.start == datetime(2026, 11, 25, tzinfo=timezone.utc)


def test_point_is_the_midpoint_of_a_vague_window() -> None:
    window = TimeWindow(at(26, 15), at(26, 16), exact=False)
    assert window.point == at(26, 15, 30)


def test_find_time_reports_the_spans_it_used() -> None:
    text = "11月24日 15:32 ¥88"
    match = find_time(text, NOW)
    assert match is not None
    covered = {i for start, end in match.spans for i in range(start, end)}
    assert {text.index("24"), text.index("15"), text.index("32")} <= covered
    assert text.index("88") not in covered


def test_bare_number_is_a_time_only_when_the_bot_asked_for_one() -> None:
    assert find_time("3", NOW) is None
    match = find_time("3", NOW, bare_ok=True)
    assert match is not None
    assert match.window.start == at(25, 14, 50)
    match = find_time("1530", NOW, bare_ok=True)
    assert match is not None and match.window.point == at(26, 15, 30)
    assert find_time("128", NOW, bare_ok=True) is None


def test_huge_input_is_cut_and_still_answers() -> None:
    window = parse_time("昨天下午3点 " + "啊" * 100_000, NOW)
    assert window is not None and window.start == at(25, 14, 50)


# --- properties -----------------------------------------------------------------------

_TIME_ALPHABET = st.sampled_from(
    [
        *"0123456789０１２点时分半多左右前后天号月日年上下午晚早昨今刚才周星期¥元块:-/ ",
        *["am", "pm", "ago", "at ", "yesterday", "around", "hours", "\x00", "😀", "\ufeff"],
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(_TIME_ALPHABET, max_size=30).map("".join),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    ),
    offset_hours=st.integers(min_value=-12, max_value=14),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_never_raises_and_windows_are_well_formed(text: str, offset_hours: int, minutes: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=offset_hours))) + timedelta(minutes=minutes)
    window = parse_time(text, now)
    if window is not None:
        assert window.start.tzinfo is not None and window.end.tzinfo is not None
        assert window.end >= window.start
        assert window.start <= window.point <= window.end
        if window.exact:
            assert window.end - window.start == timedelta(minutes=10)


@settings(max_examples=100, deadline=None)
@given(
    hour=st.integers(min_value=1, max_value=12),
    minute=st.integers(min_value=0, max_value=59),
    now_minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_ambiguous_clock_never_lands_in_the_future(hour: int, minute: int, now_minutes: int) -> None:
    now = datetime.combine(date(2026, 11, 26), datetime.min.time(), SHANGHAI) + timedelta(minutes=now_minutes)
    window = parse_time(f"{hour}点{minute}分", now)
    assert window is not None and window.exact
    assert window.start <= now
    # The latest waking reading is at most a day back ("12点0分" just before noon).
    assert now - window.point < timedelta(hours=24)
