"""The customer texts outside domain.yml: both languages say the same things, each in its language."""

import json

import pytest

from bot.lookup.outcomes import OUTCOMES
from bot.text.catalogue import WIDGET_PLACEHOLDER, catalogue, notice, widget_script, word
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


def test_unknown_language_falls_back_to_chinese() -> None:
    assert notice("too_long", "fr", max_chars=10) == notice("too_long", "zh", max_chars=10)
    assert "10" in notice("too_long", "en", max_chars=10)
    assert word("any_shop", "fr") == word("any_shop", "zh") != word("any_shop", "en")


def test_the_served_widget_carries_both_languages_texts() -> None:
    source = (STATIC_DIR / "widget.js").read_bytes()
    served = widget_script(source)
    assert WIDGET_PLACEHOLDER not in served
    start = served.index(b"const S = ") + len(b"const S = ")
    texts, _ = json.JSONDecoder().raw_decode(served[start:].decode("utf-8"))
    assert texts == {language: catalogue(language)["widget"] for language in LANGUAGES}


def test_a_widget_without_its_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        widget_script(b"const S = {};")
