"""The vanilla bot the benchmarks measure ours against: the moodbot of `rasa init`, made, trained and
served by rasa itself in a scratch folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devtools.processes import free_port


def _kill_group(child: subprocess.Popen) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGTERM)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


@dataclass
class VanillaBot:
    """`rasa init` (which trains the moodbot) in a scratch folder, served by `rasa run`."""

    workdir: Path
    port: int = field(default_factory=free_port)
    training_s: float = 0.0
    _server: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")

    def _popen(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        return subprocess.Popen(
            [sys.executable, "-m", "rasa", *args],
            cwd=self.project,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        """The running `rasa run` server's process id."""
        return self._server.pid if self._server is not None and self._server.poll() is None else None

    @property
    def project(self) -> Path:
        return self.workdir / "moodbot"

    def start(self, timeout: float = 240) -> None:
        self.project.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        init = self._popen("init", ["init", "--no-prompt", "--init-dir", str(self.project)])
        try:
            if init.wait() != 0:
                raise RuntimeError(f"rasa init failed; see {self.workdir / 'init.log'}")
        finally:
            _kill_group(init)
        if not list((self.project / "models").glob("*.tar.gz")):
            train = self._popen("train", ["train"])
            try:
                if train.wait() != 0:
                    raise RuntimeError(f"rasa train failed; see {self.workdir / 'train.log'}")
            finally:
                _kill_group(train)
        self.training_s = time.perf_counter() - started
        network = ["--interface", "127.0.0.1", "--port", str(self.port)]
        self._server = self._popen("server", ["run", "--enable-api", *network])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"the vanilla rasa server exited; see {self.workdir / 'server.log'}")
            try:
                if httpx.get(f"{self.base_url}/status", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise TimeoutError(f"vanilla rasa server not ready after {timeout}s; see {self.workdir}")

    def stop(self) -> None:
        if self._server is not None:
            _kill_group(self._server)
            self._server = None
