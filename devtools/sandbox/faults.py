"""Fault injection of the sandbox: added latency, a share of 503 answers, or down altogether."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_LATENCY_MS = 60_000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass
class Faults:
    """How badly the sandbox behaves now; changed at run time through `POST /_faults`."""

    latency_ms: int = 0
    error_rate: float = 0.0  # share of API requests answered 503, 0..1
    down: bool = False  # every API request answered 503
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.update({"latency_ms": self.latency_ms, "error_rate": self.error_rate, "down": self.down})

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Faults:
        """Read SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE and SANDBOX_DOWN; raises ValueError on junk."""
        down = environ.get("SANDBOX_DOWN", "").strip().lower()
        if down not in _TRUE | _FALSE:
            raise ValueError(f"SANDBOX_DOWN must be 0 or 1, not {down!r}")
        try:
            latency = int(environ.get("SANDBOX_LATENCY_MS", "0") or 0)
            rate = float(environ.get("SANDBOX_ERROR_RATE", "0") or 0)
        except ValueError as exc:
            raise ValueError(f"SANDBOX_LATENCY_MS / SANDBOX_ERROR_RATE: {exc}") from None
        return cls(latency_ms=latency, error_rate=rate, down=down in _TRUE)

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply a (partial) change; raises ValueError, leaving the faults as they were, on a bad one."""
        unknown = set(changes) - {"latency_ms", "error_rate", "down"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        latency = changes.get("latency_ms", self.latency_ms)
        rate = changes.get("error_rate", self.error_rate)
        down = changes.get("down", self.down)
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= MAX_LATENCY_MS:
            raise ValueError(f"latency_ms must be an integer from 0 to {MAX_LATENCY_MS}")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError("error_rate must be a number from 0 to 1")
        if not isinstance(down, bool):
            raise ValueError("down must be true or false")
        self.latency_ms, self.error_rate, self.down = latency, float(rate), down

    def should_fail(self) -> bool:
        """Whether this request is to be answered 503."""
        return self.down or (self.error_rate > 0 and self._random.random() < self.error_rate)

    def to_json(self) -> dict[str, Any]:
        """The settings as `GET /_faults` shows them."""
        return {"latency_ms": self.latency_ms, "error_rate": self.error_rate, "down": self.down}
