import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.redaction import CARD_NUMBER, MASK, SECRET_CODE, luhn_valid, redact, redact_value


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


# --- the security review's findings (issue 15) ---------------------------------------------------

_TO_ASCII = str.maketrans("０１２３４５６７８９零〇一二三四五六七八九幺两", "01234567890012345678912")
PAN_19 = "6222021234567890128"  # Luhn-valid


def _digit_runs(text: str) -> list[str]:
    """The numbers of text in ASCII, groups joined across spaces, dashes and marks."""
    joined = re.sub(r"(?<=[0-9])[\s\-_/,.，、]+(?=[0-9])", "", text.translate(_TO_ASCII))
    return re.findall(r"[0-9]{4,}", joined)


@pytest.mark.parametrize(
    "text",
    [
        "6222_0212_3456_7890_128",
        "卡号 6222/0212/3456/7890/128",
        "card 6222,0212,3456,7890,128 charged twice",
        "6222, 0212, 3456, 7890, 128",
        "6222    0212    3456    7890    128",
        "我的卡号六二二二零二一二三四五六七八九零一二八",
        "六二二二〇二一二三四五六七八九〇一二八",
        "卡号：六两两两零两幺两三四五六七八九零幺两八",
        "６２２２０２１２３４５６７８９０１２８ 是我的卡",
        "六二二二 零二一二 三四五六 七八九零 一二八",
        "卡号六二二二零二一二三四五六七八九零一二八一直扣钱",
    ],
)
def test_a_card_number_with_any_separator_or_in_chinese_numerals_is_masked(text: str) -> None:
    result = redact(text)
    assert CARD_NUMBER in result.removed and _digit_runs(result.text) == [], result.text


def test_a_number_after_the_bare_word_card_is_masked_luhn_or_not_and_its_cvv_too() -> None:
    result = redact("my card 6222 0212 3456 7890 cvv 739")
    assert result.text == "my card [***] cvv [***]"
    assert result.removed == (CARD_NUMBER, SECRET_CODE)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("7306 is my pin", "7306"),
        ("4829 is my PIN, the bill was 128", "4829"),
        ("739是我的安全码", "739"),
        ("七三〇六是我的取款密码", "七三〇六"),
        ("739 is the code on the back", "739"),
        ("4829 (PIN)", "4829"),
        ("CVN2: 739", "739"),
        ("安全码739", "739"),
        ("卡背后三位是739", "739"),
        ("卡背后的三个数字是739", "739"),
        ("卡背面签名栏后三位739", "739"),
        ("the security code on my card is 739", "739"),
        ("the 3 digits on the back of my card say 739", "739"),
        ("密码是幺两三四五六", "幺两三四五六"),
    ],
)
def test_a_pin_or_cvv_named_after_or_before_its_digits_is_masked(text: str, secret: str) -> None:
    result = redact(text)
    assert SECRET_CODE in result.removed and secret not in result.text, result.text


def test_a_card_number_split_over_two_messages_is_masked_in_both() -> None:
    first = redact("my card is 6222 0212 3456")
    assert first.text == "my card is [***]" and first.removed == (CARD_NUMBER,)
    second = redact("7890 123", unfinished_card=first.unfinished_card)
    assert second.text == "[***]" and second.removed == (CARD_NUMBER,)
    # Without the message before, seven digits are no card number.
    assert redact("7890 123").text == "7890 123"


@pytest.mark.parametrize("answer", ["128元", "¥326", "14:05", "12月4日", "128.50", "SP55G013", "13800138000"])
def test_after_the_start_of_a_card_number_the_next_answer_with_a_unit_stays(answer: str) -> None:
    first = redact("卡号 6222 0212 3456")
    assert redact(answer, unfinished_card=first.unfinished_card).text == answer


def test_a_whole_card_number_leaves_nothing_pending() -> None:
    assert redact(f"卡号 {PAN_19}").unfinished_card == 0
    assert redact("卡号 4111 1111 1111 1111").unfinished_card == 0


@pytest.mark.parametrize(
    "text",
    [
        "订单号20261126001357913 扣了128.50元",
        "12月4日 14:05 在终端SP55G013刷了¥326，工单RF-20261126-0042，手机13800138000",
        "2024 2025 2026年都在这家店买过",
        "扣了1,280.00元，2026/11/26",
        "id 2556f3fc-1020-4414-8561-6396954691d1",  # a UUID's groups of four
        "工单 RF-1234-5678-9012",
    ],
)
def test_ordinary_facts_next_to_the_new_rules_survive(text: str) -> None:
    assert redact(text).text == text and redact(text).removed == ()


def test_strings_in_metadata_are_redacted_keys_and_numbers_too() -> None:
    metadata = {
        "display": "卡号 6222_0212_3456_7890_128",
        "client_id": "m1",
        "nested": [{"note": "7306 is my pin"}, 6222021234567890128, 128],
        PAN_19: "key",
    }
    cleaned, removed = redact_value(metadata)
    assert PAN_19 not in str(cleaned) and "7306" not in str(cleaned) and "6222" not in str(cleaned)
    assert cleaned["client_id"] == "m1" and cleaned["nested"][2] == 128
    assert removed == (CARD_NUMBER, SECRET_CODE)
