import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing.card_keys import extract_card_keys


@pytest.mark.parametrize(
    "text, last4",
    [
        ("尾号1234", "1234"),
        ("卡号后四位是 5678", "5678"),
        ("我的卡尾號 9035", "9035"),
        ("card ending 4410", "4410"),
        ("last 4 digits are 7781", "7781"),
        ("ends in 0042", "0042"),
        ("****6622", "6622"),
    ],
)
def test_last_four(text: str, last4: str) -> None:
    assert extract_card_keys(text).card_last4 == last4


def test_bare_four_digits_only_when_asked() -> None:
    assert extract_card_keys("9035").card_last4 is None
    assert extract_card_keys("9035", asked=True).card_last4 == "9035"
    assert extract_card_keys("是9035吧", asked=True).card_last4 == "9035"


@pytest.mark.parametrize(
    "text, rrn, voucher",
    [
        ("参考号 123456789012", "123456789012", None),
        ("RRN: 4321abcd8765", "4321ABCD8765", None),
        ("凭证号 001234", None, "001234"),
        ("voucher no. 004512 and reference number 998877665544", "998877665544", "004512"),
    ],
)
def test_receipt_numbers(text: str, rrn: str | None, voucher: str | None) -> None:
    keys = extract_card_keys(text)
    assert (keys.rrn, keys.voucher_no) == (rrn, voucher)
    assert keys.any


@pytest.mark.parametrize(
    "text",
    ["128块", "终端号12345678", "昨天下午3点", "RF-20261120-0042", "RF-20261120-0042-X", "1234567890123456"],
)
def test_other_facts_are_not_keys(text: str) -> None:
    assert not extract_card_keys(text).any


@given(st.text())
def test_never_raises(text: str) -> None:
    extract_card_keys(text, asked=True)
