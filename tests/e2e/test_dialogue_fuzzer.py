"""The dialogue's guarantees, whatever the customer says: simulated customers who answer badly on
purpose drive the trained model over REST, and every conversation is checked.

- No question is asked a third time in one case.
- Every conversation reaches an outcome (a case_result, a hand-over included) by the eighth message.
- Every message gets an answer, with no placeholder left unfilled and nothing that looks like a crash.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.dialogue.state import MAX_ASKS, MAX_MESSAGES
from tests.e2e.conftest import Client
from tests.e2e.simulated_users import SimulatedUser

pytestmark = pytest.mark.slow

CONVERSATIONS = int(os.environ.get("FUZZ_CONVERSATIONS", "200"))
FIRST_SEED = int(os.environ.get("FUZZ_SEED", "1"))
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_CRASH = re.compile(r"Traceback|Exception|Error:|None\b|nan\b")


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r["text"] for r in replies if r.get("text")]


def _concluded(replies: list[dict[str, Any]]) -> bool:
    return any((r.get("custom") or {}).get("type") == "case_result" for r in replies)


def converse(assistant: Client, seed: int) -> list[str]:
    """One simulated conversation; returns what broke a guarantee (nothing when all held)."""
    user = SimulatedUser(seed)
    sender = f"fuzz-{seed}-{assistant.new_sender()}"
    problems: list[str] = []
    transcript: list[str] = []
    questions: list[str] = []
    in_case = 0  # customer messages since the case began (a withdrawn complaint starts a new one)
    message = user.opening()
    for number in range(1, 2 * MAX_MESSAGES):
        in_case += 1
        transcript.append(f"user: {message}")
        replies = assistant.say(sender, message)
        texts = _texts(replies)
        transcript.extend(f"bot: {text}" for text in texts)
        if not replies:
            problems.append(f"no answer to message {number}")
        for text in texts:
            if _PLACEHOLDER.search(text) or _CRASH.search(text):
                problems.append(f"a broken reply: {text!r}")
        if _concluded(replies):
            break
        state = assistant.tracker(sender)["slots"].get("dialogue") or {}
        if state.get("messages", in_case) < in_case:
            in_case, questions = state["messages"], []  # the customer withdrew the complaint
        if any(count > MAX_ASKS for count in (state.get("asked") or {}).values()):
            problems.append(f"a question asked more than {MAX_ASKS} times: {state.get('asked')}")
        if texts:
            questions.append(texts[-1])
            if questions.count(texts[-1]) > MAX_ASKS:
                problems.append(f"the same question a third time: {texts[-1]!r}")
        if in_case >= MAX_MESSAGES:
            problems.append(f"no outcome or person by message {MAX_MESSAGES} of the case")
            break
        message = user.next_message()
    if problems:
        problems.append("seed " + str(seed) + ":\n    " + "\n    ".join(transcript))
    return problems


def test_every_conversation_keeps_the_guarantees(assistant: Client) -> None:
    seeds = range(FIRST_SEED, FIRST_SEED + CONVERSATIONS)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda seed: converse(assistant, seed), seeds))
    broken = [problems for problems in results if problems]
    assert not broken, f"{len(broken)} of {CONVERSATIONS} conversations broke a guarantee:\n" + "\n".join(
        "\n".join(problems) for problems in broken[:5]
    )
