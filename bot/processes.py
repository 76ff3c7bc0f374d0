"""Starts the gateway, rasa server, action server and sandbox as child processes (tests, benchmarks)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.config import PROJECT_ROOT


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AssistantProcesses:
    """The gateway, a rasa server, an action server and the sandbox on loopback, with their own stores."""

    workdir: Path
    model: Path = PROJECT_ROOT / "models" / "current.tar.gz"
    token: str = "test-token"
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    sandbox_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    gateway_secret: str = "test-gateway-secret"
    # Overrides for the gateway's settings (GATEWAY_* variables), e.g. its rate limits.
    gateway_environment: dict[str, str] = field(default_factory=dict)
    _children: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    @property
    def case_store_url(self) -> str:
        return f"sqlite:///{self.workdir / 'cases.db'}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def environment(self) -> dict[str, str]:
        """The variables that point a process at these servers and stores."""
        return {k: v for k, v in self._env().items() if os.environ.get(k) != v}

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(PROJECT_ROOT),
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            TRACKER_STORE_DIALECT="sqlite",
            TRACKER_STORE_DB=str(self.tracker_db),
            SANIC_HOST="127.0.0.1",
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_TELEMETRY_ENABLED="false",
            SANDBOX_PORT=str(self.sandbox_port),
            SANDBOX_DB=f"sqlite:///{self.workdir / 'sandbox.db'}",
            SANDBOX_API_KEY="sandbox-key",
            MERCHANT_API_URL=self.sandbox_url,
            MERCHANT_API_KEY="sandbox-key",
            CASE_STORE_URL=self.case_store_url,
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            RASA_URL=self.base_url,
            RASA_TOKEN=self.token,
            GATEWAY_PORT=str(self.gateway_port),
            GATEWAY_SECRET=self.gateway_secret,
        )
        env.update(self.gateway_environment)
        return env

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        self._children[name] = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout: float = 240) -> None:
        """Start every server and wait until each answers."""
        if not self.model.exists():
            raise FileNotFoundError(f"{self.model} is missing: scripts/test.sh trains it")
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "bot.case_store", "upgrade"], cwd=PROJECT_ROOT, env=self._env(), check=True
        )
        self._spawn("sandbox", [sys.executable, "-m", "bot.sandbox"])
        action_server = ["run", "actions", "--actions", "actions", "--port", str(self.action_port)]
        self._spawn("actions", [sys.executable, "-m", "rasa", *action_server])
        self._spawn("gateway", [sys.executable, "-m", "bot.web"])
        self._spawn_rasa()
        self._wait_until_ready(timeout)

    def restart_rasa(self, timeout: float = 240) -> None:
        """Kill the rasa server (SIGKILL) and start it again on the same port and tracker store."""
        self._kill("rasa", signal.SIGKILL)
        self._spawn_rasa()
        self._wait_until_ready(timeout)

    def stop_gateway(self) -> None:
        """Stop the gateway: every browser's socket drops, as on a flaky network."""
        self._kill("gateway", signal.SIGTERM)

    def start_gateway(self, timeout: float = 60) -> None:
        self._spawn("gateway", [sys.executable, "-m", "bot.web"])
        self._wait_until_ready(timeout)

    def _kill(self, name: str, sig: signal.Signals) -> None:
        child = self._children.pop(name)
        os.killpg(child.pid, sig)
        child.wait(timeout=30)

    def _spawn_rasa(self) -> None:
        server = ["run", "--model", str(self.model), "--enable-api", "--auth-token", self.token]
        network = ["--interface", "127.0.0.1", "--port", str(self.rasa_port)]
        config = ["--credentials", "credentials.yml", "--endpoints", "endpoints.yml"]
        self._spawn("rasa", [sys.executable, "-m", "rasa", *server, *network, *config])

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, child in self._children.items():
                if child.poll() is not None:
                    raise RuntimeError(f"the {name} server exited early; see {self.workdir / name}.log")
            if self._ready():
                return
            time.sleep(1)
        raise TimeoutError(f"servers not ready after {timeout}s; see the logs in {self.workdir}")

    def _ready(self) -> bool:
        try:
            status = httpx.get(f"{self.base_url}/status", params={"token": self.token}, timeout=2)
            health = httpx.get(f"http://127.0.0.1:{self.action_port}/health", timeout=2)
            sandbox = httpx.get(f"{self.sandbox_url}/health", timeout=2)
            gateway = httpx.get(f"{self.gateway_url}/health", timeout=2)
        except httpx.HTTPError:
            return False
        return status.status_code == health.status_code == sandbox.status_code == gateway.status_code == 200

    def stop(self) -> None:
        """Stop every server."""
        for child in self._children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self._children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        self._children.clear()
