import pytest

from bot.text.language import detect_language
from bot.web.notices import NOTICES, notice


@pytest.mark.parametrize("code", sorted(NOTICES))
def test_every_notice_is_in_both_languages_and_in_the_right_one(code: str) -> None:
    assert detect_language(notice(code, "zh", max_chars=2000)) == "zh"
    assert detect_language(notice(code, "en", max_chars=2000)) == "en"


def test_unknown_language_falls_back_to_chinese() -> None:
    assert notice("too_long", "fr", max_chars=10) == notice("too_long", "zh", max_chars=10)
    assert "10" in notice("too_long", "en", max_chars=10)
