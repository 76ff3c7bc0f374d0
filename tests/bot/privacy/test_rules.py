"""The retention rules, without any store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.privacy.rules import (
    RetentionPeriods,
    erased_conversation_id,
    is_about,
    is_erased,
    without_mentions,
)
from bot.privacy.settings import retention_periods, tracker_store_url

NOW = datetime(2026, 11, 30, 0, 5, tzinfo=timezone.utc)


def periods(**overrides: int) -> RetentionPeriods:
    values = {"transcript_days": 180, "escalation_days": 90, "ticket_days": 540, "ticket_facts_days": 1825}
    values.update(overrides)
    return RetentionPeriods(**values)


def test_each_kind_expires_its_own_number_of_days_before_now() -> None:
    cutoffs = periods().cutoffs(NOW)
    assert NOW - cutoffs.transcript == timedelta(days=180)
    assert NOW - cutoffs.escalation == timedelta(days=90)
    assert NOW - cutoffs.ticket_details == timedelta(days=540)
    assert NOW - cutoffs.ticket_facts == timedelta(days=1825)
    # An event the helpdesk never took says what the transcript says: it goes with the transcript.
    assert cutoffs.undelivered_event == cutoffs.transcript


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"transcript_days": 0}, "RETENTION_TRANSCRIPT_DAYS"),
        ({"escalation_days": -1}, "RETENTION_ESCALATION_DAYS"),
        ({"ticket_facts_days": 100}, "RETENTION_TICKET_FACTS_DAYS must not be shorter"),
    ],
)
def test_impossible_periods_are_refused_naming_the_variable(overrides: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        periods(**overrides)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        periods().cutoffs(NOW.replace(tzinfo=None))


def test_the_periods_come_from_the_environment_with_their_defaults() -> None:
    assert retention_periods({}) == RetentionPeriods(180, 180, 540, 1825)
    assert retention_periods({"RETENTION_TRANSCRIPT_DAYS": "30"}).transcript_days == 30


def test_the_tracker_store_is_found_where_the_endpoints_files_tell_rasa() -> None:
    assert tracker_store_url({}).endswith("/var/tracker.db") and tracker_store_url({}).startswith(
        "sqlite:///"
    )
    assert tracker_store_url({"TRACKER_STORE_DB": "/srv/t.db"}) == "sqlite:////srv/t.db"
    url = "postgresql://rasa@db:5432/rasa"
    assert tracker_store_url({"TRACKER_STORE_URL": url, "TRACKER_STORE_DB": "/srv/t.db"}) == url


def test_an_erased_ticket_keeps_a_unique_conversation_id_that_names_nobody() -> None:
    erased = erased_conversation_id("LK-20261126-0001")
    assert erased == "erased:LK-20261126-0001" and is_erased(erased)
    assert erased != erased_conversation_id("LK-20261126-0002")
    assert not is_erased("e4f1c0de-conversation")


def test_mentions_of_the_conversation_in_notes_are_taken_out_and_other_ids_stay() -> None:
    note = "bot concluded: refund_ticket in conversation web-42; first debit T1 [call 9]"
    assert without_mentions(note, "web-42") == (
        "bot concluded: refund_ticket in conversation [erased]; first debit T1 [call 9]"
    )
    assert without_mentions("reported again from conversation web-42", "web-42") == (
        "reported again from conversation [erased]"
    )
    assert without_mentions("reported again from conversation web-421", "web-42") == (
        "reported again from conversation web-421"
    )
    assert without_mentions("web-42 said so", "web-42") == "web-42 said so"  # not a mention


def test_a_webhook_event_is_about_the_conversation_its_payload_names() -> None:
    assert is_about('{"conversation_id": "c1", "number": "RF-1"}', "c1")
    assert not is_about('{"conversation_id": "c10"}', "c1")
    assert not is_about('{"note": "conversation_id c1"}', "c1")
    assert not is_about("not json", "c1")
    assert not is_about('["c1"]', "c1")
