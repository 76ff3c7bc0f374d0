"""`python -m bot.qr`'s merchant accounts: disabling, enabling and resetting the password of a
merchant's sign-in; every change that locks its staff out ends their sessions at once."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot.case_store.merchants import MerchantDirectory
from bot.case_store.staff_sessions import StaffSessions
from bot.qr.__main__ import main
from tests.bot.case_store.support import migrated_sqlite, store_at

MID = "898290054990001"
PASSWORD, NEW_PASSWORD = "correct horse battery", "another long secret"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = migrated_sqlite(tmp_path)
    with store_at(MerchantDirectory, url) as merchants:
        merchants.add_merchant(MID, "全家便利店", "familymart", PASSWORD)
        merchants.add_terminal(MID, "10293847")
    return url


def run(url: str, *args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--url", url, *args])


def sessions_of(url: str, count: int) -> list[str]:
    with store_at(StaffSessions, url) as records:
        return [records.open("merchant", MID, timedelta(hours=8)) for _ in range(count)]


def live(url: str, session_ids: list[str]) -> list[str | None]:
    with store_at(StaffSessions, url) as records:
        return [records.subject_of("merchant", s) for s in session_ids]


def signs_in(url: str, password: str) -> bool:
    with store_at(MerchantDirectory, url) as merchants:
        return merchants.sign_in("familymart", password) is not None


def test_disabling_a_merchant_signs_its_staff_out_everywhere_until_enabled(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = sessions_of(url, 2)
    assert run(url, "disable-merchant", MID, monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == f"merchant {MID} disabled; sessions ended: 2; its codes keep working\n"
    assert live(url, sessions) == [None, None] and not signs_in(url, PASSWORD)
    assert run(url, "enable-merchant", MID, monkeypatch=monkeypatch) == 0
    assert "can sign in again" in capsys.readouterr().out
    assert signs_in(url, PASSWORD) and live(url, sessions) == [None, None]


def test_a_new_password_signs_the_merchants_staff_out_everywhere(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = sessions_of(url, 1)
    args = ("reset-merchant-password", MID, "--password-stdin")
    assert run(url, *args, stdin=NEW_PASSWORD + "\n", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == f"merchant {MID} has a new password; sessions ended: 1\n"
    assert live(url, sessions) == [None]
    assert signs_in(url, NEW_PASSWORD) and not signs_in(url, PASSWORD)


def test_mistakes_are_told_in_one_line(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = sessions_of(url, 1)
    unknown = "898290000000009"
    for args, stdin, said in (
        (("disable-merchant", unknown), "", f"error: no merchant {unknown}\n"),
        (("enable-merchant", unknown), "", f"error: no merchant {unknown}\n"),
        (
            ("reset-merchant-password", unknown, "--password-stdin"),
            NEW_PASSWORD + "\n",
            f"error: no merchant {unknown}\n",
        ),
        (
            ("reset-merchant-password", MID, "--password-stdin"),
            "short\n",
            "error: a password needs at least 10 characters\n",
        ),
    ):
        assert run(url, *args, stdin=stdin, monkeypatch=monkeypatch) == 1
        assert capsys.readouterr().err == said
    assert live(url, sessions) == [MID] and signs_in(url, PASSWORD)


@pytest.mark.parametrize(
    ("environment", "base"),
    [
        ({"GATEWAY_PORT": "8123"}, "HTTP://127.0.0.1:8123"),
        ({"GATEWAY_PORT": "8123", "GATEWAY_HOST": "0.0.0.0"}, "HTTP://127.0.0.1:8123"),
        ({"GATEWAY_PORT": "8123", "GATEWAY_HOST": "192.168.1.20"}, "HTTP://192.168.1.20:8123"),
        ({"GATEWAY_PORT": "8123", "GATEWAY_HOST": "::1"}, "HTTP://[::1]:8123"),
        (
            {"GATEWAY_PORT": "8123", "GATEWAY_PUBLIC_URL": "https://chat.example.cn/"},
            "HTTPS://CHAT.EXAMPLE.CN",
        ),
    ],
)
def test_listed_links_point_where_the_gateway_serves(
    url: str,
    environment: dict[str, str],
    base: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with store_at(MerchantDirectory, url) as merchants:
        token = merchants.issue_terminal_code("10293847").token
    assert run(url, "list", MID, monkeypatch=monkeypatch) == 0
    listed = capsys.readouterr().out
    assert f"\n    {base}/Q/{token}\n" in listed, listed
