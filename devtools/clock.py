"""A faked wall clock for whole processes (libfaketime), so the suite can run at any moment and the
blind-scenario benchmark can play each scenario at its own.

The offset is relative, so every process started under it (pytest, the servers it starts, their
children) agrees on the faked time while their clocks still advance; monotonic clocks are left alone
so that timeouts and event loops keep real time. `python -m devtools.clock 2026-11-30T00:05+08:00` prints
the environment assignments for a shell (scripts/test.sh uses it).
"""

from __future__ import annotations

import glob
import os
import sys
import time
from datetime import datetime
from pathlib import Path

LIBRARY_PATTERNS = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1")


def faketime_library() -> str:
    """The path of libfaketime, or an error naming the Debian package to install."""
    for pattern in LIBRARY_PATTERNS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    raise RuntimeError("libfaketime is missing: install Debian's faketime package (apt-get install faketime)")


def _offset(moment: datetime) -> str:
    # libfaketime's relative form: seconds from the real clock, with their sign.
    return f"{round(moment.timestamp() - time.time()):+d}"


def _preloaded() -> dict[str, str]:
    return {
        "LD_PRELOAD": " ".join(filter(None, [faketime_library(), os.environ.get("LD_PRELOAD", "")])),
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def faked_clock_env(moment: datetime) -> dict[str, str]:
    """Environment variables that make a process (and its children) see `moment` as now."""
    return {**_preloaded(), "FAKETIME": _offset(moment)}


class MovableClock:
    """A faked clock that a file sets: processes started with `environment()` read it again every
    second, so a harness can move them all to another moment while they run."""

    def __init__(self, path: Path, start: datetime | None = None) -> None:
        self.path = path
        path.write_text((_offset(start) if start is not None else "+0") + "\n")

    def environment(self) -> dict[str, str]:
        return {**_preloaded(), "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_CACHE_DURATION": "1"}

    def set(self, moment: datetime) -> None:
        """Move every process to `moment`, and wait until they have read it."""
        self.path.write_text(_offset(moment) + "\n")
        # libfaketime reads the file again only when the whole seconds since its last read exceed
        # FAKETIME_CACHE_DURATION, which can be two seconds after a read.
        time.sleep(2.2)


if __name__ == "__main__":
    for name, value in faked_clock_env(datetime.fromisoformat(sys.argv[1])).items():
        print(f"{name}='{value}'")
