from datetime import date

import pytest

from bot.case_store.ticket_numbers import PREFIXES, TicketNumber, parse_number


def test_format_is_prefix_day_and_zero_padded_sequence() -> None:
    assert str(TicketNumber("RF", date(2026, 11, 26), 42)) == "RF-20261126-0042"
    assert str(TicketNumber("DP", date(2026, 11, 26), 12345)) == "DP-20261126-12345"  # widens, stays unique


def test_every_kind_has_its_own_prefix() -> None:
    assert PREFIXES == {"refund": "RF", "dispute": "DP", "escalation": "ES", "lookup_pending": "LK"}


@pytest.mark.parametrize(
    "typed",
    [
        "RF-20261126-0042",
        "rf-20261126-0042",
        " RF 20261126 0042 ",
        "RF202611260042",
        "ＲＦ－２０２６１１２６－００４２",
    ],
)
def test_parse_reads_a_number_as_customers_type_it(typed: str) -> None:
    assert parse_number(typed) == TicketNumber("RF", date(2026, 11, 26), 42)


@pytest.mark.parametrize(
    "typed", ["", "RF", "XX-20261126-0042", "RF-20261332-0042", "RF-20261126-0000", "RF-2026112-0042", "42"]
)
def test_parse_rejects_what_is_not_a_ticket_number(typed: str) -> None:
    assert parse_number(typed) is None


def test_with_prefix_keeps_day_and_sequence() -> None:
    number = TicketNumber("LK", date(2026, 11, 26), 7)
    assert str(number.with_prefix("RF")) == "RF-20261126-0007"
