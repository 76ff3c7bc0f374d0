"""Loading the contract's CSV, the seed's coverage of the domain, and the rules of the sandbox's tables."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from bot.merchant_api.models import SearchQuery
from devtools.sandbox.database import (
    AmountTooLarge,
    NoSuchTransaction,
    SandboxDatabase,
    StateConflict,
    matches_merchant_name,
)
from devtools.sandbox.seed import CONTRACT_HEADER, SEED_CSV, read_transactions, shift_to_now

CONTRACT_LINE = (
    "transaction_id,merchant_id,merchant_name,terminal_id,card_last4,card_type,network,amount,currency,"
    "created_at,response_code,terminal_result,reversal_status,settlement_status"
)
ROW = (
    "T1,898290054990001,全家便利店(徐汇店),1029384a,3821,debit,unionpay,128.5,CNY,"
    "2025-11-24T15:32:08+08:00,00,failed,pending,unsettled"
)
SEED = read_transactions(SEED_CSV)
BY_ID = {t.transaction_id: t for t in SEED}


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_contract_header_is_the_fixed_one() -> None:
    assert ",".join(CONTRACT_HEADER) == CONTRACT_LINE


def test_a_file_with_exactly_the_contract_header_loads(tmp_path: Path) -> None:
    [t] = read_transactions(write(tmp_path, CONTRACT_LINE, ROW))
    assert (
        t.terminal_id == "1029384A"
        and t.amount == Decimal("128.50")
        and t.rrn is None
        and t.voucher_no is None
    )
    assert t.created_at == datetime(2025, 11, 24, 7, 32, 8, tzinfo=timezone.utc)


def test_the_optional_receipt_columns_load(tmp_path: Path) -> None:
    [t] = read_transactions(write(tmp_path, CONTRACT_LINE + ",rrn,voucher_no", ROW + ",831212129288,081394"))
    assert (t.rrn, t.voucher_no) == ("831212129288", "081394")


@pytest.mark.parametrize(
    "header",
    [
        CONTRACT_LINE.replace("card_last4", "last4"),
        CONTRACT_LINE.replace("amount,currency", "currency,amount"),
        CONTRACT_LINE + ",extra",
        CONTRACT_LINE + ",voucher_no",
    ],
)
def test_any_other_header_is_refused(tmp_path: Path, header: str) -> None:
    with pytest.raises(ValueError, match="header"):
        read_transactions(write(tmp_path, header, ROW))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (",debit,", ",prepaid,"),
        (",unionpay,", ",amex,"),
        ("128.5", "128.505"),
        ("+08:00", ""),
        (",pending,", ",maybe,"),
        (",unsettled", ",paid"),
        (",3821,", ",38,"),
        (",1029384a,", ",1029-3847,"),
    ],
)
def test_a_bad_field_names_its_line(tmp_path: Path, old: str, new: str) -> None:
    with pytest.raises(ValueError, match=r"transactions.csv:3:"):
        read_transactions(write(tmp_path, CONTRACT_LINE, ROW.replace("T1,", "T0,"), ROW.replace(old, new)))


def test_a_repeated_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="repeats"):
        read_transactions(write(tmp_path, CONTRACT_LINE, ROW, ROW))


# --- the seed ----------------------------------------------------------------------------------------


def test_seed_rows_look_like_real_receipts() -> None:
    with SEED_CSV.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == [*CONTRACT_HEADER, "rrn", "voucher_no"]
    assert len(SEED) >= 60
    assert len({t.terminal_id for t in SEED}) >= 30 and len({t.merchant_id for t in SEED}) >= 25
    for t in SEED:
        assert len(t.merchant_id) == 15 and t.merchant_id.isdigit(), t
        assert len(t.terminal_id) == 8 and t.currency == "CNY", t
        assert t.created_at.utcoffset() == timedelta(hours=8), t
    kinds = ("超市", "便利店", "加油站", "药", "停车场", "火锅", "麦当劳")
    assert all(any(kind in t.merchant_name for t in SEED) for kind in kinds)
    assert {t.network for t in SEED} == {"unionpay", "visa", "mastercard"}
    assert {t.card_type for t in SEED} == {"debit", "credit"}
    span = max(t.created_at for t in SEED) - min(t.created_at for t in SEED)
    assert timedelta(days=8) <= span <= timedelta(days=11)


@pytest.mark.parametrize(
    ("transaction_id", "code", "terminal", "reversal", "settlement"),
    [
        ("TXN0001", "51", "failed", "none", "unsettled"),
        ("TXN0002", "05", "failed", "none", "unsettled"),
        ("TXN0003", "55", "failed", "none", "unsettled"),
        ("TXN0004", "00", "failed", "completed", "unsettled"),
        ("TXN0005", "00", "failed", "pending", "unsettled"),
        ("TXN0006", "00", "failed", "failed", "settled"),
        ("TXN0007", "00", "failed", "none", "settled"),
        ("TXN0012", "00", "completed", "none", "settled"),
        ("TXN0013", "68", "failed", "pending", "unsettled"),
        ("TXN0014", "98", "failed", "pending", "unsettled"),
    ],
)
def test_the_documented_outcomes(
    transaction_id: str, code: str, terminal: str, reversal: str, settlement: str
) -> None:
    t = BY_ID[transaction_id]
    assert (t.response_code, t.terminal_result, t.reversal_status, t.settlement_status) == (
        code,
        terminal,
        reversal,
        settlement,
    )


@pytest.mark.parametrize("pair", [("TXN0008", "TXN0009"), ("TXN0010", "TXN0011")])
def test_duplicates_are_two_settled_debits_minutes_apart(pair: tuple[str, str]) -> None:
    first, second = (BY_ID[i] for i in pair)
    assert (first.terminal_id, first.card_last4, first.amount) == (
        second.terminal_id,
        second.card_last4,
        second.amount,
    )
    assert first.settlement_status == second.settlement_status == "settled"
    assert timedelta(minutes=1) < second.created_at - first.created_at < timedelta(minutes=10)


def test_high_amounts_for_the_escalation_limit() -> None:
    assert BY_ID["TXN0015"].amount > 5000 and BY_ID["TXN0016"].amount > 5000


def test_candidates_differ_only_by_card() -> None:
    group = [BY_ID[f"TXN00{n}"] for n in (17, 18, 19, 20)]
    assert len({(t.terminal_id, t.amount) for t in group}) == 1
    assert len({t.card_last4 for t in group}) == 4 and len({t.rrn for t in group}) == 4
    assert group[-1].created_at - group[0].created_at <= timedelta(minutes=5)
    others = [t for t in SEED if t.terminal_id == group[0].terminal_id and t.amount == group[0].amount]
    assert sorted(others, key=lambda t: t.transaction_id) == group


def test_no_accidental_duplicates_in_the_seed() -> None:
    settled = Counter(
        (t.terminal_id, t.card_last4, t.amount)
        for t in SEED
        if t.response_code == "00" and t.settlement_status == "settled"
    )
    doubles = {key for key, count in settled.items() if count > 1}
    assert doubles == {("13650071", "4417", Decimal("260.00")), ("32004410", "4023", Decimal("45.50"))}


def test_rrns_and_vouchers_are_unique_where_known() -> None:
    rrns = [t.rrn for t in SEED if t.rrn]
    assert len(rrns) == len(set(rrns))
    assert len({(t.terminal_id, t.voucher_no) for t in SEED if t.voucher_no}) == len(
        [t for t in SEED if t.voucher_no]
    )


def test_shift_keeps_spacing_and_ends_an_hour_before_now() -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    shifted = shift_to_now(SEED, now)
    newest = max(t.created_at for t in shifted)
    assert timedelta(minutes=60) <= now - newest < timedelta(minutes=61)
    assert newest.second == max(t.created_at for t in SEED).second
    deltas = {s.created_at - t.created_at for s, t in zip(shifted, SEED, strict=True)}
    assert len(deltas) == 1
    assert all(s.created_at.utcoffset() == timedelta(hours=8) for s in shifted)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("全家", True),
        ("全家便利店（徐汇店）", True),
        ("全家便利店(徐汇店)2号收银台", True),
        ("全 家", True),
        ("罗森", False),
        ("", False),
    ],
)
def test_merchant_names_match_either_way(typed: str, expected: bool) -> None:
    assert matches_merchant_name("全家便利店(徐汇店)", typed) is expected


def test_merchant_names_ignore_case() -> None:
    assert matches_merchant_name("7-ELEVEn便利店(国贸店)", "7-eleven")


# --- the tables --------------------------------------------------------------------------------------


@pytest.fixture
def database() -> SandboxDatabase:
    db = SandboxDatabase("sqlite://")
    db.reset(SEED)
    yield db
    db.dispose()


def test_reset_loads_and_reloads(database: SandboxDatabase, tmp_path: Path) -> None:
    assert database.count() == len(SEED)
    assert database.get("TXN0005") == BY_ID["TXN0005"]
    database.reset(SEED[:3])
    assert database.count() == 3 and database.get("TXN0005") is None


def test_a_file_database_is_created_with_its_folder(tmp_path: Path) -> None:
    db = SandboxDatabase(f"sqlite:///{tmp_path / 'deep' / 'sandbox.db'}")
    db.reset(SEED)
    assert db.count() == len(SEED) and (tmp_path / "deep" / "sandbox.db").exists()
    db.dispose()


def test_search_in_the_database(database: SandboxDatabase) -> None:
    target = BY_ID["TXN0018"]
    window = {
        "start": target.created_at - timedelta(minutes=5),
        "end": target.created_at + timedelta(minutes=5),
    }
    found = database.search(SearchQuery(**window, terminal_id="31570043", amount=Decimal("50")))
    assert [t.transaction_id for t in found] == ["TXN0017", "TXN0018", "TXN0019", "TXN0020"]
    assert database.search(SearchQuery(**window, rrn=target.rrn.lower())) == [target]


def test_reversal_push_rules(database: SandboxDatabase) -> None:
    first = database.push_reversal("TXN0005", "key-1")
    assert database.push_reversal("TXN0005", "key-1") == first
    assert database.push_reversal("TXN0005", None) != first
    with pytest.raises(StateConflict, match="another request"):
        database.push_reversal("TXN0006", "key-1")
    for no_reversal in ("TXN0004", "TXN0012", "TXN0001"):
        with pytest.raises(StateConflict) as caught:
            database.push_reversal(no_reversal, None)
        assert caught.value.code == "no_pending_reversal"
    with pytest.raises(NoSuchTransaction):
        database.push_reversal("TXN9999", None)


def test_refund_rules(database: SandboxDatabase) -> None:
    first = database.refund("TXN0007", Decimal("400.00"), "partial", "r-1")
    # a retry, not a second refund
    assert database.refund("TXN0007", Decimal("400.00"), "partial", "r-1") == first
    with pytest.raises(AmountTooLarge, match=r"86\.00"):
        database.refund("TXN0007", Decimal("86.01"), "too much", None)
    database.refund("TXN0007", Decimal("86.00"), "the rest", None)
    with pytest.raises(StateConflict) as reused:
        database.refund("TXN0007", Decimal("1.00"), "other", "r-1")
    assert reused.value.code == "idempotency_conflict"
    with pytest.raises(StateConflict) as declined:
        database.refund("TXN0002", Decimal("1.00"), "declined", None)
    assert declined.value.code == "not_charged"
    with pytest.raises(StateConflict) as refunded:
        database.refund("TXN0027", Decimal("1.00"), "again", None)
    assert refunded.value.code == "already_refunded"
