"""The gateway's way into Rasa: the REST channel for messages, the HTTP API for the transcript; both
with the Rasa token, which they require (`?token=`).

RASA_URL may name several rasa servers, comma-separated. They share the tracker store and the lock
store, so any of them can take any conversation: requests go round the servers in turn, and a
server that refuses the connection is skipped for a few seconds while the next one answers. A
request that reached a server is never sent to another (it may have been processed).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

# How long a server that refused a connection is passed over (unless every server is).
SKIP_REFUSING_SERVER_SECONDS = 5.0


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


class RasaClient:
    def __init__(self, base_urls: str, token: str, timeout_seconds: float) -> None:
        self._token = token
        self.servers = [url.strip().rstrip("/") for url in base_urls.split(",") if url.strip()]
        if not self.servers:
            raise ValueError("no rasa server named (RASA_URL)")
        self._turns = itertools.cycle(range(len(self.servers)))
        self._refused_until = [0.0] * len(self.servers)
        self._http = httpx.AsyncClient(timeout=timeout_seconds)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one user message to the bot; its replies, in order."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        replies = await self._request(
            "POST", "/webhooks/rest/webhook", params={"token": self._token}, json=body
        )
        return replies if isinstance(replies, list) else []

    async def events(self, sender: str) -> list[dict[str, Any]]:
        """Every event of a conversation (none for a conversation Rasa has never seen)."""
        tracker = await self._request(
            "GET", f"/conversations/{sender}/tracker", params={"token": self._token}
        )
        events = tracker.get("events") if isinstance(tracker, dict) else None
        return events if isinstance(events, list) else []

    async def append(self, sender: str, event: dict[str, Any]) -> None:
        """Add one event to a conversation's tracker (a pause, a resume, an agent's message)."""
        body = {"timestamp": time.time(), **event}
        await self._request(
            "POST", f"/conversations/{sender}/tracker/events", params={"token": self._token}, json=body
        )

    async def execute(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Run one of the bot's actions in a conversation; the messages it sent."""
        result = await self._request(
            "POST", f"/conversations/{sender}/execute", params={"token": self._token}, json={"name": action}
        )
        messages = result.get("messages") if isinstance(result, dict) else None
        return messages if isinstance(messages, list) else []

    def _order(self) -> list[int]:
        """The servers to try, starting with the next in turn; those refusing lately go last."""
        first = next(self._turns)
        order = [(first + i) % len(self.servers) for i in range(len(self.servers))]
        now = time.monotonic()
        return sorted(order, key=lambda i: self._refused_until[i] > now)

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        error: Exception | None = None
        for server in self._order():
            try:
                response = await self._http.request(method, self.servers[server] + path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as refused:
                # It never reached this server, so another may take it.
                self._refused_until[server] = time.monotonic() + SKIP_REFUSING_SERVER_SECONDS
                error = refused
                continue
            except httpx.HTTPError as failed:
                raise RasaUnavailable(f"{method} {path}: {failed}") from failed
            try:
                response.raise_for_status()
                return response.json()
            except (httpx.HTTPError, ValueError) as failed:
                raise RasaUnavailable(f"{method} {path}: {failed}") from failed
        raise RasaUnavailable(f"{method} {path}: no rasa server answered: {error}") from error

    async def close(self) -> None:
        await self._http.aclose()
