"""The blind-scenario benchmark's servers: the assistant's, under a faked clock that the harness moves
from one scenario's moment to the next, with a REST client of its rasa server."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from devtools.clock import MovableClock
from devtools.processes import AssistantProcesses


class Harness:
    """The servers under a movable faked clock, and a REST client of them."""

    def __init__(self, workdir: Path, start_at: datetime | None = None) -> None:
        # The servers start at the first scenario's moment and the clock only moves forward: a clock
        # set back under a running rasa server can stamp a session start after the events that follow.
        self.clock = MovableClock(workdir / "faketime", start_at)
        self._moved_to: datetime | None = None
        self._moved_at = 0.0
        self.processes = AssistantProcesses(workdir=workdir, gateway_environment=self.clock.environment())
        self.http: httpx.Client | None = None

    def __enter__(self) -> Harness:
        self.processes.start()
        self.http = httpx.Client(
            base_url=self.processes.base_url, params={"token": self.processes.token}, timeout=120
        )
        return self

    def __exit__(self, *_: object) -> None:
        if self.http is not None:
            self.http.close()
        self.processes.stop()

    def load_transactions(self, csv_text: str) -> None:
        """Replace the sandbox's transactions with these (a CSV of the sandbox contract)."""
        answer = httpx.put(
            f"{self.processes.sandbox_url}/_transactions",
            content=csv_text,
            headers={"Content-Type": "text/csv"},
        )
        answer.raise_for_status()

    def say(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.http is not None
        response = self.http.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": metadata}
        )
        response.raise_for_status()
        return response.json()

    def move_clock(self, moment: datetime) -> None:
        """Move the servers' clock forward to `moment`, and wait until the rasa server stamps events
        with it. A clock already within a minute of `moment` is left alone: a step of a few seconds
        could reach the rasa server in the middle of the next conversation, and an event stamped
        before the session start is dropped from its tracker."""
        if self._moved_to is not None:
            now = self._moved_to + timedelta(seconds=time.monotonic() - self._moved_at)
            if moment - now < timedelta(minutes=1):
                return
        self.clock.set(moment)
        set_at = time.monotonic()
        for _ in range(40):
            probe = f"clock-probe-{time.time_ns()}"
            self.say(probe, "hello", {})
            stamps = [e["timestamp"] for e in self.tracker(probe)["events"] if e.get("timestamp")]
            expected = moment.timestamp() + (time.monotonic() - set_at)
            if stamps and abs(max(stamps) - expected) < 30:
                self._moved_to, self._moved_at = moment, set_at
                return
            time.sleep(0.5)
        raise RuntimeError(f"the rasa server's clock did not move to {moment}")

    def tracker(self, sender: str) -> dict[str, Any]:
        assert self.http is not None
        response = self.http.get(f"/conversations/{sender}/tracker", params={"token": self.processes.token})
        response.raise_for_status()
        return response.json()
