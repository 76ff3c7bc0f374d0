"""The built-once check of action server responses accepts and rejects exactly what Rasa's own check
(`jsonschema.validate` on every call) does, with the same error."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

import bot.nlu  # noqa: F401  (what the rasa server imports: it installs the check)
from bot.rasa_server.action_responses import events_by_kind, validate_action_result

EVENT_NAMES = ["slot", "bot", "action", "user", "followup", "reset_slots", "restart", "session_started",
               "active_loop", "pause", "resume", "reminder", "cancel_reminder", "nope", ""]  # fmt: skip
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)
EVENT = st.fixed_dictionaries(
    {"event": st.sampled_from(EVENT_NAMES)},
    optional={
        "name": st.one_of(st.text(max_size=6), st.integers(), st.none()),
        "value": VALUES,
        "timestamp": st.one_of(st.none(), st.floats(allow_nan=False), st.text(max_size=3)),
        "text": st.one_of(st.none(), st.text(max_size=6), st.integers()),
        "metadata": st.one_of(
            st.none(), st.dictionaries(st.text(max_size=3), SCALARS, max_size=2), st.integers()
        ),
        "data": VALUES,
    },
)
RESPONSE = st.fixed_dictionaries(
    {},
    optional={
        "events": st.one_of(st.lists(st.one_of(EVENT, VALUES), max_size=3), VALUES),
        "responses": st.one_of(
            st.lists(st.one_of(st.dictionaries(st.text(max_size=4), SCALARS), SCALARS), max_size=2), VALUES
        ),
    },
)


def rasas_own_check(result: Any) -> str | None:
    """Rasa 3.6's check as it ships: None when valid, else the error's message."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


def installed_check(result: Any) -> str | None:
    try:
        assert RemoteAction("action_turn", None)._validate_action_result(result) is True
    except jsonschema.ValidationError as error:
        return error.message
    return None


def test_the_rasa_server_uses_the_built_once_check() -> None:
    assert RemoteAction._validate_action_result is validate_action_result


@settings(max_examples=400, deadline=None)
@given(RESPONSE)
def test_accepts_and_rejects_what_rasa_does_with_the_same_error(result: dict[str, Any]) -> None:
    expected = rasas_own_check(result)
    got = installed_check(result)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.startswith(expected)
        assert "Failed to validate Action server response" in got


@pytest.mark.parametrize(
    "result",
    [
        {
            "events": [{"event": "slot", "name": "amount", "value": "12.80", "timestamp": None}],
            "responses": [],
        },
        {"events": [{"event": "slot"}]},  # a slot event without a name
        {"events": [{"name": "amount"}]},  # an event without its kind
        {"events": {"event": "slot"}},  # not a list
        {"responses": ["hello"]},  # a response that is not an object
    ],
)
def test_known_good_and_bad_responses(result: dict[str, Any]) -> None:
    assert (rasas_own_check(result) is None) == (installed_check(result) is None)


# Every kind of event an action may return, as Rasa writes it.
REAL_EVENTS = [
    SlotSet("amount", "12.80"),
    SlotSet("dialogue", {"pending_question": "amount", "asked": {"amount": 1}}),
    BotUttered("您好", {"buttons": [{"title": "是", "payload": "/affirm"}], "custom": {"type": "x"}}),
    ActionExecuted("action_listen"),
    UserUttered("hi", {"name": "greet", "confidence": 0.9}),
    FollowupAction("action_turn"),
    AllSlotsReset(),
    Restarted(),
    SessionStarted(),
    ConversationPaused(),
    ConversationResumed(),
    ActiveLoop(None),
]


@pytest.mark.parametrize("event", REAL_EVENTS, ids=lambda event: event.type_name)
def test_a_valid_event_is_accepted_without_trying_every_kind(event: Event) -> None:
    result = {"events": [event.as_dict()], "responses": [{"text": "ok"}]}
    assert rasas_own_check(result) is None
    shortcut = events_by_kind()
    assert shortcut is not None and shortcut.accepts(result)
