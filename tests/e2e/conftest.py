"""One rasa server and one action server for the whole test session, talked to over REST."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.processes import AssistantProcesses


class Client:
    """Talks to the assistant as a scripted client of the contract would."""

    def __init__(self, processes: AssistantProcesses) -> None:
        self.processes = processes
        self.http = httpx.Client(base_url=processes.base_url, timeout=60)

    def say(self, sender: str, message: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = self.http.post("/webhooks/rest/webhook", json=body)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict[str, Any]:
        response = self.http.get(f"/conversations/{sender}/tracker", params={"token": self.processes.token})
        response.raise_for_status()
        return response.json()

    @staticmethod
    def new_sender() -> str:
        return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    processes = AssistantProcesses(workdir=tmp_path_factory.mktemp("assistant"))
    processes.start()
    client = Client(processes)
    try:
        yield client
    finally:
        client.http.close()
        processes.stop()
