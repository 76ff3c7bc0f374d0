from datetime import date, timedelta

import pytest

from bot.case_store.ticket_numbers import (
    CHECK_LETTERS,
    PREFIXES,
    PRINTED,
    TicketNumber,
    check_letter,
    find_number,
    parse_number,
)

RF_42 = TicketNumber("RF", date(2026, 11, 26), 42)


def test_format_is_prefix_day_zero_padded_sequence_and_check_letter() -> None:
    assert str(RF_42) == "RF-20261126-0042-P"
    assert str(TicketNumber("DP", date(2026, 11, 26), 12345)) == "DP-20261126-12345-Q"  # widens, stays unique
    assert PRINTED.fullmatch(str(RF_42))


def test_a_number_from_before_check_letters_keeps_its_spelling_and_names_the_same_ticket() -> None:
    old = TicketNumber("RF", date(2026, 11, 26), 42, checked=False)
    assert str(old) == old.plain == "RF-20261126-0042"
    assert old == RF_42 and hash(old) == hash(RF_42)


def test_every_kind_has_its_own_prefix() -> None:
    assert PREFIXES == {"refund": "RF", "dispute": "DP", "escalation": "ES", "lookup_pending": "LK"}


@pytest.mark.parametrize(
    "typed",
    [
        "RF-20261126-0042-P",
        "rf-20261126-0042-p",
        " RF 20261126 0042 P ",
        "RF202611260042P",
        "ＲＦ－２０２６１１２６－００４２－Ｐ",
    ],
)
def test_parse_reads_a_number_as_customers_type_it(typed: str) -> None:
    number = parse_number(typed)
    assert number == RF_42 and number is not None and number.checked


@pytest.mark.parametrize("typed", ["RF-20261126-0042", "rf 20261126 0042", "RF202611260042"])
def test_parse_reads_a_number_without_check_letter_as_unchecked(typed: str) -> None:
    number = parse_number(typed)
    assert number == RF_42 and number is not None and not number.checked


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "RF",
        "XX-20261126-0042-P",
        "RF-20261332-0042",
        "RF-20261126-0000",
        "RF-2026112-0042",
        "42",
        "RF-20261126-0042-Q",  # the wrong check letter
        "RF-20261126-0042-PP",
    ],
)
def test_parse_rejects_what_is_not_a_ticket_number(typed: str) -> None:
    assert parse_number(typed) is None


def _neighbours(number: TicketNumber) -> list[str]:
    """Every spelling one typo away in the digits: a digit changed, two neighbouring digits swapped."""
    digits = f"{number.day:%Y%m%d}{number.sequence:04d}"
    variants = set()
    for i, digit in enumerate(digits):
        variants.update(digits[:i] + other + digits[i + 1 :] for other in "0123456789" if other != digit)
        if i + 1 < len(digits) and digits[i + 1] != digit:
            variants.add(digits[:i] + digits[i + 1] + digit + digits[i + 2 :])
    return [f"{number.prefix}-{v[:8]}-{v[8:]}-{number.check}" for v in sorted(variants)]


@pytest.mark.parametrize(
    "number", [RF_42, TicketNumber("ES", date(2026, 12, 5), 3), TicketNumber("LK", date(2027, 1, 9), 9981)]
)
def test_every_single_typo_in_the_digits_is_caught_by_the_check_letter(number: TicketNumber) -> None:
    caught = [typo for typo in _neighbours(number) if parse_number(typo) is None]
    assert caught == _neighbours(number)


def test_a_guessed_neighbour_needs_its_own_check_letter() -> None:
    # The next numbers of the day do not share a check letter: a guess must get it right too.
    letters = {TicketNumber("RF", date(2026, 12, 5), n).check for n in range(1, 24)}
    assert letters == set(CHECK_LETTERS)


def test_check_letters_are_never_i_o_or_u() -> None:
    day = date(2026, 1, 1)
    seen = {
        check_letter(p, day + timedelta(days=d), n)
        for p in PREFIXES.values()
        for d in range(40)
        for n in range(1, 30)
    }
    assert seen <= set(CHECK_LETTERS) and not seen & {"I", "O", "U"}


def test_with_prefix_keeps_day_and_sequence_and_takes_its_own_check_letter() -> None:
    number = TicketNumber("LK", date(2026, 11, 26), 7)
    assert str(number) == "LK-20261126-0007-T"
    assert str(number.with_prefix("RF")) == "RF-20261126-0007-B"
    assert (
        str(TicketNumber("LK", date(2026, 11, 26), 7, checked=False).with_prefix("RF"))
        == "RF-20261126-0007-B"
    )


@pytest.mark.parametrize(
    "message, found",
    [
        ("status of RF-20261126-0042-P please", "RF-20261126-0042-P"),
        ("我的工单rf-20261126-0042-p怎么样了", "rf-20261126-0042-p"),
        ("RF202611260042P?", "RF202611260042P"),
        ("RF-20261126-0042 - P", "RF-20261126-0042 - P"),
        ("RF-20261126-0042 a question", "RF-20261126-0042"),
        ("RF-20261126-0042 是我的", "RF-20261126-0042"),
        ("工单 RF-20261126-0042-Q", "RF-20261126-0042-Q"),  # a wrong letter is still read, then refused
    ],
)
def test_find_picks_the_number_out_of_a_message(message: str, found: str) -> None:
    assert find_number(message) == found


@pytest.mark.parametrize(
    "message", ["128.50 at 10293847", "XRF-20261126-0042-P", "RF-20261126-004", "刷卡失败"]
)
def test_find_sees_no_number_where_there_is_none(message: str) -> None:
    assert find_number(message) is None
