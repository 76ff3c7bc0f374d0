"""The corpus's run through the gateway's chat socket: sessions of a few messages, each turn's answer
and the answer to the next message the bot must answer on the same socket."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.chat_socket import ChatSocket
from tests.e2e.hostile_input.corpus import CORPUS, LAST_IN_SESSION, RAW_FRAMES, Hostile, Raw

MESSAGES_PER_SESSION = 14  # a new session before the per-session limit (20 a minute) would bite


# --- the run -----------------------------------------------------------------------------


@dataclass
class Turn:
    """What one hostile message (or frame) got back, and what the next message on the same socket
    that the bot must answer got back: the next hostile message, or a normal one sent to check."""

    sent: Hostile | Raw
    frames: list[dict[str, Any]]
    after: list[dict[str, Any]] = field(default_factory=list)
    probe: bool = False  # whether `after` is the answer to a normal message in the session's language
    language: str = "zh"  # the session's language


@dataclass
class Run:
    turns: list[Turn] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    gateway_log: Path | None = None
    log_offsets: dict[Path, int] = field(default_factory=dict)


PROBES = {"zh": "你好", "en": "hello"}


async def _until_answer(chat: ChatSocket, client_id: str | None) -> list[dict[str, Any]]:
    """Frames up to the gateway's answer: the ack/reject/retry of client_id, or a notice."""
    frames = []
    while True:
        frame = await chat.receive(timeout=90)
        frames.append(frame)
        if frame["type"] == "notice" and client_id is None:
            return frames
        if frame["type"] in ("ack", "reject", "retry") and (
            client_id is None or frame.get("id") == client_id
        ):
            return frames


async def _send_message(
    chat: ChatSocket, text: str, language: str, display: str | None = None
) -> list[dict[str, Any]]:
    client_id = uuid.uuid4().hex
    frame = {"type": "message", "id": client_id, "text": text, "language": language}
    if display is not None:
        frame["display"] = display
    await chat.send(frame)
    return await _until_answer(chat, client_id)


async def _send_raw(chat: ChatSocket, raw: Raw) -> list[dict[str, Any]]:
    await chat.socket.send(raw.frame)
    return await _until_answer(chat, None)


async def _session(gateway: str, items: list[Hostile | Raw], language: str, run: Run) -> None:
    """One browser session: the items one after the other, then a normal message. The bot's reply to
    the next message it must answer (the next hostile one, or that normal one) shows the socket is
    still usable after each item."""
    chat, welcome = await ChatSocket.open(gateway, language=language)
    assert welcome["type"] == "welcome", welcome
    run.conversations.append(welcome["session"].split(".")[0])
    turns: list[Turn] = []
    try:
        for item in items:
            if isinstance(item, Raw):
                frames = await _send_raw(chat, item)
            else:
                frames = await _send_message(chat, item.text, language, item.display)
            if item.expect == "ack":
                for waiting in (turn for turn in turns if not turn.after):
                    waiting.after = frames
            turns.append(Turn(item, frames, language=language))
        probe = await _send_message(chat, PROBES[language], language)
        for waiting in (turn for turn in turns if not turn.after):
            waiting.after, waiting.probe = probe, True
    finally:
        await chat.close()
        run.turns.extend(turns)


def _continues(item: Hostile | Raw | None) -> bool:
    return isinstance(item, Hostile) and item.continues


def _sessions() -> list[tuple[list[Hostile | Raw], str]]:
    """The corpus in sessions of a few messages, raw frames mixed in, alternately Chinese and English.
    A message that goes on the one before it (the rest of a card number) comes right after it, in
    the same session."""
    items: list[Hostile | Raw] = []
    raws = iter(RAW_FRAMES)
    for index, hostile in enumerate(CORPUS):
        items.append(hostile)
        if index % 5 == 4 and not _continues(CORPUS[index + 1] if index + 1 < len(CORPUS) else None):
            items.extend(r for r in [next(raws, None)] if r is not None)
    items.extend(raws)
    chunks: list[list[Hostile | Raw]] = []
    for item in items:
        if not chunks or (len(chunks[-1]) >= MESSAGES_PER_SESSION and not _continues(item)):
            chunks.append([])
        chunks[-1].append(item)
    request_human = Hostile("payload", LAST_IN_SESSION)
    # The sessions that carried card numbers end by asking for a person: their escalation, with its
    # summary of the conversation, lands in the case store.
    return [
        (chunk + ([request_human] if any(isinstance(i, Hostile) and i.secrets for i in chunk) else []), lang)
        for chunk, lang in zip(chunks, ["zh", "en"] * len(chunks), strict=False)
    ]


def _log_sizes(workdir: Path) -> dict[Path, int]:
    return {log: log.stat().st_size for log in workdir.glob("*.log")}
