"""The gateway's way into Rasa: the REST channel for messages, the HTTP API for the transcript."""

from __future__ import annotations

import time
from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_seconds)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Hand one user message to the bot; its replies, in order."""
        body = {"sender": sender, "message": text, "metadata": metadata}
        replies = await self._request("POST", "/webhooks/rest/webhook", json=body)
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

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(f"{method} {path}: {error}") from error

    async def close(self) -> None:
        await self._http.aclose()
