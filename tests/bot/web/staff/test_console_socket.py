"""The console socket's loop on its own, with a socket and a support service made here: it checks its
session again on every message and after every quiet spell, and closes once the session has ended."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from bot.case_store import CaseStoreUnavailable
from bot.case_store.agents import Agent
from bot.web.shared_state import LiveHub
from bot.web.staff.support_console import SIGNED_OUT, serve_console_socket
from bot.web.staff.support_service import QUEUE_CHANNEL

RECHECK_SECONDS = 2.5


class Socket:
    """Frames the console sends (None: a quiet `recheck_seconds`), and what the gateway did."""

    def __init__(self, *frames: str | None) -> None:
        self.frames = list(frames)
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.timeouts: list[float | None] = []

    async def send(self, data: str) -> None:
        self.sent.append(data)

    async def recv(self, timeout: float | None = None) -> str | None:
        self.timeouts.append(timeout)
        if not self.frames:
            raise AssertionError("the loop went on reading after the session ended")
        return self.frames.pop(0)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed = (code, reason)


def request() -> Any:
    async def queue() -> dict[str, Any]:
        return {"type": "queue", "items": []}

    support = SimpleNamespace(hub=LiveHub(), queue=queue, escalations=None)
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(support=support)))


def answers(*results: bool | Exception) -> tuple[Callable[[], Awaitable[bool]], list[int]]:
    """A session check that gives these results in turn, and how often it was asked."""
    asked: list[int] = []

    async def still_signed_in() -> bool:
        asked.append(1)
        result = results[len(asked) - 1]
        if isinstance(result, Exception):
            raise result
        return result

    return still_signed_in, asked


async def test_a_quiet_console_is_closed_once_its_session_has_ended() -> None:
    ws, made = Socket(None, None, None), request()
    check, asked = answers(True, True, False)
    await serve_console_socket(made, ws, Agent("li.na", "李娜"), check, RECHECK_SECONDS)
    assert ws.closed == (SIGNED_OUT, "signed out") and len(asked) == 3
    assert ws.timeouts == [RECHECK_SECONDS] * 3  # it never waits longer than that for a frame
    assert not made.app.ctx.support.hub.listening(QUEUE_CHANNEL)  # no more pushes to it


async def test_a_message_on_an_ended_session_is_not_acted_on() -> None:
    ws = Socket('{"type": "watch", "escalation": 7}')
    check, _ = answers(False)
    made = request()
    await serve_console_socket(made, ws, Agent("li.na", "李娜"), check, RECHECK_SECONDS)
    assert ws.closed == (SIGNED_OUT, "signed out")  # closed before the watch was looked up


async def test_while_the_case_store_cannot_tell_the_console_stays_open() -> None:
    ws = Socket(None, None)
    check, asked = answers(CaseStoreUnavailable("down"), False)
    await serve_console_socket(request(), ws, Agent("li.na", "李娜"), check, RECHECK_SECONDS)
    assert len(asked) == 2 and ws.closed == (SIGNED_OUT, "signed out")
