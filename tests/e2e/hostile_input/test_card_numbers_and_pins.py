"""After the hostile corpus has gone through the gateway, no card number or PIN may be found in what
reached the browser, the tracker (API and file), the case store (SQL and file) or any process log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from benchmarks.scenarios import reply_language
from bot.text.redaction import luhn_valid
from tests.e2e.conftest import Client
from tests.e2e.hostile_input.corpus import (
    CORPUS,
    ORDER_NUMBER,
    PAN_CHINESE,
    PAN_CREDIT,
    PAN_SLASH,
    PAN_VISA,
    SECRETS,
    Hostile,
    _chinese,
    _found,
    _full_width,
    _grouped,
    _numbers,
)
from tests.e2e.hostile_input.corpus_run import Run

pytestmark = pytest.mark.slow


def _raw(paths: list[Path]) -> str:
    return "".join(path.read_bytes().decode("utf-8", "replace") for path in paths if path.exists())


def _sqlite_files(url: str) -> list[Path]:
    if not url.startswith("sqlite:///"):
        return []
    database = Path(url.removeprefix("sqlite:///"))
    return [database, *database.parent.glob(database.name + "-*")]  # with -wal, -journal


def _tables(url: str) -> dict[str, str]:
    """Every table of a database as text, row by row."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {
                table: "\n".join(
                    json.dumps([str(value) for value in row], ensure_ascii=False)
                    for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))
                )
                for table in tables
            }
    finally:
        engine.dispose()


def test_the_secrets_are_real_card_numbers_and_pins() -> None:
    cards = [s for s in SECRETS if len(s) >= 13]
    assert len(cards) == 16 and all(luhn_valid(card) for card in cards)
    assert len({len(card) for card in cards}) >= 4  # 13, 15, 16 and 19 digits
    assert _found(f"x {_grouped(PAN_VISA, ' - ')} y") == [PAN_VISA]
    assert _found(json.dumps("卡号 " + _full_width(PAN_CREDIT))) == [PAN_CREDIT]
    assert _found(json.dumps("密码是六三九二八一")) == ["639281"]
    assert _found("My PIN  is 4829") == ["pin is 4829"]
    assert _found(json.dumps(f"x {_grouped(PAN_SLASH, ', ')} y")) == [PAN_SLASH]
    assert _found(json.dumps(f"卡号{_chinese(PAN_CHINESE)}")) == [PAN_CHINESE]
    assert _found(json.dumps("七三〇六是我的取款密码")) == ["7306是我的取款密码"]


def test_a_card_number_split_over_two_messages_was_sent_as_two_messages_in_a_row(run: Run) -> None:
    sent = [turn.sent for turn in run.turns]
    split = [index for index, item in enumerate(sent) if isinstance(item, Hostile) and item.continues]
    assert split
    for index in split:
        assert sent[index - 1] == CORPUS[CORPUS.index(sent[index]) - 1]


def test_no_card_number_or_pin_reaches_the_browser(run: Run) -> None:
    for turn in run.turns:
        frames = json.dumps(turn.frames + turn.after, ensure_ascii=False)
        assert not _found(frames), (turn.sent, _found(frames))


def test_no_card_number_or_pin_is_in_the_tracker(run: Run, assistant: Client) -> None:
    trackers = json.dumps([assistant.tracker(c) for c in run.conversations], ensure_ascii=False)
    assert _found(trackers) == []
    # We look at the right conversations: an order number typed among them is there, as typed.
    assert ORDER_NUMBER in _numbers(trackers)
    processes = assistant.processes
    store_url = getattr(processes, "tracker_store_url", f"sqlite:///{processes.tracker_db}")
    stored = "\n".join(_tables(store_url).values())
    assert ORDER_NUMBER in stored and _found(stored) == []
    raw = _raw(_sqlite_files(store_url))
    if raw:  # the SQLite file itself, free pages and write-ahead log included
        assert _found(raw) == []


def test_no_card_number_or_pin_is_in_the_case_store(run: Run, assistant: Client) -> None:
    url = assistant.processes.case_store_url
    tables = _tables(url)
    escalated = [c for c in run.conversations if c in tables["escalations"]]
    assert escalated, "the sessions that carried card numbers asked for a person"
    for table, rows in tables.items():
        assert _found(rows) == [], table
    raw = _raw(_sqlite_files(url))
    if raw:
        assert _found(raw) == []


def test_no_card_number_or_pin_is_in_any_log(run: Run, assistant: Client) -> None:
    logs = sorted(assistant.processes.workdir.glob("*.log"))
    assert run.gateway_log in logs and len(logs) >= 5  # sandbox, actions, gateway, rasa, ours
    for log in logs:
        assert _found(_raw([log])) == [], log.name
        # Hostile input makes no process fail: nothing was logged as a crash while the corpus ran.
        written = log.read_bytes()[run.log_offsets.get(log, 0) :].decode("utf-8", "replace")
        assert "Traceback" not in written, (log.name, written[written.find("Traceback") :][:3000])


def test_a_message_with_a_card_number_or_pin_is_answered_with_why_it_was_hidden(run: Run) -> None:
    told = 0
    for turn in run.turns:
        sent = turn.sent
        if not isinstance(sent, Hostile) or not (sent.secrets or sent.phrases) or sent.expect != "ack":
            continue
        notices = [f for f in turn.frames if f["type"] == "notice" and f.get("code") == "card_data_removed"]
        assert len(notices) == 1, (sent, turn.frames)
        if sent.language:
            assert reply_language(notices[0]["text"]) == sent.language, (sent, notices)
        told += 1
    assert told >= 25
