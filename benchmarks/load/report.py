"""The printed report: one row per target and phase, the comparison with the vanilla bot, CPU per
message and peak memory per process, the loss check."""

from __future__ import annotations

import os
from typing import Any

from benchmarks.load.comparison import Measure, ratio, total_cpu_ms
from benchmarks.load.phases import TOTAL, Settings
from benchmarks.load.servers import RAISED_LIMITS, process_kind
from benchmarks.load.targets import VANILLA, Result

NOT_STARTED = "not measured (servers not started by the benchmark, and no --pids)"
HEADER = (
    f"{'target':<12}{'transport':<11}{'users':>6}{'conv done/started':>18}{'msgs':>6}{'conv/s':>8}"
    f"{'msg/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'wall s':>8}"
)
LABEL_WIDTH = 22
CELL_WIDTH = 17


def table_row(target: str, figures: dict[str, Any]) -> str:
    conversations = f"{figures['conversations_completed']}/{figures['conversations_started']}"
    return (
        f"{target:<12}{figures['transport']:<11}{figures['users']:>6}{conversations:>18}"
        f"{figures['messages']:>6}{figures['conversations_per_s']:>8.2f}{figures['messages_per_s']:>8.2f}"
        f"{figures['p50_ms']:>9.0f}{figures['p95_ms']:>9.0f}{figures['p99_ms']:>9.0f}"
        f"{figures['errors']:>8}{figures['wall_s']:>8.1f}"
    )


PROCESS_KINDS = ("gateway", "rasa", "actions", "sandbox")


def _process_order(name: str) -> tuple[int, str]:
    """gateway, gateway2, rasa, rasa2, actions, actions2, sandbox."""
    kind = process_kind(name)
    return (PROCESS_KINDS.index(kind) if kind in PROCESS_KINDS else len(PROCESS_KINDS), name)


def _line(label: str, cells: list[str]) -> str:
    return f"{label:<{LABEL_WIDTH}}" + "".join(f"{cell:>{CELL_WIDTH}}" for cell in cells)


def print_process_table(columns: dict[str, dict[str, str]]) -> None:
    """One row per process (gateway, gateway2, rasa, ..., sandbox, then the total), one column per
    target; `-` where a target has no such process."""
    names = sorted(
        {name for cells in columns.values() for name in cells if name != TOTAL}, key=_process_order
    )
    print(_line("process", list(columns)))
    for name in [*names, TOTAL]:
        print(_line(name, [cells.get(name, "-") for cells in columns.values()]))


def print_comparison(comparisons: dict[str, list[Measure]], with_vanilla: bool) -> None:
    if not comparisons:
        return
    print("\nAgainst the vanilla bot of this run: ratios are ours ÷ vanilla; in brackets the bound of")
    print("issue 13 (for 2 cores), ✓ met, ✗ not" + ("" if with_vanilla else "; no vanilla bot in this run"))
    print(_line("", list(comparisons)))
    for measures in zip(*comparisons.values(), strict=True):
        print(_line(measures[0].label, [measure.cell() for measure in measures]))


def _unmeasured(result: Result) -> str:
    if result.phases.cpu_s is None:
        return NOT_STARTED
    return "not measured (no message answered)"


def print_cpu(results: list[Result], vanilla: Result | None) -> None:
    users = max((r.phases.concurrent.users for r in results), default=0)
    print(f"\nCPU per message, ms (utime+stime from /proc/PID/stat over the {users}-user phase, ÷ the")
    print("messages answered in it; a server's child processes included; the total includes the sandbox)")
    measured = {r.target: r.phases.cpu_ms_per_message() for r in results}
    columns = {target: {n: f"{ms:.1f}" for n, ms in cpu.items()} for target, cpu in measured.items() if cpu}
    if columns:
        print_process_table(columns)
        theirs = total_cpu_ms(vanilla)
        ratios = [ratio(cpu[TOTAL], theirs) for cpu in measured.values() if cpu]
        print(_line("total ÷ vanilla", ["-" if r is None else f"{r:.2f}×" for r in ratios]))
    for result in results:
        if not measured[result.target]:
            print(f"{result.target}: CPU {_unmeasured(result)}")


def print_memory(results: list[Result]) -> None:
    print("\nPeak resident memory, MB (VmHWM from /proc after the load; children of a server included)")
    columns = {}
    for result in results:
        if result.memory is None:
            continue
        cells = {}
        for name, peak in result.memory.items():
            several = f" ({peak['processes']:.0f} proc)" if peak["processes"] > 1 else ""
            cells[name] = f"{peak['mb']:.0f}{several}"
        cells[TOTAL] = f"{sum(peak['mb'] for peak in result.memory.values()):.0f}"
        columns[result.target] = cells
    if columns:
        print_process_table(columns)
    for result in results:
        if result.memory is None:
            print(f"{result.target}: memory {NOT_STARTED}")


def print_losses(results: list[Result]) -> None:
    print("\nLoss check, both phases (every message sent in the tracker store exactly once, by its client")
    print("id; every ticket a conversation ended in in the case store, for its transaction and conversation)")
    for result in results:
        loss = result.loss
        if loss is None:
            continue
        print(
            f"{result.target:<12}{loss.line()} ({loss.messages} messages checked; {loss.tickets} "
            f"conversation(s) ended in a ticket, on {len(loss.ticket_numbers)} distinct ticket(s): one "
            f"active ticket per payment; {loss.unexpected_tickets} unexpected tickets)"
        )
        for problem in loss.problems[:10]:
            print(f"   problem [{result.target}] {problem}")


def print_report(
    results: list[Result], comparisons: dict[str, list[Measure]], settings: Settings, external: bool
) -> None:
    vanilla = next((r for r in results if r.target == VANILLA), None)
    print("\nLoad benchmark: whole complaints over the gateway's websocket (/ws); vanilla: its happy path")
    print("over REST (POST /webhooks/rest/webhook); every server on loopback, every customer from 127.0.0.1")
    print(
        f"1 user: {settings.single_customers} customer(s) one at a time; then {settings.customers} "
        f"customers, at most {settings.concurrency} at once; none started after "
        f"{settings.duration_limit:g} s of a phase, {settings.message_timeout:g} s per message; "
        + ("warm-up conversations first (not counted)" if settings.warm_up else "no warm-up")
    )
    if external:
        print(
            "gateway rate limits: the running gateway's own (by default 20 a session, 60 an address a minute)"
        )
    else:
        limits = " ".join(f"{name}={value}" for name, value in RAISED_LIMITS.items())
        print(f"gateway rate limits raised for this run: {limits}")
    averages = ", ".join(f"{r.target} {r.load_average:.1f}" for r in results)
    print(f"machine: {os.cpu_count()} cores; 1-min load average before each target's load: {averages}")
    print("latency: a message's frame to its ack (websocket), request to response (REST)\n")
    print(HEADER)
    for result in results:
        print(table_row(result.target, result.phases.single.figures()))
        print(table_row(result.target, result.phases.concurrent.figures()))
    for result in results:
        for load in (result.phases.single, result.phases.concurrent):
            for sample in load.error_samples:
                print(f"   error [{result.target}, {load.users} user(s)] {sample}")

    print_comparison(comparisons, vanilla is not None)
    print_cpu(results, vanilla)
    print_memory(results)
    print_losses(results)
    if vanilla is not None and vanilla.training_s is not None:
        training = f"{vanilla.training_s:.0f} s"
        print(f"\nvanilla bot: `rasa init` with its training took {training} (not in the figures)")
