"""`python -m bot.handoff`: operators add, disable and enable agents and reset their passwords; every
change that locks an agent out ends their sessions at once."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot.case_store.agents import AgentDirectory
from bot.case_store.staff_sessions import StaffSessions
from bot.handoff.__main__ import main
from tests.bot.case_store.support import migrated_sqlite, store_at

PASSWORD, NEW_PASSWORD = "a long agent password", "another long password"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return migrated_sqlite(tmp_path)


def run(url: str, *args: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--url", url, *args])


def sessions_of(url: str, login: str, count: int) -> list[str]:
    with store_at(StaffSessions, url) as records:
        return [records.open("agent", login, timedelta(hours=8)) for _ in range(count)]


def live(url: str, session_ids: list[str]) -> list[str | None]:
    with store_at(StaffSessions, url) as records:
        return [records.subject_of("agent", s) for s in session_ids]


def signs_in(url: str, password: str) -> bool:
    with store_at(AgentDirectory, url) as agents:
        return agents.sign_in("li.na", password) is not None


def test_disabling_an_agent_signs_them_out_everywhere_until_enabled(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run(
            url,
            "add-agent",
            "li.na",
            "李娜",
            "--password-stdin",
            stdin=PASSWORD + "\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    sessions = sessions_of(url, "li.na", 2)
    capsys.readouterr()

    assert run(url, "disable-agent", "li.na", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out == "agent li.na disabled; sessions ended: 2\n"
    assert live(url, sessions) == [None, None] and not signs_in(url, PASSWORD)

    assert run(url, "enable-agent", "li.na", monkeypatch=monkeypatch) == 0
    assert "can sign in again" in capsys.readouterr().out
    assert signs_in(url, PASSWORD) and live(url, sessions) == [None, None]


def test_a_new_password_signs_the_agent_out_everywhere(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(url, "add-agent", "li.na", "李娜", "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    sessions = sessions_of(url, "li.na", 1)
    capsys.readouterr()
    reset = run(
        url,
        "reset-agent-password",
        "li.na",
        "--password-stdin",
        stdin=NEW_PASSWORD + "\n",
        monkeypatch=monkeypatch,
    )
    assert reset == 0
    assert capsys.readouterr().out == "agent li.na has a new password; sessions ended: 1\n"
    assert live(url, sessions) == [None]
    assert signs_in(url, NEW_PASSWORD) and not signs_in(url, PASSWORD)


def test_mistakes_are_told_in_one_line(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run(url, "add-agent", "li.na", "李娜", "--password-stdin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    sessions = sessions_of(url, "li.na", 1)
    capsys.readouterr()
    for args, stdin, said in (
        (("disable-agent", "nobody"), "", "error: no agent nobody\n"),
        (("enable-agent", "nobody"), "", "error: no agent nobody\n"),
        (
            ("reset-agent-password", "nobody", "--password-stdin"),
            NEW_PASSWORD + "\n",
            "error: no agent nobody\n",
        ),
        (
            ("reset-agent-password", "li.na", "--password-stdin"),
            "short\n",
            "error: a password needs at least 10 characters\n",
        ),
    ):
        assert run(url, *args, stdin=stdin, monkeypatch=monkeypatch) == 1
        assert capsys.readouterr().err == said
    assert live(url, sessions) == ["li.na"] and signs_in(url, PASSWORD)
