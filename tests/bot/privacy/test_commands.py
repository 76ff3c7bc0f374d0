"""The operator's commands as an operator runs them (`python -m bot.privacy`, the retention job), on
SQLite files named by the variables the processes read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.case_store import CaseDatabase, CaseStore, Ticket, upgrade
from bot.case_store.escalations import EscalationStore
from bot.config import PROJECT_ROOT
from bot.privacy.__main__ import main
from bot.privacy.tracker import TrackerEvents
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore
from tests.bot.case_store.escalation_support import _open
from tests.bot.case_store.support import SHANGHAI, refund_draft
from tests.bot.privacy.support import DOMAIN, converse


@dataclass
class Site:
    case_store_url: str
    tracker_store_url: str
    mine: Ticket
    theirs: Ticket

    def environment(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CASE_STORE", "TRACKER_STORE", "RETENTION"))
        }
        env.update(
            PYTHONPATH=str(PROJECT_ROOT),
            CASE_STORE_URL=self.case_store_url,
            TRACKER_STORE_URL=self.tracker_store_url,
        )
        env.update(extra)
        return env

    def tracker_texts(self, conversation: str) -> list[str]:
        with TrackerEvents(self.tracker_store_url) as tracker:
            return [e["text"] for e in tracker.events_of(conversation) if e["event"] == "user"]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Two customers' conversations, each with a ticket, as the running product leaves them; one is
    200 days old, the other of today."""
    case_store_url = f"sqlite:///{tmp_path / 'cases.db'}"
    tracker_store_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    upgrade(case_store_url)
    now = datetime.now(timezone.utc)
    rasa = IncrementalSQLTrackerStore(domain=DOMAIN, host=tracker_store_url)
    with CaseDatabase(case_store_url) as database:
        tickets = []
        for conversation, words, age in (
            ("web-mine", "昨天在全家扣了128块5", 0),
            ("web-theirs", "Lawson took 66", 200),
        ):
            at = now - timedelta(days=age)
            converse(rasa, conversation, (words, at))
            store = CaseStore(database, business_timezone=SHANGHAI, clock=lambda at=at: at)
            tickets.append(
                store.open_ticket(refund_draft(conversation_id=conversation, transaction_id=conversation))
            )
            escalations = EscalationStore(database, clock=lambda at=at: at)
            escalation = _open(escalations, conversation)
            escalations.claim(escalation.id, "alice")
            escalations.resolve(escalation.id, "alice")
    rasa.engine.dispose()
    built = Site(case_store_url, tracker_store_url, *tickets)
    for name, value in built.environment().items():
        monkeypatch.setenv(name, value)
    yield built


def test_export_by_ticket_prints_that_conversation_only(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--ticket", site.mine.number.lower()]) == 0

    exported = json.loads(capsys.readouterr().out)
    assert exported["conversation_id"] == "web-mine"
    assert [m["text"] for m in exported["messages"] if m["type"] == "user"] == ["昨天在全家扣了128块5"]
    assert [t["number"] for t in exported["tickets"]] == [site.mine.number]
    assert len(exported["escalations"]) == 1 and exported["webhook_events"]
    assert "web-theirs" not in json.dumps(exported) and "Lawson" not in json.dumps(exported)


def test_export_to_a_file_is_readable_by_the_operator_only(site: Site, tmp_path: Path) -> None:
    out = tmp_path / "requests" / "web-mine.json"
    assert main(["export", "--conversation", "web-mine", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["conversation_id"] == "web-mine"
    assert out.stat().st_mode & 0o777 == 0o600


def test_erase_shows_what_would_go_and_erases_only_when_confirmed(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["erase", "--conversation", "web-mine"]) == 0
    assert "1 ticket(s) would keep only their facts" in capsys.readouterr().out
    assert site.tracker_texts("web-mine") == ["昨天在全家扣了128块5"]

    assert main(["erase", "--ticket", site.mine.number, "--yes"]) == 0

    said = capsys.readouterr().out
    assert "conversation web-mine erased" in said and site.mine.number in said
    assert site.tracker_texts("web-mine") == []
    assert site.tracker_texts("web-theirs") == ["Lawson took 66"]
    with CaseDatabase(site.case_store_url) as database:
        kept = CaseStore(database).get(site.mine.number)
        assert (
            kept is not None
            and kept.conversation_id.startswith("erased:")
            and kept.amount == site.mine.amount
        )
        assert CaseStore(database).get(site.theirs.number) == site.theirs


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["export", "--ticket", "RF-20990101-0001"], "no ticket RF-20990101-0001"),
        (["erase", "--ticket", "not a ticket", "--yes"], "no ticket not a ticket"),
        (["erase", "--conversation", " ", "--yes"], "the conversation id is empty"),
    ],
)
def test_what_cannot_be_found_is_said_plainly(
    site: Site, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main(argv) == 1
    assert capsys.readouterr().err.strip() == said


def test_a_conversation_with_an_agent_is_refused_with_the_reason(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    with CaseDatabase(site.case_store_url) as database:
        escalations = EscalationStore(database)
        escalations.claim(_open(escalations, "web-mine").id, "bob")

    assert main(["erase", "--conversation", "web-mine", "--yes"]) == 1
    said = capsys.readouterr().err
    assert said.startswith("not erased: escalation") and "claimed" in said
    assert site.tracker_texts("web-mine") == ["昨天在全家扣了128块5"]


def test_a_store_that_cannot_be_reached_is_reported_without_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["export", "--conversation", "web-mine"]) == 2
    said = capsys.readouterr().err
    assert "tracker store failed" in said and "Traceback" not in said


def test_the_retention_job_once_deletes_what_expired_and_keeps_the_rest(site: Site) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.privacy.retention_job", "--once"],
        cwd=PROJECT_ROOT,
        env=site.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "round done: 1 conversation(s) and 1 escalation(s) deleted, 0 ticket(s) anonymised" in done.stderr
    assert site.tracker_texts("web-theirs") == [] and site.tracker_texts("web-mine") == [
        "昨天在全家扣了128块5"
    ]
    with CaseDatabase(site.case_store_url) as database:
        assert CaseStore(database).get(site.theirs.number) == site.theirs  # 200 days: the ticket stays whole


def test_the_retention_job_refuses_an_impossible_period(site: Site) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.privacy.retention_job", "--once"],
        cwd=PROJECT_ROOT,
        env=site.environment(RETENTION_TRANSCRIPT_DAYS="0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cannot start: RETENTION_TRANSCRIPT_DAYS must be at least 1 day" in done.stderr


def test_a_bad_setting_is_named_without_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETENTION_TICKET_DAYS", "forever")
    assert main(["export", "--conversation", "web-mine"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "cannot start: RETENTION_TICKET_DAYS must be a whole number, not 'forever'"
    )
