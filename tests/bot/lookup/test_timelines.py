import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.lookup.decision import DecisionLimits
from bot.lookup.timelines import (
    DEFAULT_TIMELINES_FILE,
    TimelineFileError,
    add_working_days,
    china_date,
    expected_by,
    is_working_day,
    load_table,
    parse_table,
    quote,
)
from bot.merchant_api.models import Transaction

TZ = ZoneInfo("Asia/Shanghai")
TABLE = load_table()


def txn(network: str = "unionpay", card_type: str = "debit", day: date = date(2026, 11, 24)) -> Transaction:
    return Transaction(
        transaction_id="TXN0005",
        merchant_id="898290054990001",
        merchant_name="全家便利店(徐汇店)",
        terminal_id="10293847",
        card_last4="3821",
        card_type=card_type,  # type: ignore[arg-type]
        network=network,  # type: ignore[arg-type]
        amount=Decimal("128.50"),
        currency="CNY",
        created_at=datetime(day.year, day.month, day.day, 15, 32, 8, tzinfo=TZ),
        response_code="00",
        terminal_result="failed",
        reversal_status="pending",
        settlement_status="unsettled",
    )


def shipped_yaml() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_TIMELINES_FILE.read_text(encoding="utf-8"))


def write_yaml(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "timelines.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


# --- what holidays 0.86 lists for mainland China ---------------------------------------------------


def test_the_library_lists_the_2026_national_day_golden_week_and_its_make_up_days() -> None:
    cn = holidays.country_holidays("CN", years=2026)
    # National Day 1–7 October 2026 off (the 4th is a plain Sunday); 20 September (Sunday) and
    # 10 October (Saturday) are make-up working days.
    assert {date(2026, 10, d) for d in (1, 2, 3, 5, 6, 7)} <= set(cn)
    assert date(2026, 9, 25) in cn  # Mid-Autumn Festival, a Friday
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= set(cn.weekend_workdays)
    assert {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)} <= set(
        cn.weekend_workdays
    )


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 9, 18), True),  # Friday
        (date(2026, 9, 19), False),  # Saturday
        (date(2026, 9, 20), True),  # Sunday, make-up working day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival
        (date(2026, 9, 30), True),
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # golden week
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up working day
        (date(2026, 10, 11), False),  # Sunday
        (date(2026, 2, 14), True),  # Saturday before Spring Festival 2026, make-up
        (date(2026, 2, 17), False),  # Spring Festival 2026
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    "start, days, expected",
    [
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # over the whole golden week
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # lands on the make-up Saturday
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 3), 1, date(2026, 10, 8)),  # starting inside the holiday
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # the make-up Sunday counts
        (date(2026, 9, 18), 2, date(2026, 9, 21)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # Mid-Autumn Friday, then a plain weekend
        (date(2026, 9, 29), 7, date(2026, 10, 14)),
        (date(2026, 9, 29), 20, date(2026, 11, 2)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Spring Festival 2026: Saturday 14 Feb is worked
        (date(2026, 11, 24), 0, date(2026, 11, 24)),
        (date(2026, 10, 4), 0, date(2026, 10, 4)),  # zero days never moves, even off a holiday
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


def test_spring_festival_2027_as_the_library_has_it() -> None:
    cn = holidays.country_holidays("CN", years=2027)
    festival = {date(2027, 2, d) for d in range(5, 11)}  # New Year's Eve (Fri 5 Feb) to Wed 10 Feb
    if not festival <= set(cn):
        pytest.skip("holidays does not list Spring Festival 2027")
    # holidays 0.86 has no official 2027 schedule yet, so no make-up days: the 2027 figures are its
    # estimate until the State Council publishes the year's arrangement.
    assert not {d for d in cn.weekend_workdays if d.year == 2027}
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert add_working_days(date(2027, 2, 4), 3) == date(2027, 2, 15)


@given(st.dates(date(2025, 1, 1), date(2027, 6, 30)), st.integers(1, 40))
def test_working_day_arithmetic_agrees_with_the_library(start: date, days: int) -> None:
    end = add_working_days(start, days)
    assert is_working_day(end)
    cn = holidays.country_holidays("CN", years=range(start.year, end.year + 1))
    assert cn.get_working_days_count(start + timedelta(days=1), end) == days
    assert add_working_days(end, -days) <= start


def test_china_date_reads_the_moment_on_beijing_time() -> None:
    late_utc = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))  # 1 October 01:00 in Beijing
    assert china_date(late_utc) == date(2026, 10, 1)
    assert china_date(datetime(2026, 9, 30, 23, 0)) == date(2026, 9, 30)


# --- quotes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outcome, reason, network, card_type, start, expected",
    [
        ("no_charge", "declined", "unionpay", "debit", date(2026, 11, 24), date(2026, 11, 27)),
        ("no_charge", "declined", "unionpay", "credit", date(2026, 11, 24), date(2026, 11, 27)),
        ("no_charge", "declined", "visa", "debit", date(2026, 11, 24), date(2026, 11, 30)),
        ("no_charge", "declined", "mastercard", "credit", date(2026, 11, 24), date(2026, 12, 24)),
        (
            "reversal_in_progress",
            "reversal_completed",
            "unionpay",
            "debit",
            date(2026, 11, 24),
            date(2026, 11, 27),
        ),
        (
            "reversal_in_progress",
            "reversal_completed",
            "unionpay",
            "credit",
            date(2026, 9, 30),
            date(2026, 10, 10),
        ),
        (
            "reversal_in_progress",
            "reversal_completed",
            "visa",
            "debit",
            date(2026, 11, 24),
            date(2026, 11, 30),
        ),
        (
            "reversal_in_progress",
            "reversal_completed",
            "visa",
            "credit",
            date(2026, 11, 24),
            date(2026, 12, 24),
        ),
        ("reversal_in_progress", "refunded", "unionpay", "debit", date(2026, 11, 24), date(2026, 12, 8)),
        ("refund_ticket", "reversal_pending", "unionpay", "debit", date(2026, 11, 25), date(2026, 11, 30)),
        ("refund_ticket", "reversal_failed", "unionpay", "credit", date(2026, 11, 25), date(2026, 12, 23)),
        ("refund_ticket", "no_reversal", "mastercard", "credit", date(2026, 11, 25), date(2026, 12, 23)),
        ("refund_ticket", "duplicate", "unionpay", "debit", date(2026, 11, 25), date(2026, 12, 9)),
        # A dispute's date is our team's first answer, five working days, whatever the network.
        (
            "dispute_ticket",
            "completed_not_received",
            "unionpay",
            "debit",
            date(2026, 11, 24),
            date(2026, 12, 1),
        ),
        ("dispute_ticket", "completed_not_received", "visa", "credit", date(2026, 11, 24), date(2026, 12, 1)),
        (
            "dispute_ticket",
            "completed_not_received",
            "mastercard",
            "debit",
            date(2026, 11, 24),
            date(2026, 12, 1),
        ),
        ("dispute_ticket", "duplicate", "mastercard", "debit", date(2026, 11, 24), date(2027, 2, 22)),
        ("dispute_ticket", "duplicate", "unionpay", "debit", date(2026, 11, 24), date(2027, 3, 24)),
        ("charge_succeeded", "completed", "unionpay", "debit", date(2026, 11, 24), None),
        ("escalated", "over_limit", "unionpay", "debit", date(2026, 11, 24), None),
        ("escalated", "window_passed", "unionpay", "debit", date(2026, 11, 24), None),
        ("escalated", "fraud", "unionpay", "debit", date(2026, 11, 24), None),
    ],
)
def test_each_outcome_quotes_its_window(
    outcome: str, reason: str, network: str, card_type: str, start: date, expected: date | None
) -> None:
    assert expected_by(outcome, reason, txn(network, card_type), start, TABLE) == expected


def test_a_dispute_without_a_transaction_quotes_the_first_answer_too() -> None:
    assert expected_by("dispute_ticket", "not_found", None, date(2026, 11, 24), TABLE) == date(2026, 12, 1)
    assert expected_by("dispute_ticket", "amount_differs", None, date(2026, 11, 24), TABLE) == date(
        2026, 12, 1
    )


def test_worst_case_date() -> None:
    reversal = ("reversal_in_progress", "reversal_completed", txn())
    assert expected_by(*reversal, date(2026, 9, 29), TABLE, worst=True) == date(2026, 10, 14)
    # No worst case in the file: the typical upper date stands.
    assert expected_by("refund_ticket", "duplicate", txn(), date(2026, 11, 25), TABLE, worst=True) == date(
        2026, 12, 9
    )


class TestQuote:
    today = date(2026, 11, 25)

    def test_tickets_count_from_the_day_they_are_opened(self) -> None:
        old = txn(day=date(2026, 11, 18))
        assert quote("refund_ticket", "reversal_pending", old, TABLE, today=self.today) == date(2026, 11, 30)
        assert quote("refund_ticket", "no_reversal", old, TABLE, today=self.today) == date(2026, 12, 23)

    def test_a_completed_reversal_counts_from_the_reversal_when_known(self) -> None:
        t = txn(day=date(2026, 11, 24))
        assert quote("reversal_in_progress", "reversal_completed", t, TABLE, today=self.today) == date(
            2026, 11, 27
        )
        later = quote(
            "reversal_in_progress",
            "reversal_completed",
            t,
            TABLE,
            today=self.today,
            reversal_day=date(2026, 11, 25),
        )
        assert later == date(2026, 11, 30)

    def test_a_typical_date_already_gone_falls_back_to_the_worst_case(self) -> None:
        t = txn(day=date(2026, 11, 18))  # typical: Mon 23 Nov, already past on the 25th
        assert quote("reversal_in_progress", "reversal_completed", t, TABLE, today=self.today) == date(
            2026, 11, 27
        )

    def test_a_window_long_over_returns_its_past_date(self) -> None:
        t = txn(day=date(2026, 10, 12))  # typical Thu 15 Oct, worst Wed 21 Oct: both gone
        assert quote("no_charge", "declined", t, TABLE, today=self.today) == date(2026, 10, 15)

    def test_disputes_count_from_the_day_the_ticket_is_opened(self) -> None:
        # Not the network's four-month deadline: the day our team first answers.
        t = txn(day=date(2026, 11, 20))
        assert quote("dispute_ticket", "completed_not_received", t, TABLE, today=self.today) == date(
            2026, 12, 2
        )
        claimed = date(2026, 11, 20)
        assert quote(
            "dispute_ticket", "not_found", None, TABLE, today=self.today, claimed_day=claimed
        ) == date(2026, 12, 2)

    def test_no_quote_for_a_payment_that_went_through_or_an_escalation(self) -> None:
        assert quote("charge_succeeded", "completed", txn(), TABLE, today=self.today) is None
        assert quote("escalated", "window_passed", txn(), TABLE, today=self.today) is None


# --- formatting -------------------------------------------------------------------------------------


# --- the operator's file ----------------------------------------------------------------------------


def test_every_figure_in_the_shipped_file_is_marked_typical() -> None:
    figures = [
        line
        for line in DEFAULT_TIMELINES_FILE.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(typical|worst):", line)
    ]
    assert figures
    assert [line for line in figures if "# typical" not in line] == []


def test_the_shipped_limits_match_the_shipped_windows() -> None:
    limits = DecisionLimits.from_table(TABLE)
    assert limits.max_auto_amount == Decimal("5000.00")
    assert limits.reversal_window_days == TABLE.window("reversal", "unionpay", "debit").worst == 7
    assert limits.correction_window_days == TABLE.window("correction").longest == 20
    assert limits.duplicate_window == timedelta(minutes=10)


def test_changing_the_file_changes_the_quote(tmp_path: Path) -> None:
    raw = shipped_yaml()
    raw["windows"]["reversal"]["unionpay"]["debit"]["typical"] = [1, 5]
    raw["windows"]["merchant_refund"]["default"] = {"typical": [3, 7], "unit": "calendar_days"}
    raw["limits"]["max_auto_amount"] = "800.00"
    raw["limits"]["reversal_window_days"] = 9
    table = load_table(write_yaml(tmp_path, raw))

    start = date(2026, 11, 24)
    assert expected_by("reversal_in_progress", "reversal_completed", txn(), start, TABLE) == date(
        2026, 11, 27
    )
    assert expected_by("reversal_in_progress", "reversal_completed", txn(), start, table) == date(2026, 12, 1)
    assert expected_by("refund_ticket", "duplicate", txn(), start, table) == date(2026, 12, 1)
    # Unchanged windows keep their figure.
    assert expected_by("no_charge", "declined", txn("visa"), start, table) == date(2026, 11, 30)

    limits = DecisionLimits.from_table(table)
    assert limits.max_auto_amount == Decimal("800.00")
    assert limits.reversal_window_days == 9


def test_a_network_falls_back_to_the_default(tmp_path: Path) -> None:
    raw = shipped_yaml()
    raw["windows"]["reversal"] = {"default": {"typical": [1, 2]}, "visa": {"credit": {"typical": [1, 30]}}}
    table = load_table(write_yaml(tmp_path, raw))
    assert table.window("reversal", "mastercard", "credit").longest == 2
    assert table.window("reversal", "visa", "debit").longest == 2
    assert table.window("reversal", "visa", "credit").longest == 30


@pytest.mark.parametrize(
    "edit, complaint",
    [
        (lambda raw: raw["windows"].pop("correction"), "windows.correction"),
        (
            lambda raw: raw["windows"].update(reversal={"unionpay": {"debit": {"typical": 3}}}),
            "no reversal window",
        ),
        (lambda raw: raw["windows"]["correction"]["default"].update(typical=[20, 10]), "backwards"),
        (lambda raw: raw["windows"]["correction"]["default"].update(worst=5), "shorter"),
        (lambda raw: raw["windows"]["correction"]["default"].update(unit="weeks"), "unit"),
        (lambda raw: raw["windows"]["correction"]["default"].update(typical="ten"), "typical"),
        (lambda raw: raw["windows"]["correction"]["default"].update(typical=True), "typical"),
        (lambda raw: raw["windows"]["correction"]["default"].update(days=3), "unknown keys"),
        (lambda raw: raw["windows"]["correction"].update(amex={"typical": 3}), "amex"),
        (lambda raw: raw["windows"]["reversal"]["unionpay"].update(prepaid={"typical": 3}), "prepaid"),
        (lambda raw: raw["limits"].update(max_auto_amount="lots"), "max_auto_amount"),
        (lambda raw: raw["limits"].update(max_auto_amount=0), "max_auto_amount"),
        (lambda raw: raw["limits"].pop("correction_window_days"), "correction_window_days"),
        (lambda raw: raw.pop("limits"), "limits"),
    ],
)
def test_a_broken_file_is_refused_with_a_pointer_to_the_figure(
    tmp_path: Path, edit: Any, complaint: str
) -> None:
    raw = shipped_yaml()
    edit(raw)
    with pytest.raises(TimelineFileError, match=complaint):
        load_table(write_yaml(tmp_path, raw))


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TimelineFileError):
        load_table(tmp_path / "missing.yml")
    (tmp_path / "bad.yml").write_text("limits: [unclosed", encoding="utf-8")
    with pytest.raises(TimelineFileError):
        load_table(tmp_path / "bad.yml")
    with pytest.raises(TimelineFileError):
        parse_table(["not", "a", "mapping"])
