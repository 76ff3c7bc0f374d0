from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.parsing.terminal import _STOPWORDS, TERMINAL_ID_LENGTH, find_terminal_id, parse_terminal_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("终端号 12345678", "12345678"),
        ("终端号12345678", "12345678"),
        ("终端号：12345678", "12345678"),
        ("终端编号:1029-3847", "10293847"),
        ("终端号是a1b2c3d4", "A1B2C3D4"),
        ("终端号码为 1029 3847", "10293847"),
        ("終端號 12345678", "12345678"),
        ("終端編號：１０２９－３８４７", "10293847"),
        ("终端号１２３４５６７８", "12345678"),
        ("终端 12345678", "12345678"),
        ("pos机号 12345678", "12345678"),
        ("TID: AB12CD34", "AB12CD34"),
        ("tid ab12 cd34", "AB12CD34"),
        ("tid ab12-cd34", "AB12CD34"),
        ("tid is ab12cd34", "AB12CD34"),
        ("the tid was AB12 CD34", "AB12CD34"),
        ("TID：ＡＢ１２ＣＤ３４", "AB12CD34"),
        ("terminal id 1029 3847", "10293847"),
        ("terminal ID: 10293847", "10293847"),
        ("terminal no. 10293847", "10293847"),
        ("terminal number 10293847", "10293847"),
        ("terminal 10293847", "10293847"),
        ("tid: 12 34 56 78", "12345678"),
        ("tid 1234 5678 9012", "12345678"),
    ],
)
def test_reads_labelled_terminal_ids(text: str, expected: str) -> None:
    assert parse_terminal_id(text) == expected
    assert parse_terminal_id(text, bare_ok=True) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("终端号 12345", "12345"),
        ("终端号 1234567890", "1234567890"),
        ("tid 123", "123"),
        ("终端号 12345 and 128", "12345"),
        ("tid 12345 is wrong", "12345"),
        ("tid 1234 128元", "1234"),
    ],
)
def test_labelled_value_of_the_wrong_length_is_returned_for_the_caller(text: str, expected: str) -> None:
    assert parse_terminal_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1B2C3D4", "A1B2C3D4"),
        ("a1b2c3d4", "A1B2C3D4"),
        ("机器上显示 AB12CD34", "AB12CD34"),
        ("我的卡 A1B2C3D4 被扣", "A1B2C3D4"),
        ("昨天下午3点 128块 12AB34CD", "12AB34CD"),
    ],
)
def test_unlabelled_token_mixing_letters_and_digits(text: str, expected: str) -> None:
    assert parse_terminal_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345678", "12345678"),
        ("1029 3847", "10293847"),
        ("1029-3847", "10293847"),
        ("是 1029 3847", "10293847"),
        ("就是12345678吧", "12345678"),
        ("it's 10293847", "10293847"),
        ("ok 10293847", "10293847"),
        ("OK00000 0", "OK000000"),  # IDs that start like the word "ok"
        ("OK 00000 0", "OK000000"),
        ("ab12 cd34", "AB12CD34"),
        ("  10293847。", "10293847"),
    ],
)
def test_bare_token_counts_only_when_asked(text: str, expected: str) -> None:
    assert parse_terminal_id(text, bare_ok=True) == expected
    if not re.search(r"[a-z]", text, re.IGNORECASE) or " " in text.strip() or "-" in text:
        assert parse_terminal_id(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "你好",
        "6222021234567890",
        "6222 0212 3456 7890",
        "13812345678",
        "138-1234-5678",
        "20261124",
        "2026-11-24",
        "128块",
        "128.50",
        "¥12345678",
        "1280yuan",
        "rmb12345",
        "yesterday",
        "terminal",
        "password",
        "RF-20261120-0042",
        "ticket RF-20261120-0042",
        "RF-20261120-0042-X",
        "工单 rf-20261120-0042-x 怎么样了",
        "商户号 123456789012345",
        "商户号 12345678",
        "merchant id 123456789012345",
        "merchant id AB12CD34",
        "参考号 AB12CD34",
        "尾号1234",
        "the terminal said declined",
        "terminal said 12345678",
        "终端显示交易失败",
        "终端号我不知道",
        "tid is on the receipt",
        "tid ABCDEFGH",
        "昨天下午3点 在超市刷了128块",
        "3pm 15:32",
    ],
)
def test_never_takes_other_things_as_a_terminal_id(text: str) -> None:
    assert parse_terminal_id(text) is None
    if text not in {"商户号 12345678"}:
        assert parse_terminal_id(text, bare_ok=True) is None


def test_value_a_few_words_after_the_label_must_look_like_a_whole_id() -> None:
    assert parse_terminal_id("终端号写错了，应该是 10293847") == "10293847"
    assert parse_terminal_id("终端号打错了 是AB12 CD34") == "AB12CD34"
    assert parse_terminal_id("终端号我记不清了 金额128") is None
    assert parse_terminal_id("终端号看不清 大概 12345") is None


def test_bare_message_with_other_words_is_not_a_terminal_id() -> None:
    assert parse_terminal_id("昨天 10293847", bare_ok=True) is None
    assert parse_terminal_id("10293847 128元", bare_ok=True) is None


def test_correction_takes_the_later_value() -> None:
    assert parse_terminal_id("终端号12345678 不对 终端号87654321") == "87654321"
    assert parse_terminal_id("不是终端号12345678，终端号是87654321") == "87654321"


def test_find_terminal_id_reports_its_span() -> None:
    text = "刷卡失败 终端号 1029-3847 显示失败"
    match = find_terminal_id(text)
    assert match is not None
    assert text[match.start : match.end] == "终端号 1029-3847"


# --- properties -----------------------------------------------------------------------

_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_IDS = st.text(alphabet=_ID_CHARS, min_size=TERMINAL_ID_LENGTH, max_size=TERMINAL_ID_LENGTH).filter(
    lambda s: any(c.isdigit() for c in s)
)
_WORDS_THAT_END_AN_ID = {w.upper() for w in _STOPWORDS}


@st.composite
def _written(draw: st.DrawFn, canonical: str) -> str:
    """The ID as a user might type it: random case, random single spaces or dashes."""
    out = []
    for i, char in enumerate(canonical):
        if i and draw(st.booleans()):
            out.append(draw(st.sampled_from([" ", "-"])))
        out.append(char.lower() if draw(st.booleans()) else char)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    canonical=_IDS,
    label=st.sampled_from(["终端号 ", "终端号:", "终端编号：", "TID: ", "tid ", "terminal id "]),
)
def test_labelled_id_normalises_to_canonical(data: st.DataObject, canonical: str, label: str) -> None:
    written = data.draw(_written(canonical))
    pieces = re.split(r"[ \-]", written.upper())
    # A piece that is a word ("AM", "IS") or a time ("3PM") reads as the end of the ID;
    # those writings are ambiguous for people too.
    assume(not any(p in _WORDS_THAT_END_AN_ID or re.fullmatch(r"\d{1,2}[AP]M", p) for p in pieces))
    assert parse_terminal_id(label + written) == canonical
    assert parse_terminal_id(f"刷卡失败 {label}{written} 请处理") == canonical


@settings(max_examples=200, deadline=None)
@given(data=st.data(), canonical=_IDS)
def test_bare_id_normalises_to_canonical_when_asked(data: st.DataObject, canonical: str) -> None:
    written = data.draw(_written(canonical))
    assume(not re.fullmatch(r"(?:19|20)\d{6}", canonical))
    assert parse_terminal_id(written, bare_ok=True) == canonical


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(list("终端号tidTID:：-  0123456789ABCDabcd是为is")), max_size=40).map(
            "".join
        ),
        st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
    ),
    bare=st.booleans(),
)
def test_never_raises_and_returns_clean_text(text: str, bare: bool) -> None:
    value = parse_terminal_id(text, bare_ok=bare)
    if value is not None:
        assert re.fullmatch(r"[A-Z0-9]+", value)
