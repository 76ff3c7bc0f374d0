"""A ticket's status goes to its owner only: action_turn on a real SQLite case store, as a second
conversation (make_tracker's sender, "test") asks about a ticket another conversation was given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.ticket_status
from actions.turn import TakeTurn
from bot.case_store import CaseDatabase, CaseStore, Ticket
from bot.case_store.ticket_numbers import parse_number
from bot.dialogue.state import CaseState, TicketChecks
from tests.actions.conftest import make_tracker
from tests.bot.case_store.support import migrated_sqlite, refund_draft

HERE = "test"  # make_tracker's sender
OWNER = "the-owners-conversation"
RIGHT = "128.50 4821"  # refund_draft's amount and card ending
OPEN, OPEN_ZH = "open, our team is on it", "已受理，正在处理"  # an open ticket's status, as told


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CaseStore]:
    database = CaseDatabase(migrated_sqlite(tmp_path))
    cases = CaseStore(database)
    monkeypatch.setattr(actions.ticket_status, "case_store", lambda: cases)
    yield cases
    database.close()


@pytest.fixture
def theirs(store: CaseStore) -> Ticket:
    """A ticket another conversation opened and was given."""
    return store.open_ticket(refund_draft(conversation_id=OWNER))


def _unknown(ticket: Ticket) -> str:
    """A well-written number of the same day that no ticket has."""
    number = parse_number(ticket.number)
    assert number is not None
    return str(type(number)(number.prefix, number.day, number.sequence + 41))


async def _say(domain: dict, text: str, language: str = "en", **slots: Any) -> tuple[list[str], dict]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, text, slots={"language": language, **slots})
    events = await TakeTurn().run(dispatcher, tracker, domain)
    changed = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert "ticket_number" not in changed, "a number asked about never becomes the conversation's case"
    return [m["text"] for m in dispatcher.messages if m.get("text")], changed


def _asked(number: str, **checks: Any) -> dict:
    tickets = TicketChecks(pending=number, **{"asked": 1, **checks})
    return {"dialogue": CaseState(messages=1, tickets=tickets).to_slot()}


async def test_the_conversation_that_was_given_the_number_gets_the_status(domain, store) -> None:
    mine = store.open_ticket(refund_draft(conversation_id=HERE))
    texts, _ = await _say(domain, f"status of {mine.number.lower()}")
    assert any(mine.number in text and OPEN in text for text in texts), texts


async def test_a_number_the_bot_gave_this_conversation_is_its_own(domain, theirs) -> None:
    # The payment's active ticket came from another conversation; this one was told it too.
    texts, _ = await _say(domain, f"{theirs.number} any news?", ticket_number=theirs.number)
    assert any(theirs.number in text and OPEN in text for text in texts), texts


async def test_someone_elses_number_and_an_unknown_one_get_the_same_words(domain, theirs) -> None:
    for language in ("en", "zh"):
        existing, state = await _say(domain, f"status of {theirs.number}", language)
        unknown, _ = await _say(domain, f"status of {_unknown(theirs)}", language)
        assert existing == [text.replace(_unknown(theirs), theirs.number) for text in unknown]
        assert len(existing) == 1 and ("后4位" in existing[0] or "last 4 digits" in existing[0])
        assert OPEN not in existing[0] and OPEN_ZH not in existing[0]
        assert state["dialogue"]["tickets"]["pending"] == theirs.number


async def test_the_right_amount_and_card_ending_tell_the_status(domain, theirs) -> None:
    texts, state = await _say(domain, RIGHT, **_asked(theirs.number))
    assert any(theirs.number in text and OPEN in text for text in texts), texts
    assert state["dialogue"]["tickets"]["proven"] == [theirs.number]
    assert "amount" not in state and "card_last4" not in state  # an answer, not the facts of a complaint
    # Proven once: asked again later, the number is the conversation's own.
    again, _ = await _say(domain, f"and {theirs.number}?", **state)
    assert any(OPEN in text for text in again), again


async def test_a_wrong_answer_and_an_unknown_number_are_told_the_same(domain, theirs) -> None:
    wrong, state = await _say(domain, "128.50 1111", **_asked(theirs.number))
    nobody, _ = await _say(domain, RIGHT, **_asked(_unknown(theirs)))
    assert [t.replace(_unknown(theirs), theirs.number) for t in nobody] == wrong
    assert "match" in wrong[0] and not any(OPEN in text for text in wrong)
    assert state["dialogue"]["tickets"]["failures"] == 1


async def test_two_wrong_answers_stop_the_checks_and_offer_a_person(domain, theirs) -> None:
    texts, state = await _say(domain, "99.00 4821", **_asked(theirs.number, failures=1, asked=2))
    assert "person" in texts[-1] and not any(OPEN in text for text in texts)
    # Even the right answer to a new question is not asked for any more.
    after, _ = await _say(domain, f"status of {theirs.number}", **state)
    assert after == [texts[-1]]


async def test_a_wrong_check_letter_is_refused_before_any_lookup(domain, theirs, monkeypatch) -> None:
    wrong = theirs.number[:-1] + ("A" if theirs.number[-1] != "A" else "B")

    def no_lookup(*_: object, **__: object) -> None:
        raise AssertionError("a number with the wrong check letter was looked up")

    monkeypatch.setattr(CaseStore, "get", no_lookup)
    texts, _ = await _say(domain, f"status of {wrong}")
    assert "doesn't look like" in texts[0] and "RF-20261120-0042-X" in texts[0]


async def test_a_number_without_check_letter_is_answered_only_where_it_was_given(domain, store) -> None:
    mine = store.open_ticket(refund_draft(conversation_id=HERE))
    other = store.open_ticket(refund_draft(conversation_id=OWNER, transaction_id="TX-OTHER"))
    plain = [parse_number(ticket.number).plain for ticket in (mine, other)]  # type: ignore[union-attr]
    own, _ = await _say(domain, f"工单 {plain[0]} 怎么样了", "zh")
    assert any(mine.number in text and OPEN_ZH in text for text in own), own
    elsewhere, _ = await _say(domain, f"工单 {plain[1]} 怎么样了", "zh")
    assert "不对" in elsewhere[0] and not any(OPEN_ZH in text for text in elsewhere)


async def test_one_fact_of_two_is_asked_for_again_and_is_no_complaint_fact(domain, theirs) -> None:
    texts, state = await _say(domain, "128.50", **_asked(theirs.number))
    assert "both in one message" in texts[-1] and "amount" not in state
    assert state["dialogue"]["tickets"]["pending"] == theirs.number
