"""Merchant accounts, terminals and QR codes in the case store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from bot.case_store import CaseDatabase
from bot.case_store.merchants import TOKEN_ALPHABET, MerchantDirectory, MerchantError, new_token
from tests.bot.case_store.support import SHANGHAI, Clock

MID, OTHER_MID = "898290054990001", "898290055410005"


@pytest.fixture
def directory(migrated_url: str, clock: Clock) -> Iterator[MerchantDirectory]:
    merchants = MerchantDirectory(CaseDatabase(migrated_url), clock=clock)
    merchants.add_merchant(MID, "全家便利店(徐汇店)", "familymart", "correct horse battery")
    merchants.add_terminal(MID, "10293847", "收银台 1")
    merchants.add_merchant(OTHER_MID, "中国石化加油站", "sinopec", "another long secret")
    merchants.add_terminal(OTHER_MID, "60218877")
    yield merchants
    merchants.database.close()


def test_tokens_are_128_random_bits_in_26_qr_friendly_characters() -> None:
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(t) == 26 and set(t) <= TOKEN_ALPHABET for t in tokens)


def test_sign_in_checks_the_password_and_stores_only_a_hash(
    directory: MerchantDirectory, migrated_url: str
) -> None:
    assert directory.sign_in("familymart", "correct horse battery").merchant_id == MID
    assert directory.sign_in("familymart", "correct horse batter") is None
    assert directory.sign_in("nobody", "correct horse battery") is None
    engine = create_engine(migrated_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT password_hash FROM merchants WHERE login = 'familymart'")
        ).scalar()
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_accounts_and_terminals_are_checked(directory: MerchantDirectory) -> None:
    with pytest.raises(MerchantError):
        directory.add_merchant(MID, "again", "other-login", "long enough secret")
    with pytest.raises(MerchantError):
        directory.add_merchant("898290000000009", "short", "short", "2short")
    with pytest.raises(MerchantError):
        directory.add_terminal("898290000000009", "12345678")
    with pytest.raises(MerchantError):
        directory.add_terminal(OTHER_MID, "10293847")


def test_a_terminal_code_resolves_to_its_merchant_and_counts_scans(directory: MerchantDirectory) -> None:
    code = directory.issue_terminal_code("10293847")
    first, second = directory.scan(code.token), directory.scan(code.token.lower())
    assert first.status == second.status == "ok"
    assert first.context() == {
        "kind": "terminal",
        "merchant_id": MID,
        "merchant_name": "全家便利店(徐汇店)",
        "terminal_id": "10293847",
    }
    assert directory.code(code.token).scans == 2


def test_replacing_a_terminal_code_revokes_the_old_one(directory: MerchantDirectory) -> None:
    old = directory.issue_terminal_code("10293847")
    new = directory.issue_terminal_code("10293847")
    assert directory.scan(old.token).status == "revoked"
    assert directory.scan(new.token).status == "ok"
    [(terminal, current)] = directory.terminals(MID)
    assert terminal.terminal_id == "10293847" and current.token == new.token
    directory.revoke(new.token)
    assert directory.scan(new.token).status == "revoked"
    assert directory.terminals(MID) == [(terminal, None)]


def test_a_counter_code_carries_amount_and_time_until_it_expires(
    directory: MerchantDirectory, clock: Clock
) -> None:
    paid = clock.now - timedelta(minutes=10)
    code = directory.issue_counter_code("10293847", Decimal("128.5"), paid, timedelta(hours=2))
    context = directory.scan(code.token).context()
    assert context["kind"] == "counter" and context["amount"] == "128.50"
    assert datetime.fromisoformat(context["transaction_time"]) == paid
    clock.advance(hours=2)
    assert directory.scan(code.token).status == "expired"
    assert directory.scan(code.token).context() is None


def test_counter_codes_refuse_impossible_payments(directory: MerchantDirectory, clock: Clock) -> None:
    with pytest.raises(MerchantError):
        directory.issue_counter_code("10293847", Decimal("0"), clock.now, timedelta(hours=1))
    with pytest.raises(MerchantError):
        directory.issue_counter_code(
            "10293847", Decimal("5"), clock.now + timedelta(hours=1), timedelta(hours=1)
        )
    with pytest.raises(MerchantError):
        directory.issue_counter_code("10293847", Decimal("5"), datetime(2026, 11, 26, 9), timedelta(hours=1))


@pytest.mark.parametrize("token", ["", "short", "A" * 27, "A" * 25 + "1", "../../etc/passwd", None, 12345])
def test_anything_that_cannot_be_a_token_is_unknown(directory: MerchantDirectory, token: object) -> None:
    assert directory.scan(token).status == "unknown"


def test_an_altered_token_is_unknown(directory: MerchantDirectory) -> None:
    token = directory.issue_terminal_code("10293847").token
    altered = ("B" if token[0] == "A" else "A") + token[1:]
    assert directory.scan(altered).status == "unknown"
    assert directory.code(token).scans == 0


def test_a_merchant_reaches_only_its_own_terminals_and_codes(
    directory: MerchantDirectory, clock: Clock
) -> None:
    theirs = directory.issue_terminal_code("60218877")
    with pytest.raises(MerchantError):
        directory.issue_terminal_code("60218877", merchant_id=MID)
    with pytest.raises(MerchantError):
        directory.revoke(theirs.token, merchant_id=MID)
    with pytest.raises(MerchantError):
        directory.issue_counter_code("60218877", Decimal("1"), clock.now, timedelta(hours=1), merchant_id=MID)
    assert directory.code(theirs.token, merchant_id=MID) is None
    assert directory.scan(theirs.token).status == "ok"
    assert [t.terminal_id for t, _ in directory.terminals(MID)] == ["10293847"]


def test_times_come_back_as_the_same_instant(directory: MerchantDirectory, clock: Clock) -> None:
    paid = datetime(2026, 11, 26, 9, 41, tzinfo=SHANGHAI)
    code = directory.issue_counter_code("10293847", Decimal("9.90"), paid, timedelta(hours=1))
    assert directory.code(code.token).transaction_time == paid


def test_recent_counter_codes_are_the_merchants_own_newest_first_and_bounded(
    directory: MerchantDirectory, clock: Clock
) -> None:
    def counter(terminal_id: str, amount: str, hours: float = 2) -> str:
        paid = clock.now - timedelta(minutes=10)
        return directory.issue_counter_code(terminal_id, Decimal(amount), paid, timedelta(hours=hours)).token

    oldest = counter("10293847", "12.00")
    clock.advance(days=2)
    middle = counter("10293847", "34.50", hours=72)  # still scannable two days later
    theirs = counter("60218877", "56.00")
    directory.issue_terminal_code("10293847")  # a printed code is no counter code
    clock.advance(days=2)
    newest = counter("10293847", "78.90")
    directory.scan(middle)
    directory.revoke(newest)

    listed = directory.recent_counter_codes(MID)
    assert [code.token for code in listed] == [newest, middle, oldest]
    assert [code.amount for code in listed] == [Decimal("78.90"), Decimal("34.50"), Decimal("12.00")]
    assert all(code.kind == "counter" and code.terminal_id == "10293847" for code in listed)
    assert listed[0].revoked_at == clock.now and listed[1].revoked_at is None
    assert listed[1].scans == 1 and listed[1].last_scanned_at == clock.now
    assert listed[2].scans == 0 and listed[2].last_scanned_at is None
    assert listed[2].expires_at == clock.now - timedelta(days=4) + timedelta(hours=2)  # long expired
    assert [code.token for code in directory.recent_counter_codes(OTHER_MID)] == [theirs]
    assert [code.token for code in directory.recent_counter_codes(MID, limit=2)] == [newest, middle]

    clock.advance(days=3, hours=12)  # the oldest is 7½ days old now: out of the default week
    assert [code.token for code in directory.recent_counter_codes(MID)] == [newest, middle]
    assert [code.token for code in directory.recent_counter_codes(MID, days=1)] == []
    assert directory.recent_counter_codes("898290000000009") == []
