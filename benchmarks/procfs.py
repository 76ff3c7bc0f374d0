"""What Linux's /proc says of a process: one field of its status, in kB."""

from __future__ import annotations

from pathlib import Path


def status_kb(pid: int, field: str) -> int:
    """A size field of /proc/<pid>/status ("VmRSS", "VmHWM", ...) in kB; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
