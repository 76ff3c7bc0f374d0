import pytest

from bot.text.language import detect_language


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


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("receipt 上 SP55G013", "zh", "zh"),  # one English word beside Chinese does not switch
        ("小票 on the counter", "en", "en"),
        ("I paid at 罗森 and it said 失败", "en", "en"),
        ("sorry can you answer in English please", "zh", "en"),
        ("能不能说中文 我看不懂", "en", "zh"),
        ("thanks", "zh", "en"),  # nothing Chinese in it: the customer wrote English
    ],
)
def test_a_conversation_keeps_its_language_unless_the_other_clearly_takes_over(
    text: str, previous: str, expected: str
) -> None:
    assert detect_language(text, previous) == expected
