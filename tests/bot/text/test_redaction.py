import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.redaction import CARD_NUMBER, MASK, SECRET_CODE, luhn_valid, redact


def _with_luhn_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


@pytest.mark.parametrize(
    "text, secret",
    [
        ("我的卡号是6222021234567890128", "6222021234567890128"),
        ("card 4111 1111 1111 1111 please", "4111 1111 1111 1111"),
        ("卡号 4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("５５００ ０００００ ００００ ０００４ 是我的卡", "５５００ ０００００ ００００ ０００４"),
        ("amex 378282246310005", "378282246310005"),
    ],
)
def test_card_numbers_are_masked(text: str, secret: str) -> None:
    result = redact(text)
    digits = re.sub(r"\D", "", secret.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    assert CARD_NUMBER in result.removed
    assert digits not in re.sub(r"\D", "", result.text)
    assert MASK in result.text


@pytest.mark.parametrize(
    "text",
    [
        "密码是123456",
        "我的密码 654321",
        "支付密码：888888",
        "取款密码为 1234",
        "my pin is 4829",
        "PIN: 4829",
        "pin number 1234",
        "CVV 123",
        "cvv2: 456",
        "the security code is 789",
        "安全码 321",
        "CVN2是 555",
    ],
)
def test_pins_and_cvvs_are_masked(text: str) -> None:
    result = redact(text)
    assert result.removed == (SECRET_CODE,)
    assert not re.search(r"\d{3}", result.text)


@pytest.mark.parametrize(
    "text",
    [
        "昨天下午3点在超市刷了128块 终端号12345678",
        "terminal id 10293847, 1,280.00 yuan at 15:32",
        "RF-20261120-0042-X 怎么样了",
        "手机号13800138000",  # 11 digits: not a card
        "20261124153201",  # a timestamp that fails Luhn
        "尾号1234",
    ],
)
def test_ordinary_facts_survive(text: str) -> None:
    assert redact(text).text == text
    assert redact(text).removed == ()


@given(st.lists(st.integers(0, 9), min_size=12, max_size=18), st.sampled_from(["", " ", "-"]))
def test_any_luhn_valid_number_is_masked(digits: list[int], separator: str) -> None:
    number = _with_luhn_digit("".join(map(str, digits)))
    grouped = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    result = redact(f"卡号 {grouped} 谢谢")
    assert number not in re.sub(r"\D", "", result.text)


@given(st.text())
def test_never_raises(text: str) -> None:
    result = redact(text)
    assert isinstance(result.text, str)


@pytest.mark.parametrize(
    "typed",
    [
        "卡号6222 0212 3456 7890 123",
        "my card number is 6222021234567890124",
        "card no: 4111-1111-1111-1112 ok",
    ],
)
def test_a_number_called_a_card_number_is_masked_even_when_its_check_digit_is_wrong(typed: str) -> None:
    redacted = redact(typed)
    assert "[***]" in redacted.text and "card_number" in redacted.removed
    assert not re.search(r"\d{4}", redacted.text.replace(" ", "").replace("-", ""))


@pytest.mark.parametrize(
    "typed", ["卡号尾号1234", "终端号12345678", "card number ends in 5678", "交易参考号 123456789012"]
)
def test_short_numbers_near_a_card_label_stay(typed: str) -> None:
    assert redact(typed).text == typed


@pytest.mark.parametrize(
    "text, code",
    [
        ("the 3 digits on the back are 739", "739"),
        ("three digits on the back of my card: 739", "739"),
        ("the code on the back of my card is 456", "456"),
        ("卡背面三位数是739", "739"),
        ("背面的数字 812", "812"),
        ("安全码是 739", "739"),
        ("CVN2 是 739", "739"),
        ("cvn2:739", "739"),
    ],
)
def test_a_cvv_described_or_named_in_any_spelling_is_removed(text: str, code: str) -> None:
    result = redact(text)
    assert code not in result.text and "secret_code" in result.removed


@pytest.mark.parametrize(
    "text",
    [
        "6222021234567890128 739",
        "6222 0212 3456 7890 128 exp 12/28 739",
        "6222021234567890128, 12/28, 739",
        "卡号6222021234567890128 有效期12/28 739",
    ],
)
def test_three_digits_after_a_card_number_are_its_cvv(text: str) -> None:
    result = redact(text)
    assert "739" not in result.text and "6222021234567890128" not in result.text.replace(" ", "")
    assert result.removed == ("card_number", "secret_code")


def test_three_digits_without_a_card_number_stay() -> None:
    assert redact("扣了128块 下午3点 终端号 12345678").text == "扣了128块 下午3点 终端号 12345678"
