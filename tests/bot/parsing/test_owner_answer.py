from decimal import Decimal

import pytest

from bot.parsing.owner_answer import read_owner_answer


@pytest.mark.parametrize(
    "text, amount, last4",
    [
        ("128.50 1234", "128.50", "1234"),
        ("1234 128.50", "128.50", "1234"),
        ("128.5, 1234", "128.50", "1234"),
        ("金额128.5 尾号1234", "128.50", "1234"),
        ("¥66 卡号后四位8888", "66.00", "8888"),
        ("128块5，卡尾号1234", "128.50", "1234"),
        ("一百二十八块五 1234", "128.50", "1234"),
        ("amount 128.50, card ending 1234", "128.50", "1234"),
        ("it was 77.70 and the card ends with 4242", "77.70", "4242"),
        ("1280 1234", "1280.00", "1234"),  # two groups of four: the last is the card's
        ("1234元 5678", "1234.00", "5678"),
        ("RMB 1,234.00 卡尾号 5678", "1234.00", "5678"),
        ("-23.80 4242", "23.80", "4242"),  # as a banking app shows a debit
        ("2026-12-05 128.50 1234", "128.50", "1234"),
    ],
)
def test_both_facts_in_any_order_and_spelling(text: str, amount: str, last4: str) -> None:
    answer = read_owner_answer(text)
    assert (answer.amount, answer.card_last4) == (Decimal(amount), last4)
    assert answer.complete


@pytest.mark.parametrize(
    "text, amount, last4",
    [("1234", None, "1234"), ("128.50", "128.50", None), ("no idea", None, None), ("尾号 12345", None, None)],
)
def test_one_fact_or_none_is_incomplete(text: str, amount: str | None, last4: str | None) -> None:
    answer = read_owner_answer(text)
    assert answer.amount == (Decimal(amount) if amount else None) and answer.card_last4 == last4
    assert not answer.complete
