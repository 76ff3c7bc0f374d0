"""`python -m bot.web.end_conversation`: an operator ends conversations in the gateways' Redis (the real
one at TEST_REDIS_URL, under a prefix of this run's own, deleted afterwards), and is told plainly when
it cannot."""

from __future__ import annotations

import asyncio

import pytest

from bot.web.chat import ENDED_CONVERSATIONS
from bot.web.end_conversation import main
from bot.web.shared_state import RedisState
from devtools.processes import free_port
from tests.bot.web.shared_state.support import REDIS_URL, new_prefix


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    chosen = new_prefix()
    monkeypatch.setenv("GATEWAY_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("GATEWAY_REDIS_PREFIX", chosen)
    return chosen


async def marked(prefix: str, *conversation_ids: str) -> list[bool]:
    state = RedisState(REDIS_URL, prefix, 5.0)
    await state.open()
    try:
        ended = state.marks(ENDED_CONVERSATIONS)
        return [await ended.marked(c) for c in conversation_ids]
    finally:
        await state.close()


def test_an_operator_ends_conversations_for_every_gateway(
    prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["web-leaked_token-1", "web-another"]) == 0
    assert "ended 2 conversation(s)" in capsys.readouterr().out


def test_the_gateways_see_them_ended(prefix: str) -> None:
    assert main(["web-leaked_token-2"]) == 0
    assert asyncio.run(marked(prefix, "web-leaked_token-2", "web-not-this-one")) == [True, False]


def test_what_is_not_a_chat_conversation_is_refused(prefix: str, capsys: pytest.CaptureFixture[str]) -> None:
    for odd in ("rest-sender", "web-", "web-a b", "web-" + "x" * 65, "web-\u0000"):
        assert main([odd]) == 2, odd
        assert "not a conversation id" in capsys.readouterr().err


def test_without_redis_it_says_what_to_do_instead(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GATEWAY_REDIS_URL", raising=False)
    assert main(["web-abc"]) == 2
    assert "GATEWAY_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("GATEWAY_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["web-abc"]) == 2
    assert "cannot be reached" in capsys.readouterr().err
