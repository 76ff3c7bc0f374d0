import pytest

from bot.language import detect_language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("刷卡失败但是扣钱了", "zh"),
        ("刷卡失敗但是錢被扣了", "zh"),
        ("POS显示失败", "zh"),
        ("my card was charged but the payment failed", "en"),
        ("yes", "en"),
        ("128", None),
        ("/affirm", None),
        ("TID 12345678", None),
        ("ok", None),
        ("ABC123", None),
        ("a1b2-c3d4", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected
