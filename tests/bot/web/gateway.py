"""A real gateway process for tests, on a free loopback port, with its own settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.config import PROJECT_ROOT
from devtools.processes import free_port, wait_until_answering

SECRET = "merchant-pages-test-secret"


@dataclass
class Gateway:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def client(self, local_address: str = "127.0.0.1") -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=local_address)
        return httpx.Client(base_url=self.url, transport=transport, timeout=20, follow_redirects=False)


def start_gateway(workdir: Path, case_store_url: str, name: str, **overrides: str) -> Gateway:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_") and k != "DEFAULT_TIMEZONE"}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        GATEWAY_PORT=str(port),
        GATEWAY_SECRET=SECRET,
        CASE_STORE_URL=case_store_url,
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        RASA_URL=f"http://127.0.0.1:{free_port()}",  # nothing listens: these pages need no Rasa
    )
    env.update(overrides)
    log = workdir / f"{name}.log"
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.web"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    gateway = Gateway(f"http://127.0.0.1:{port}", port, process, log)
    try:
        wait_until_answering(process, f"{gateway.url}/health", log, timeout=60)
    except (RuntimeError, TimeoutError):
        stop_gateway(gateway)
        raise
    return gateway


def stop_gateway(gateway: Gateway) -> None:
    if gateway.process.poll() is None:
        os.killpg(gateway.process.pid, signal.SIGTERM)
        try:
            gateway.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(gateway.process.pid, signal.SIGKILL)
            gateway.process.wait(timeout=20)
