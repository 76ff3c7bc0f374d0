"""Hostile input through the public door: the gateway's chat socket, with the rasa server, the
action server and the sandbox behind it.

Every message of the corpus must get a polite answer in its own language, never echo markup or
evaluate templates, not be steered by typed payloads, and leave the socket usable."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from benchmarks.scenarios import reply_language
from bot.text.payloads import BUTTON_PAYLOADS
from devtools.chat_socket import bot_texts
from tests.e2e.conftest import Client
from tests.e2e.hostile_input.corpus import (
    _LEAKED_ERROR,
    CORPUS,
    LAST_IN_SESSION,
    MAX_CHARS,
    RAW_FRAMES,
    Hostile,
)
from tests.e2e.hostile_input.corpus_run import Run, _sessions

pytestmark = pytest.mark.slow


# --- every message gets a polite answer, in its language, and the socket stays usable -----------


def _gateway_text(frames: list[dict[str, Any]]) -> str:
    """What the gateway and the bot wrote (an ack's text is the user's own message, redacted)."""
    return json.dumps(
        [{k: v for k, v in f.items() if not (f["type"] == "ack" and k == "text")} for f in frames]
    )


def test_every_hostile_message_gets_a_polite_answer(run: Run) -> None:
    assert len(run.turns) == len(CORPUS) + len(RAW_FRAMES) + sum(
        1 for items, _ in _sessions() if items[-1] == Hostile("payload", LAST_IN_SESSION)
    )
    for turn in run.turns:
        frames, sent = turn.frames, turn.sent
        label = f"{type(sent).__name__} {getattr(sent, 'kind', getattr(sent, 'name', ''))}: {sent!r:.80}"
        last = frames[-1]
        assert not _LEAKED_ERROR.search(_gateway_text(frames)), (label, frames)
        assert all(f["type"] != "retry" for f in frames), (label, "the bot failed to answer", frames)
        if sent.expect == "ack":
            assert last["type"] == "ack", (label, frames)
            assert bot_texts(frames) or any(f["type"] == "bot" for f in frames), (label, "no reply", frames)
        elif sent.expect == "notice":
            assert last["type"] == "notice" and last["code"] == "bad_request" and last["text"], (
                label,
                frames,
            )
        else:
            assert last["type"] == "reject" and last["code"] == sent.expect, (label, frames)
            assert last["text"] and not _LEAKED_ERROR.search(last["text"]), (label, frames)
            if sent.expect == "too_long":
                assert str(MAX_CHARS) in last["text"], last["text"]


def test_the_socket_stays_usable_after_every_hostile_message(run: Run) -> None:
    assert sum(turn.probe for turn in run.turns) >= len(_sessions())
    for turn in run.turns:
        after = turn.after
        assert after and after[-1]["type"] == "ack", (turn.sent, after)
        assert bot_texts(after), (turn.sent, "no reply to the next message", after)
        assert not _LEAKED_ERROR.search(_gateway_text(after)), after


def test_replies_are_in_the_language_of_the_message(run: Run) -> None:
    checked = 0
    for turn in run.turns:
        if isinstance(turn.sent, Hostile) and turn.sent.language and turn.sent.expect == "ack":
            for text in bot_texts(turn.frames):
                assert reply_language(text) == turn.sent.language, (turn.sent, text)
            checked += 1
        if isinstance(turn.sent, Hostile) and turn.sent.expect not in ("ack",):
            # The gateway's own notices follow the browser's language.
            assert reply_language(turn.frames[-1]["text"]) == turn.language, turn.frames
        for text in bot_texts(turn.after) if turn.probe else []:
            assert reply_language(text) == turn.language, (turn.sent, "probe", text)
    assert checked >= 40


def test_replies_never_echo_markup_or_evaluate_templates(run: Run) -> None:
    for turn in run.turns:
        if not isinstance(turn.sent, Hostile) or turn.sent.kind not in ("html", "template", "path"):
            continue
        said = "\n".join(bot_texts(turn.frames))
        assert not re.search(r"<script|onerror|onload|javascript:|/etc/|win\.ini", said, re.I), said
        assert "49" not in said, ("a template was evaluated", said)


def test_typed_payloads_do_not_steer_the_dialogue(run: Run, assistant: Client) -> None:
    for conversation in run.conversations:
        events = assistant.tracker(conversation)["events"]
        kinds = [e["event"] for e in events]
        actions = [e.get("name") for e in events if e["event"] == "action"]
        assert "restart" not in kinds, conversation
        assert kinds.count("session_started") <= 1, conversation
        assert "action_start_from_qr" not in actions and "action_restart" not in actions, conversation
        for event in events:
            if event["event"] == "user" and (event.get("text") or "").startswith("/"):
                assert event["text"] in BUTTON_PAYLOADS, event["text"]
