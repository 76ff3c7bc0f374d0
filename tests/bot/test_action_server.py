"""The action server as the scripts start it (`python -m bot.action_server`): on loopback unless told
otherwise, and answering only holders of the Rasa token, so that nobody else on the network can run
an action with a made-up tracker. tests/e2e shows the rasa servers present it (every conversation)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import config
from bot.config import PROJECT_ROOT
from devtools.processes import free_port, wait_until_answering

pytestmark = pytest.mark.slow  # an action server process: a few seconds
TOKEN = "action-server-test-token-0123456789"
FORGED_CALL = {
    "next_action": "action_turn",
    "sender_id": "someone-else",
    "tracker": {"sender_id": "someone-else", "slots": {}, "latest_message": {"text": "hi"}, "events": []},
    "domain": {},
    "version": "3.6.21",
}


def listening_addresses(port: int) -> set[str]:
    """The addresses a TCP port is listened on, from /proc/net (hex, as the kernel writes them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("action-server")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in config.SECRETS and k != "SANIC_HOST"}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        ACTION_PORT=str(port),
        RASA_TOKEN=TOKEN,
        SECRETS_FILE=str(workdir / "secrets.env"),
    )
    log = workdir / "actions.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_answering(process, f"http://127.0.0.1:{port}/health", log, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_it_listens_on_loopback_only_unless_told(action_server: str) -> None:
    port = int(action_server.rsplit(":", 1)[1])
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no wildcard


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer local-dev-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": TOKEN},
    ],
)
def test_a_forged_action_call_is_refused_with_a_json_reason(
    action_server: str, headers: dict[str, str]
) -> None:
    for answer in (
        httpx.post(f"{action_server}/webhook", json=FORGED_CALL, headers=headers, timeout=10),
        httpx.get(f"{action_server}/actions", headers=headers, timeout=10),
    ):
        assert answer.status_code == 401
        assert answer.json() == {
            "error": "unauthorized",
            "message": "this server answers only holders of the Rasa token "
            "(Authorization: Bearer <RASA_TOKEN>)",
        }


def test_the_rasa_servers_token_opens_it_and_health_needs_none(action_server: str) -> None:
    assert httpx.get(f"{action_server}/health", timeout=10).status_code == 200
    listed = httpx.get(f"{action_server}/actions", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert listed.status_code == 200 and {"name": "action_turn"} in listed.json()


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.production.yml"])
def test_the_rasa_servers_send_the_token(endpoints: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As rasa reads its endpoints file, with the environment the scripts give it."""
    from rasa.utils.endpoints import read_endpoint_config

    # Every variable the file names must be set for rasa to read it.
    for name in config.VARIABLES:
        if name.startswith(("ACTION_SERVER_", "TRACKER_STORE_", "LOCK_STORE_")):
            monkeypatch.setenv(name, config.default(name) or "unused")
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    action_endpoint = read_endpoint_config(str(PROJECT_ROOT / endpoints), "action_endpoint")
    assert action_endpoint is not None and action_endpoint.headers == {"Authorization": f"Bearer {TOKEN}"}
