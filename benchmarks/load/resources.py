"""The servers' CPU time and peak memory, each named server counting its descendants (such as the
action server's Duckling helper)."""

from __future__ import annotations

from benchmarks.procfs import CLOCK_TICKS_PER_SECOND, children, cpu_ticks, family, status_kb


def family_cpu_ticks(pids: dict[str, int]) -> dict[str, dict[int, int]]:
    """Each named process's CPU time in clock ticks, and each of its descendants', by process id."""
    children_of = children()
    return {
        name: {member: cpu_ticks(member) for member in family(pid, children_of)} for name, pid in pids.items()
    }


def cpu_seconds(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> dict[str, float]:
    """Each named process's CPU seconds between two readings, its descendants' included (those started
    meanwhile too; one that ended meanwhile is missed)."""
    return {
        name: sum(max(0, ticks - before.get(name, {}).get(pid, 0)) for pid, ticks in members.items())
        / CLOCK_TICKS_PER_SECOND
        for name, members in after.items()
    }


def peak_memory(pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Each named process's peak resident memory (VmHWM, MB), with its descendants' added."""
    children_of = children()
    peaks = {}
    for name, pid in pids.items():
        members = family(pid, children_of)
        peaks[name] = {"mb": sum(status_kb(p, "VmHWM") for p in members) / 1024, "processes": len(members)}
    return peaks
