"""The customer texts outside domain.yml: both languages say the same things, each in its language."""

import json

import pytest

from bot.lookup.outcomes import OUTCOMES
from bot.text.catalogue import (
    WIDGET_PLACEHOLDER,
    catalogue,
    notice,
    support_text,
    widget_script,
    widget_texts,
    word,
)
from bot.text.language import LANGUAGES, detect_language
from bot.web.assets import STATIC_DIR


def keys(tree: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in tree.items():
        found |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return found


def test_both_languages_have_the_same_texts() -> None:
    assert keys(catalogue("zh")) == keys(catalogue("en"))


def test_the_widget_has_a_card_for_every_outcome_and_no_other() -> None:
    for language in LANGUAGES:
        assert set(catalogue(language)["widget"]["outcomes"]) == set(OUTCOMES)


@pytest.mark.parametrize("code", sorted(catalogue("zh")["notices"]))
def test_every_notice_is_in_both_languages_and_in_the_right_one(code: str) -> None:
    assert detect_language(notice(code, "zh", max_chars=2000)) == "zh"
    assert detect_language(notice(code, "en", max_chars=2000)) == "en"


@pytest.mark.parametrize("key", sorted(catalogue("zh")["support"]))
def test_every_hand_over_text_is_in_both_languages_and_in_the_right_one(key: str) -> None:
    zh = support_text(key, "zh", name="李娜", note="已安排退款")
    en = support_text(key, "en", name="Li Na", note="the refund is arranged")
    assert detect_language(zh) == "zh" and detect_language(en) == "en"
    assert ("李娜" in zh) == ("Li Na" in en) and ("已安排退款" in zh) == ("the refund is arranged" in en)


def test_unknown_language_falls_back_to_chinese() -> None:
    assert notice("too_long", "fr", max_chars=10) == notice("too_long", "zh", max_chars=10)
    assert "10" in notice("too_long", "en", max_chars=10)
    assert word("any_shop", "fr") == word("any_shop", "zh") != word("any_shop", "en")


def _served_texts(transcript_days: int) -> dict:
    served = widget_script((STATIC_DIR / "widget.js").read_bytes(), transcript_days=transcript_days)
    assert WIDGET_PLACEHOLDER not in served
    start = served.index(b"const S = ") + len(b"const S = ")
    texts, _ = json.JSONDecoder().raw_decode(served[start:].decode("utf-8"))
    return texts


def test_the_served_widget_carries_both_languages_texts() -> None:
    assert _served_texts(180) == {language: widget_texts(language, 180) for language in LANGUAGES}
    for language in LANGUAGES:
        others = {k: v for k, v in widget_texts(language, 180).items() if k != "privacy"}
        assert others == {k: v for k, v in catalogue(language)["widget"].items() if k != "privacy"}


def test_the_privacy_line_gives_the_configured_days_in_each_language() -> None:
    zh, en = (_served_texts(45)[language]["privacy"] for language in ("zh", "en"))
    assert zh.startswith("聊天记录保存45天后自动删除") and "转人工" in zh
    assert en.startswith("We keep this chat for 45 days") and "talk to a person" in en
    assert detect_language(zh) == "zh" and detect_language(en) == "en"
    assert "{days}" not in json.dumps(_served_texts(45), ensure_ascii=False)


def test_a_widget_without_its_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        widget_script(b"const S = {};", transcript_days=180)
