"""Measuring one target: its servers started (or given), warm-up conversations, the two phases, then
their memory and the loss check."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.conversation import complaint_script, fetch_transactions
from benchmarks.load.customers import (
    REST,
    ROTATION,
    WARM_UP,
    WEBSOCKET,
    chat_over_rest,
    complain,
    script_index,
)
from benchmarks.load.losses import LossCheck, check_losses
from benchmarks.load.phases import Load, Phases, Settings, progress, run_phases
from benchmarks.load.resources import peak_memory
from benchmarks.load.servers import RAISED_LIMITS, Servers, Setup, process_kind
from benchmarks.vanilla import VanillaBot
from devtools.processes import AssistantProcesses

EXTERNAL = "external"
VANILLA = "vanilla"


@dataclass
class Result:
    """What was measured of one target."""

    target: str
    phases: Phases
    memory: dict[str, dict[str, float]] | None = None
    loss: LossCheck | None = None
    load_average: float = 0.0
    started_s: float | None = None  # cold start to every server healthy (the vanilla bot: with training)
    training_s: float | None = None  # the vanilla bot's `rasa init` with its training
    rasa_servers: int | None = None  # as far as known

    def figures(self) -> dict[str, Any]:
        return {
            "one_user": self.phases.single.figures(),
            "concurrent": self.phases.concurrent.figures(),
            "cpu_s": self.phases.cpu_s,
            "cpu_ms_per_message": self.phases.cpu_ms_per_message(),
            "peak_memory": self.memory,
            "loss_check": self.loss.figures() if self.loss else None,
            "load_average_1min_before": self.load_average,
            "servers_start_s": self.started_s,
            "rasa_servers": self.rasa_servers,
        }


async def load_assistant(target: str, servers: Servers, settings: Settings) -> Phases:
    """Warm-up conversations (two a gateway, uncounted), then the two phases."""
    script = complaint_script(fetch_transactions(servers.sandbox_url, servers.sandbox_key))
    gateways = servers.gateway_urls
    timeout = settings.message_timeout
    if settings.warm_up:
        warm = Load(target, WEBSOCKET)
        for gateway in gateways:
            for transaction_id, language in WARM_UP:
                steps = script(script_index(transaction_id, language))
                await complain(warm, -1, gateway, steps, transaction_id, language, timeout)
        if warm.errors:
            raise RuntimeError(f"{target}: warm-up conversation failed: {warm.error_samples[0]}")

    async def customer(load: Load, i: int) -> None:
        transaction_id, language = ROTATION[i % len(ROTATION)]
        steps = script(script_index(transaction_id, language))
        await complain(load, i, gateways[i % len(gateways)], steps, transaction_id, language, timeout)

    return await run_phases(target, WEBSOCKET, settings, customer, servers.pids)


async def load_vanilla(url: str, settings: Settings, pids: dict[str, int] | None) -> Phases:
    """A warm-up conversation (uncounted), then the two phases."""
    timeout = settings.message_timeout
    limits = httpx.Limits(max_connections=max(settings.concurrency, 1) * 2)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        if settings.warm_up:
            warm = Load(VANILLA, REST)
            await chat_over_rest(warm, client, -1, timeout)
            if warm.errors:
                raise RuntimeError(f"vanilla: warm-up conversation failed: {warm.error_samples[0]}")

        async def customer(load: Load, i: int) -> None:
            await chat_over_rest(load, client, i, timeout)

        return await run_phases(VANILLA, REST, settings, customer, pids)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Child processes' output to stderr meanwhile, so that stdout holds the report alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def measure_assistant(target: str, servers: Servers, settings: Settings) -> Result:
    """The assistant's servers, running: the load, then their peak memory and the loss check."""
    load_average = os.getloadavg()[0]
    progress(f"{target}: customers over {len(servers.gateway_urls)} gateway(s)")
    phases = asyncio.run(load_assistant(target, servers, settings))
    pids = servers.pids
    memory = peak_memory(pids) if pids else None
    progress(f"{target}: checking {len(phases.conversations)} conversations for loss")
    loss = check_losses(phases.conversations, servers)
    rasa_servers = sum(process_kind(name) == "rasa" for name in pids) if pids else None
    return Result(target, phases, memory, loss, load_average, rasa_servers=rasa_servers)


def measure_profile(target: str, setup: Setup, workdir: Path, settings: Settings, model: Path) -> Result:
    """The assistant's servers started cold for this target (timed), measured, then stopped."""
    processes = AssistantProcesses(
        workdir=workdir,
        model=model,
        profile=setup.profile,
        copies=setup.copies,
        rasa_servers=setup.rasa_servers,
        gateway_environment=dict(RAISED_LIMITS),
    )
    progress(f"{target}: starting its servers (logs in {workdir})")
    started = time.perf_counter()
    try:
        with _stdout_to_stderr():  # the case store's migration prints its revision
            processes.start()
        started_s = time.perf_counter() - started
        result = measure_assistant(target, Servers.of(processes), settings)
        result.started_s = started_s
        return result
    finally:
        processes.stop()


def measure_vanilla(workdir: Path, settings: Settings) -> Result:
    """The vanilla bot made and trained by `rasa init` (timed), served, measured, then stopped."""
    vanilla = VanillaBot(workdir=workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    progress(f"vanilla: `rasa init` (it trains the moodbot), then `rasa run` (logs in {workdir})")
    started = time.perf_counter()
    try:
        vanilla.start()
        started_s = time.perf_counter() - started
        load_average = os.getloadavg()[0]
        pids = {"rasa": vanilla.pid} if vanilla.pid is not None else None
        phases = asyncio.run(load_vanilla(vanilla.base_url, settings, pids))
        memory = peak_memory(pids) if pids else None
        return Result(VANILLA, phases, memory, None, load_average, started_s, vanilla.training_s, 1)
    finally:
        vanilla.stop()
        shutil.rmtree(vanilla.project, ignore_errors=True)  # its model; the logs stay
