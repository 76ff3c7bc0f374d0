"""A Duckling process of our own, under a memory cap and a deadline per call.

Duckling's chart parser composes every pair of adjacent time expressions, so a few repeated dates
("11月24日" seven times) make it allocate gigabytes, and its Haskell runtime then aborts the whole
process. Running it in a child process turns the worst input into one failed parse: the child dies
or is killed at its deadline, the caller gets `None`, and the next call starts a fresh child.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

_CHILD_SCRIPT = Path(__file__).with_name("duckling_child.py")
# Duckling and the interpreter need about 50 MB of data segment; the rest is the headroom one parse
# may use before the child is stopped.
MEMORY_CAP_MB = 224
STARTUP_SECONDS = 30.0
# Duckling's native code stops at a NUL and cannot take a lone surrogate: such characters become
# spaces, one for one, so that offsets stay true.
_NOT_FOR_NATIVE_CODE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


class DucklingWorker:
    """One child process answering Duckling requests in turn; safe to share between threads."""

    def __init__(self, memory_cap_mb: int = MEMORY_CAP_MB) -> None:
        self._memory_cap_mb = memory_cap_mb
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner_pid = 0
        self._ready = False
        self._buffer = b""
        self.failures = 0

    @property
    def pid(self) -> int | None:
        """The child's process id, if one is running."""
        return self._process.pid if self._process is not None else None

    def parse(self, text: str, lang: str, dimension: str, ref_utc_ts: int, timeout: float) -> list | None:
        """Duckling's entities for text, or None if the child failed, died or ran past timeout."""
        deadline = time.monotonic() + timeout
        text = _NOT_FOR_NATIVE_CODE.sub(" ", text)
        request = json.dumps({"text": text, "lang": lang, "dim": dimension, "ref": ref_utc_ts}) + "\n"
        with self._lock:
            try:
                self._start_if_needed()
                if not self._ready:
                    # A fresh child gets its start-up time, once; the deadline is for the parse.
                    self._read_line(time.monotonic() + STARTUP_SECONDS)
                    self._ready = True
                    deadline = time.monotonic() + timeout
                assert self._process is not None and self._process.stdin is not None
                self._process.stdin.write(request.encode("utf-8"))
                self._process.stdin.flush()
                answer = json.loads(self._read_line(deadline))
            except (OSError, ValueError, TimeoutError, EOFError) as failure:
                self.failures += 1
                logger.warning("Duckling gave up on %d characters (%s)", len(text), type(failure).__name__)
                self._stop()
                return None
        if not answer.get("ok") or not isinstance(answer.get("entities"), list):
            return None
        return answer["entities"]

    def close(self) -> None:
        """Stop the child, if any."""
        with self._lock:
            self._stop()

    def _start_if_needed(self) -> None:
        if self._process is not None and self._owner_pid == os.getpid() and self._process.poll() is None:
            return
        if self._process is not None and self._owner_pid == os.getpid():
            self._stop()
        self._process = subprocess.Popen(
            # -I keeps the script's folder (our parsing modules, one named time.py) off its sys.path.
            [sys.executable, "-I", str(_CHILD_SCRIPT), str(self._memory_cap_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self._owner_pid = os.getpid()
        self._ready = False
        self._buffer = b""

    def _read_line(self, deadline: float) -> str:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                raise TimeoutError
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def _stop(self) -> None:
        process, self._process = self._process, None
        self._ready, self._buffer = False, b""
        if process is None:
            return
        if self._owner_pid == os.getpid():
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


_shared: DucklingWorker | None = None
_shared_lock = threading.Lock()


def shared_worker() -> DucklingWorker:
    """The process's Duckling worker, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = DucklingWorker()
            atexit.register(_shared.close)
        return _shared
