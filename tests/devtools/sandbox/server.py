"""The sandbox merchant API as a child process on a free loopback port (shared by the test packages)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.config import PROJECT_ROOT
from devtools.processes import free_port, wait_until_answering


@dataclass
class SandboxServer:
    """`python -m devtools.sandbox` with its own database file, environment and log."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    api_key: str = "test-key"  # empty: none given (the sandbox takes MERCHANT_API_KEY's)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "sandbox.log"

    def start(self, timeout: float = 30) -> SandboxServer:
        """Start the server and wait until it answers."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {name: value for name, value in os.environ.items() if not name.startswith("SANDBOX_")}
        env.update(PYTHONPATH=str(PROJECT_ROOT))
        if self.api_key:
            env.update(SANDBOX_API_KEY=self.api_key)
        env.update(self.env)
        database = f"sqlite:///{self.workdir / 'sandbox.db'}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devtools.sandbox", "--port", str(self.port), "--db", database],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_answering(
                self.process, f"{self.base_url}/_faults", self.log, timeout, poll_seconds=0.05
            )
        except (RuntimeError, TimeoutError):
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change the fault injection of the running server."""
        response = httpx.post(f"{self.base_url}/_faults", json=changes, timeout=5)
        response.raise_for_status()
        return response.json()

    def heal(self) -> None:
        """No latency, no errors, up."""
        self.set_faults(latency_ms=0, error_rate=0, down=False)

    def requests(self) -> list[dict[str, Any]]:
        """The API requests the server received, oldest first."""
        response = httpx.get(f"{self.base_url}/_requests", timeout=5)
        response.raise_for_status()
        return response.json()["requests"]

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        httpx.delete(f"{self.base_url}/_requests", timeout=5).raise_for_status()
