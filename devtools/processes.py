"""Starts the gateway, rasa server, action server and sandbox as child processes (tests, benchmarks).

In the local profile: one gateway, `rasa_servers` rasa servers (one unless asked) sharing one action
server, with SQLite files in a work directory. In the production profile: `copies` gateways, rasa
servers and action servers, on a PostgreSQL database and a Redis key prefix of their own
(ProductionStores), dropped again by `stop`.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import redis
import sqlalchemy as sa

from bot.config import PROJECT_ROOT
from bot.profile import LOCAL, PRODUCTION

# Where the production profile's tests and benchmarks find PostgreSQL (any database the user may
# create databases from) and Redis; these machines run both on loopback.
TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(
    process: subprocess.Popen, url: str, log: Path, timeout: float, poll_seconds: float = 0.2
) -> None:
    """Return once `url` answers 200; raise, showing the process's log, if it exits first or the
    timeout passes (the caller stops it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise RuntimeError(f"the process behind {url} exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll_seconds)
    raise TimeoutError(f"{url} did not answer within {timeout:g}s:\n{log.read_text(errors='replace')}")


def _free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]


@dataclass
class ProductionStores:
    """A PostgreSQL database (tracker and case store) and a Redis key prefix for one run."""

    postgres_url: str = TEST_POSTGRES_URL
    redis_url: str = TEST_REDIS_URL
    name: str = field(default_factory=lambda: f"cbot{secrets.token_hex(6)}")

    @property
    def database_url(self) -> str:
        return str(sa.engine.make_url(self.postgres_url).set(database=self.name))

    def check_reachable(self) -> None:
        """Raise RuntimeError, naming the variable that points elsewhere, if a server is missing."""
        try:
            admin = sa.create_engine(self.postgres_url)
            admin.connect().close()
            admin.dispose()
        except sa.exc.OperationalError as error:
            raise RuntimeError(
                f"PostgreSQL is not reachable at {self.postgres_url} (set TEST_POSTGRES_URL): {error}"
            ) from error
        try:
            redis.Redis.from_url(self.redis_url).ping()
        except redis.RedisError as error:
            raise RuntimeError(
                f"Redis is not reachable at {self.redis_url} (set TEST_REDIS_URL): {error}"
            ) from error

    def create(self) -> None:
        self.check_reachable()
        admin = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()

    def drop(self) -> None:
        admin = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()
        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(match=f"{self.name}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()

    def environment(self) -> dict[str, str]:
        redis_parts = urlsplit(self.redis_url)
        return {
            "TRACKER_STORE_URL": self.database_url,
            "CASE_STORE_URL": self.database_url,
            "LOCK_STORE_HOST": redis_parts.hostname or "127.0.0.1",
            "LOCK_STORE_PORT": str(redis_parts.port or 6379),
            "LOCK_STORE_DB": redis_parts.path.strip("/") or "0",
            "LOCK_STORE_PASSWORD": redis_parts.password or "",
            "LOCK_STORE_KEY_PREFIX": self.name,
            "GATEWAY_REDIS_URL": self.redis_url,
            "GATEWAY_REDIS_PREFIX": self.name,
        }


@dataclass
class AssistantProcesses:
    """Gateways, rasa servers, action servers and the sandbox on loopback, with their own stores."""

    workdir: Path
    model: Path = PROJECT_ROOT / "models" / "current.tar.gz"
    profile: str = LOCAL
    # How many gateways, rasa servers and action servers (the production profile runs two).
    copies: int = 1
    # How many rasa servers, when not `copies` (the local profile may run several behind its gateway).
    rasa_servers: int = 0
    # Overrides for the gateway's settings (GATEWAY_* variables), e.g. its rate limits.
    gateway_environment: dict[str, str] = field(default_factory=dict)
    stores: ProductionStores | None = None
    # Secrets: fresh ones unless given (none has a default anywhere, and bot.profile refuses public ones).
    token: str = ""
    gateway_secret: str = ""
    sandbox_key: str = ""
    rasa_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    gateway_ports: list[int] = field(default_factory=list)
    sandbox_port: int = field(default_factory=free_port)
    _children: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rasa_servers = self.rasa_servers or self.copies
        self.rasa_ports = self.rasa_ports or _free_ports(self.rasa_servers)
        self.action_ports = self.action_ports or _free_ports(self.copies)
        self.gateway_ports = self.gateway_ports or _free_ports(self.copies)
        if self.profile == PRODUCTION and self.stores is None:
            self.stores = ProductionStores()
        self.token = self.token or f"test-token-{secrets.token_hex(8)}"
        self.gateway_secret = self.gateway_secret or f"test-gateway-{secrets.token_hex(8)}"
        self.sandbox_key = self.sandbox_key or f"test-sandbox-{secrets.token_hex(8)}"

    # --- where things are ---------------------------------------------------------------------

    @property
    def rasa_port(self) -> int:
        return self.rasa_ports[0]

    @property
    def action_port(self) -> int:
        return self.action_ports[0]

    @property
    def gateway_port(self) -> int:
        return self.gateway_ports[0]

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def gateway_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    @property
    def base_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def gateway_url(self) -> str:
        return self.gateway_urls[0]

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def tracker_db(self) -> Path:
        """The local profile's SQLite tracker store."""
        return self.workdir / "tracker.db"

    @property
    def tracker_store_url(self) -> str:
        return self.stores.database_url if self.stores else f"sqlite:///{self.tracker_db}"

    @property
    def case_store_url(self) -> str:
        return self.stores.database_url if self.stores else f"sqlite:///{self.workdir / 'cases.db'}"

    def pids(self) -> dict[str, int]:
        """Each running process by name (gateway, gateway2, rasa, rasa2, actions, ..., sandbox)."""
        return {name: child.pid for name, child in self._children.items() if child.poll() is None}

    def stored_events(self, sender: str | None = None) -> list[str]:
        """The tracker store's rows as stored (JSON text), of one conversation or of all."""
        engine = sa.create_engine(self.tracker_store_url)
        query = "SELECT data FROM events" + (" WHERE sender_id = :sender" if sender else "")
        try:
            with engine.connect() as connection:
                return [row[0] for row in connection.execute(sa.text(query), {"sender": sender})]
        finally:
            engine.dispose()

    # --- environment ----------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """The variables that point a process at these servers and stores."""
        return {k: v for k, v in self._env().items() if os.environ.get(k) != v}

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(PROJECT_ROOT),
            ASSISTANT_PROFILE=self.profile,
            ACTION_SERVER_URL=f"http://127.0.0.1:{self.action_port}/webhook",
            TRACKER_STORE_DIALECT="sqlite",
            TRACKER_STORE_DB=str(self.tracker_db),
            SANIC_HOST="127.0.0.1",
            TF_CPP_MIN_LOG_LEVEL="2",
            # As scripts/defaults.env: one TensorFlow thread per rasa server.
            TF_INTER_OP_PARALLELISM_THREADS="1",
            TF_INTRA_OP_PARALLELISM_THREADS="1",
            RASA_TELEMETRY_ENABLED="false",
            SANDBOX_PORT=str(self.sandbox_port),
            SANDBOX_DB=f"sqlite:///{self.workdir / 'sandbox.db'}",
            SANDBOX_API_KEY=self.sandbox_key,
            MERCHANT_API_URL=self.sandbox_url,
            MERCHANT_API_KEY=self.sandbox_key,
            CASE_STORE_URL=self.case_store_url,
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            RASA_URL=",".join(self.rasa_urls),
            RASA_TOKEN=self.token,
            GATEWAY_PORT=str(self.gateway_port),
            GATEWAY_SECRET=self.gateway_secret,
            HELPDESK_WEBHOOK_SECRET=f"webhook-{self.gateway_secret}",
        )
        if self.stores is not None:
            env.update(self.stores.environment())
        env.update(self.gateway_environment)
        return env

    @property
    def endpoints_file(self) -> str:
        return "endpoints.production.yml" if self.profile == PRODUCTION else "endpoints.yml"

    # --- starting and stopping --------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], **environment: str) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        self._children[name] = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env={**self._env(), **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @staticmethod
    def _name(kind: str, index: int) -> str:
        return kind if index == 0 else f"{kind}{index + 1}"

    def start(self, timeout: float = 300) -> None:
        """Start every server and wait until each answers."""
        if not self.model.exists():
            raise FileNotFoundError(f"{self.model} is missing: scripts/test.sh trains it")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.stores is not None:
            self.stores.create()
        subprocess.run(
            [sys.executable, "-m", "bot.case_store", "upgrade"], cwd=PROJECT_ROOT, env=self._env(), check=True
        )
        self._spawn("sandbox", [sys.executable, "-m", "devtools.sandbox"])
        for index in range(self.copies):
            self.start_actions(index, wait=False)
            self.start_gateway(index, wait=False)
        for index in range(self.rasa_servers):
            self._spawn_rasa(index)
        self._wait_until_ready(timeout)

    def start_actions(self, index: int = 0, *, wait: bool = True) -> None:
        # As the Procfiles start it: rasa-sdk's app, requiring the token, without loading rasa (and
        # with TF_*_PARALLELISM_THREADS set, TensorFlow: 350 MB) into the action server.
        port = str(self.action_ports[index])
        name = self._name("actions", index)
        self._spawn(name, [sys.executable, "-m", "bot.action_server"], ACTION_PORT=port)
        if wait:
            self._wait_until_ready(120)

    def stop_actions(self, index: int = 0, sig: signal.Signals = signal.SIGKILL) -> None:
        self._kill(self._name("actions", index), sig)

    def kill_rasa(self, index: int = 0) -> None:
        """Kill a rasa server with SIGKILL: no chance to finish or clean up anything."""
        self._kill(self._name("rasa", index), signal.SIGKILL)

    def start_rasa(self, index: int = 0, timeout: float = 240) -> None:
        self._spawn_rasa(index)
        self._wait_until_ready(timeout)

    def restart_rasa(self, timeout: float = 240) -> None:
        """Kill the rasa server (SIGKILL) and start it again on the same port and tracker store."""
        self.kill_rasa(0)
        self.start_rasa(0, timeout)

    def stop_gateway(self, index: int = 0) -> None:
        """Stop a gateway: every browser's socket on it drops, as on a flaky network."""
        self._kill(self._name("gateway", index), signal.SIGTERM)

    def start_gateway(self, index: int = 0, timeout: float = 60, *, wait: bool = True) -> None:
        port = str(self.gateway_ports[index])
        self._spawn(self._name("gateway", index), [sys.executable, "-m", "bot.web"], GATEWAY_PORT=port)
        if wait:
            self._wait_until_ready(timeout)

    def _kill(self, name: str, sig: signal.Signals) -> None:
        child = self._children.pop(name)
        os.killpg(child.pid, sig)
        child.wait(timeout=30)

    def _spawn_rasa(self, index: int) -> None:
        server = ["run", "--model", str(self.model), "--enable-api", "--auth-token", self.token]
        network = ["--interface", "127.0.0.1", "--port", str(self.rasa_ports[index])]
        config = ["--credentials", "credentials.yml", "--endpoints", self.endpoints_file]
        # Each rasa server has an action server of its own (beside it, on a machine of several), or
        # they share the one there is.
        action_port = self.action_ports[min(index, len(self.action_ports) - 1)]
        action_server = f"http://127.0.0.1:{action_port}/webhook"
        self._spawn(
            self._name("rasa", index),
            [sys.executable, "-m", "rasa", *server, *network, *config],
            ACTION_SERVER_URL=action_server,
        )

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

    def _health_urls(self) -> list[str]:
        running = set(self._children)
        urls = [f"{self.sandbox_url}/health"]
        for index in range(self.rasa_servers):
            if self._name("rasa", index) in running:
                urls.append(f"{self.rasa_urls[index]}/status?token={self.token}")
        for index in range(self.copies):
            if self._name("actions", index) in running:
                urls.append(f"http://127.0.0.1:{self.action_ports[index]}/health")
            if self._name("gateway", index) in running:
                urls.append(f"{self.gateway_urls[index]}/health")
        return urls

    def _ready(self) -> bool:
        try:
            return all(httpx.get(url, timeout=2).status_code == 200 for url in self._health_urls())
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop every server (and drop the production profile's database and keys)."""
        for child in self._children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self._children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)
        self._children.clear()
        if self.stores is not None:
            self.stores.drop()
