"""A gateway process of a test's own, beside the shared ones (the chat socket's client is
`devtools.chat_socket`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import PROJECT_ROOT
from devtools.processes import AssistantProcesses, free_port, wait_until_answering


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
    log_path = workdir / f"gateway-{port}.log"
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot.web"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(child, f"{url}/health", log_path, timeout=20)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=20)
