"""What Linux's /proc says of processes: sizes from a process's status, its CPU time, its children."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, field: str) -> int:
    """A size field of /proc/<pid>/status ("VmRSS", "VmHWM", ...) in kB; 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pid: int) -> int:
    """A process's utime + stime (fields 14 and 15 of /proc/<pid>/stat, counted after the command's
    ")"), in clock ticks; 0 if the process is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # fields[0] is the 3rd field (the state)


def children() -> dict[int, list[int]]:
    """Every running process's children, by parent process id."""
    found: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # "pid (name) state ppid ..."
        found[parent].append(int(entry.name))
    return found


def family(pid: int, children_of: dict[int, list[int]]) -> list[int]:
    """A process and its descendants."""
    members = [pid]
    for member in members:
        members.extend(children_of.get(member, []))
    return members
