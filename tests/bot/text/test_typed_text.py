from bot.text.typed_text import printable, well_formed


def test_invisible_characters_go_and_line_breaks_stay() -> None:
    assert printable("刷卡\x00失败\u200b\u202e扣了\x1b128元\n谢谢\t!") == "刷卡失败扣了128元\n谢谢\t!"
    assert printable("\u200b\u200f\u2066\ufeff\x7f").strip() == ""


def test_lone_surrogates_become_replacement_characters() -> None:
    assert well_formed("\ud800 退款 \udcff") == "\ufffd 退款 \ufffd"
    assert well_formed("退款 😀").encode("utf-8") == "退款 😀".encode()
