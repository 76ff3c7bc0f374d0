"""A scripted browser session on the gateway's chat socket, as the widget speaks to it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import websockets

from bot.config import PROJECT_ROOT
from devtools.processes import AssistantProcesses, free_port


class ChatSocket:
    def __init__(self, socket: websockets.WebSocketClientProtocol) -> None:
        self.socket = socket

    @classmethod
    async def open(
        cls, gateway_url: str, session: str | None = None, language: str = "zh", origin: str | None = None
    ) -> tuple[ChatSocket, dict[str, Any]]:
        url = gateway_url.replace("http://", "ws://") + "/ws"
        socket = await websockets.connect(url, origin=origin or gateway_url, open_timeout=10)
        chat = cls(socket)
        await chat.send(
            {"type": "hello", "session": session, "language": language, "timezone": "Asia/Shanghai"}
        )
        return chat, await chat.receive()

    @classmethod
    async def open_scan(
        cls, gateway_url: str, token: str, language: str = "zh"
    ) -> tuple[ChatSocket, dict[str, Any]]:
        """A phone that has just scanned a code: the hello names the code's token."""
        url = gateway_url.replace("http://", "ws://") + "/ws"
        socket = await websockets.connect(url, origin=gateway_url, open_timeout=10)
        chat = cls(socket)
        await chat.send(
            {"type": "hello", "session": None, "qr": token, "language": language, "timezone": "Asia/Shanghai"}
        )
        return chat, await chat.receive()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame, ensure_ascii=False))

    async def receive(self, timeout: float = 60) -> dict[str, Any]:
        return json.loads(await asyncio.wait_for(self.socket.recv(), timeout))

    async def say(self, text: str, client_id: str | None = None, **extra: Any) -> list[dict[str, Any]]:
        """Send a message; every frame up to its ack or reject."""
        client_id = client_id or uuid.uuid4().hex
        await self.send({"type": "message", "id": client_id, "text": text, "language": "zh", **extra})
        frames = []
        while True:
            frame = await self.receive()
            frames.append(frame)
            if frame["type"] in ("ack", "reject", "retry") and frame.get("id") == client_id:
                return frames

    async def close(self) -> None:
        await self.socket.close()


def bot_texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in frames if f["type"] == "bot" and "text" in f]


@contextmanager
def extra_gateway(processes: AssistantProcesses, workdir: Path, **settings: str) -> Iterator[str]:
    """A second gateway process beside the shared one, with its own settings (GATEWAY_*, RASA_URL)."""
    port = free_port()
    # Its own Redis prefix (production profile): its limits count apart from the shared gateways'.
    own = {
        "GATEWAY_PORT": str(port),
        "GATEWAY_REDIS_PREFIX": f"{processes.stores.name}x{port}" if processes.stores else "",
    }
    env = {**os.environ, **processes.environment(), **own, **settings}
    log = open(workdir / f"gateway-{port}.log", "ab")  # noqa: SIM115
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.web"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise TimeoutError(f"gateway on {port} did not start; see {log.name}")
        yield url
    finally:
        child.terminate()
        child.wait(timeout=20)
        log.close()
