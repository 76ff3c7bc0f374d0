"""A scripted client of the gateway's chat socket (`/ws`), speaking as the widget does
(docs/widget-protocol.md): the end-to-end tests drive the gateway with it, and the load benchmark's
simulated customers talk through it."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import websockets

# What the gateway answers a message with, last of the frames about it.
ANSWERS = ("ack", "reject", "retry")
# The widget's alphabet for message ids (widget.js `uid`).
ID_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEF"


def new_client_id() -> str:
    """A message id as the widget makes one: 24 random letters. No digits, because the gateway masks
    digits that could be a card number wherever they enter, an id included, and a masked id is no
    longer the id the client knows."""
    return "".join(secrets.choice(ID_LETTERS) for _ in range(24))


def socket_url(gateway_url: str) -> str:
    """The chat socket of a gateway: ws:// for http://, wss:// for https://, as the widget derives it."""
    return "ws" + gateway_url.removeprefix("http") + "/ws"


class ChatSocket:
    """One browser session on the chat socket."""

    def __init__(self, socket: websockets.WebSocketClientProtocol) -> None:
        self.socket = socket

    @classmethod
    async def open(
        cls,
        gateway_url: str,
        session: str | None = None,
        language: str = "zh",
        *,
        origin: str | None = None,
        qr: str | None = None,
        open_timeout: float = 10,
        timeout: float | None = 60,
    ) -> tuple[ChatSocket, dict[str, Any]]:
        """Connect from a page of `origin` (the gateway's own by default) and say hello, resuming
        `session` or after scanning the code `qr`; the socket and the gateway's first frame, a welcome
        or a notice (which the caller checks: the tests look at refusals too)."""
        socket = await websockets.connect(
            socket_url(gateway_url), origin=origin or gateway_url, open_timeout=open_timeout
        )
        chat = cls(socket)
        hello: dict[str, Any] = {"type": "hello", "session": session}
        if qr is not None:
            hello["qr"] = qr
        hello.update(language=language, timezone="Asia/Shanghai")
        try:
            await chat.send(hello)
            return chat, await chat.receive(timeout)
        except BaseException:
            await socket.close()
            raise

    @classmethod
    async def open_scan(
        cls, gateway_url: str, token: str, language: str = "zh"
    ) -> tuple[ChatSocket, dict[str, Any]]:
        """A phone that has just scanned a code: the hello names the code's token."""
        return await cls.open(gateway_url, language=language, qr=token)

    @classmethod
    async def open_welcomed(
        cls, gateway_url: str, language: str, *, open_timeout: float = 30
    ) -> tuple[ChatSocket, dict[str, Any]]:
        """A first visit that must be welcomed: the socket and the welcome, or an error (the socket
        closed) when the gateway answers anything else. Waits for the welcome as long as it takes:
        the caller bounds the whole."""
        chat, welcome = await cls.open(
            gateway_url, language=language, open_timeout=open_timeout, timeout=None
        )
        if welcome.get("type") != "welcome" or not isinstance(welcome.get("session"), str):
            await chat.close()
            raise RuntimeError(f"no welcome but {welcome}")
        return chat, welcome

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame, ensure_ascii=False))

    async def receive(self, timeout: float | None = 60) -> dict[str, Any]:
        """The next frame, waiting at most `timeout` seconds for it (None: as long as it takes)."""
        frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        if not isinstance(frame, dict):
            raise ValueError(f"not a frame: {frame!r}")
        return frame

    async def say(
        self,
        text: str,
        client_id: str | None = None,
        *,
        language: str = "zh",
        frame_timeout: float | None = 60,
        **fields: Any,
    ) -> list[dict[str, Any]]:
        """Send a message (with any other fields of the frame, such as a click's `display`); every
        frame up to and including its ack, reject or retry. Waits at most `frame_timeout` seconds for
        each frame."""
        client_id = client_id or new_client_id()
        await self.send({"type": "message", "id": client_id, "text": text, "language": language, **fields})
        frames = []
        while True:
            frame = await self.receive(frame_timeout)
            frames.append(frame)
            if frame.get("type") in ANSWERS and frame.get("id") == client_id:
                return frames

    async def close(self) -> None:
        await self.socket.close()


def bot_texts(frames: list[dict[str, Any]]) -> list[str]:
    """The texts of the bot's messages among the frames."""
    return [f["text"] for f in frames if f["type"] == "bot" and "text" in f]


def button_title(bot_frames: list[dict[str, Any]], payload: str) -> str | None:
    """The title of the button that carries this payload, as the widget sends it on a click."""
    for frame in bot_frames:
        for button in frame.get("buttons") or []:
            if button.get("payload") == payload:
                return button.get("title")
    return None


def conversation_of(session: str) -> str:
    """The conversation id a gateway session token names: the token is itsdangerous's
    `value.timestamp.signature`, readable by anyone though only the gateway can sign it."""
    return session.rsplit(".", 2)[0]
