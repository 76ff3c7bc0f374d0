from bot.parsing.numerals import MAX_NUMERAL_CHARS, chinese_numeral


def test_numerals_people_write_are_read() -> None:
    assert chinese_numeral("一百二十八") == 128
    assert chinese_numeral("两千") == 2000
    assert chinese_numeral("十二") == 12


def test_a_run_longer_than_any_amount_is_no_numeral() -> None:
    assert chinese_numeral("九" * (MAX_NUMERAL_CHARS + 1)) is None
    assert chinese_numeral("一二三四五六七八九十" * 100) is None


def test_what_cn2an_rejects_is_no_numeral() -> None:
    assert chinese_numeral("") is None
    assert chinese_numeral("点点点") is None
