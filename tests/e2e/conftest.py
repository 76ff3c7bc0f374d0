"""The assistant's servers for the whole test session, talked to over REST and the gateway."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from benchmarks.chromium import chromium_path, launch
from bot.case_store import CaseDatabase
from bot.case_store.merchants import MerchantDirectory
from bot.profile import PRODUCTION, profile
from devtools.processes import AssistantProcesses


class Client:
    """Talks to the assistant as a scripted client of the contract would."""

    def __init__(self, processes: AssistantProcesses) -> None:
        self.processes = processes
        # The REST channel answers only holders of the Rasa token.
        self.http = httpx.Client(base_url=processes.base_url, params={"token": processes.token}, timeout=60)

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


def sandbox_transaction(assistant: Client, transaction_id: str) -> dict[str, Any]:
    """A transaction as the sandbox merchant API serves it (its times move with the clock)."""
    response = httpx.get(
        f"{assistant.processes.sandbox_url}/v1/transactions/{transaction_id}",
        headers={"X-API-Key": assistant.processes.sandbox_key},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Every server, in the profile ASSISTANT_PROFILE names: the local one as scripts/run.sh starts it
    on 2 cores (a gateway, two rasa servers sharing one SQLite tracker store, an action server), or
    production (two gateways, rasa servers and action servers on PostgreSQL and Redis)."""
    chosen = profile()
    copies = 2 if chosen == PRODUCTION else 1
    # Every test talks from 127.0.0.1, and the production profile's gateways count each address
    # together: the per-address limit is raised there (its own test uses a gateway of its own).
    limits = {"GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": "100000"} if chosen == PRODUCTION else {}
    processes = AssistantProcesses(
        workdir=tmp_path_factory.mktemp("assistant"),
        profile=chosen,
        copies=copies,
        rasa_servers=2,
        gateway_environment=limits,
    )
    processes.start()
    client = Client(processes)
    try:
        yield client
    finally:
        client.http.close()
        processes.stop()


@pytest.fixture(scope="session")
def merchants(assistant: Client) -> Iterator[MerchantDirectory]:
    """Two sandbox merchants with a terminal each, in the assistant's case store."""
    directory = MerchantDirectory(CaseDatabase(assistant.processes.case_store_url))
    for transaction_id, login in (("TXN0005", "familymart"), ("TXN0006", "sinopec")):
        found = sandbox_transaction(assistant, transaction_id)
        directory.add_merchant(found["merchant_id"], found["merchant_name"], login, "a long test password")
        directory.add_terminal(found["merchant_id"], found["terminal_id"])
    yield directory
    directory.database.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the browser tests of one module (its Playwright loop must not
    outlive the module: async tests elsewhere need the thread's event loop)."""
    if not Path(chromium_path()).exists():
        pytest.fail(f"Debian's chromium is missing at {chromium_path()}: scripts/test.sh installs it as root")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
