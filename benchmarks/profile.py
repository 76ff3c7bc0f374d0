"""Profile: where the rasa server and the action server spend their time while customers complain.

    .venv/bin/python -m benchmarks.profile              # 20 customers at once, 14 s of samples at 100 Hz
    .venv/bin/python -m benchmarks.profile --smoke      # 3 customers, 2 s (the tests run this)
    .venv/bin/python -m benchmarks.profile --top 25 --keep profiles/   # more rows; keep the raw stacks
    .venv/bin/python -m benchmarks.profile --url http://127.0.0.1:5005 \\
        --sandbox-url http://127.0.0.1:8090 --pid rasa=PID --pid actions=PID   # running servers
                                             # (--token, --sandbox-key: the local profile's by default)

It starts the default profile's servers, keeps `--concurrency` customers completing complaint
conversations over REST (the conversation benchmark's script: facts, card ending, "/affirm" for a
payment that went through), and meanwhile samples the rasa server and the action server with py-spy
(`py-spy record --format raw`, without pausing them). For each process it prints:

- **inclusive**: the share of samples in which a function is on the stack (itself or what it
  calls). The top rows are always the event loop and Rasa's request handling; read down to the first
  rows that are one job (`jsonschema ... validate`, `DIETClassifier.process`, `tracker_store ...
  retrieve`, our `actions.turn ...`): their share is what removing or speeding up that job would save.
- **own**: the share of samples in which a function is the one running (the leaf). Many samples in
  `select`/`epoll` mean the process waits, not works: an idle action server shows up that way.

A function is named `file:function`, with the file relative to site-packages or to the project.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.conversation import complaint_script, converse, fetch_transactions, rest_client
from bot import config
from bot.config import PROJECT_ROOT
from devtools.processes import AssistantProcesses

PROFILED = ("rasa", "actions")


@dataclass(frozen=True)
class Servers:
    """The assistant as customers reach it: a rasa server and its token, the sandbox and its key."""

    url: str
    token: str
    sandbox_url: str
    sandbox_key: str


@dataclass(frozen=True)
class Profile:
    """One process's samples: each collapsed stack (root first) with how often it was seen."""

    process: str
    stacks: Counter[tuple[str, ...]]

    @property
    def samples(self) -> int:
        return sum(self.stacks.values())

    def inclusive(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for stack, seen in self.stacks.items():
            for frame in set(stack):
                counts[frame] += seen
        return counts

    def own(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for stack, seen in self.stacks.items():
            if stack:
                counts[stack[-1]] += seen
        return counts


def frame_name(frame: str) -> str:
    """`handle (rasa/core/processor.py:123)` → `rasa/core/processor.py:handle`."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", f"{PROJECT_ROOT}/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{function}" if path else function


def parse_raw(text: str) -> Counter[tuple[str, ...]]:
    """py-spy's raw (collapsed) format: `frame;frame;... count` per line, root first."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in text.splitlines():
        stack, _, seen = line.rpartition(" ")
        if not stack or not seen.isdigit():
            continue
        # The first frames name the process (`process 123:"python ..."`, its parent's first with
        # --subprocesses): not functions.
        frames = tuple(frame_name(f) for f in stack.split(";") if " (" in f and not f.startswith("process "))
        stacks[frames] += int(seen)
    return stacks


def top(counts: Counter[str], total: int, rows: int) -> list[tuple[float, str]]:
    return [(100 * seen / total, name) for name, seen in counts.most_common(rows)] if total else []


def print_profile(profile: Profile, rows: int) -> None:
    print(f"\n=== {profile.process}: {profile.samples} samples")
    for title, counts in (("inclusive", profile.inclusive()), ("own", profile.own())):
        print(f"  {title}:")
        for share, name in top(counts, profile.samples, rows):
            print(f"    {share:5.1f}%  {name}")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is missing: it is in requirements.txt (pip install py-spy)")
    return found


def record(pids: dict[str, int], seconds: float, rate: int, out: Path) -> list[subprocess.Popen]:
    """Start one py-spy per process; each writes its raw stacks to out/<process>.txt."""
    recorders = []
    for name, pid in pids.items():
        recorders.append(
            subprocess.Popen(
                [
                    py_spy(),
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(max(1, round(seconds))),
                    "--rate",
                    str(rate),
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--subprocesses",
                    "--output",
                    str(out / f"{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    return recorders


async def keep_busy(servers: Servers, concurrency: int, until: float) -> int:
    """`concurrency` customers completing complaints back to back until `until`; the conversations done."""
    script = complaint_script(fetch_transactions(servers.sandbox_url, servers.sandbox_key))
    done = 0
    async with rest_client(servers.url, servers.token, timeout=120) as client:
        await converse(client, script(0), None)  # warm-up: fails loudly if the bot is broken

        async def customer(first: int) -> None:
            nonlocal done
            i = first
            while time.monotonic() < until:
                await converse(client, script(i), None)
                done += 1
                i += concurrency

        await asyncio.gather(*(customer(i) for i in range(concurrency)))
    return done


def profile_servers(
    servers: Servers, pids: dict[str, int], seconds: float, rate: int, concurrency: int, out: Path
) -> tuple[list[Profile], int]:
    """Sample the processes while customers keep them busy; their profiles and the conversations done."""
    # The recorders start once the load is running, and the load outlasts them.
    loop_until = time.monotonic() + seconds + 4

    async def run() -> int:
        load = asyncio.create_task(keep_busy(servers, concurrency, loop_until))
        await asyncio.sleep(2)
        recorders = record(pids, seconds, rate, out)
        for recorder in recorders:
            await asyncio.to_thread(recorder.wait)
            if recorder.returncode != 0:
                raise RuntimeError(f"py-spy failed: {recorder.stderr.read() if recorder.stderr else ''}")
        return await load

    conversations = asyncio.run(run())
    profiles = [Profile(name, parse_raw((out / f"{name}.txt").read_text("utf-8"))) for name in pids]
    return profiles, conversations


def _pid(value: str) -> tuple[str, int]:
    name, _, pid = value.partition("=")
    if name not in PROFILED or not pid.isdigit():
        raise argparse.ArgumentTypeError(f"expected rasa=PID or actions=PID, got {value!r}")
    return name, int(pid)


def main(argv: Iterable[str] | None = None) -> list[Profile]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="3 customers, 2 s of samples")
    parser.add_argument("--seconds", type=float, help="how long to sample (14; smoke 2)")
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--concurrency", type=int, help="customers at once (20; smoke 3)")
    parser.add_argument("--top", type=int, default=15, help="rows per table")
    parser.add_argument("--keep", type=Path, help="keep the raw stacks in this folder")
    parser.add_argument("--url", help="a running rasa server (default: start the default profile)")
    parser.add_argument("--sandbox-url", help="with --url: its sandbox merchant API")
    parser.add_argument("--token", help="with --url: its Rasa token (default: bot.config's RASA_TOKEN)")
    parser.add_argument("--sandbox-key", help="with --url: the sandbox's key (default: MERCHANT_API_KEY's)")
    parser.add_argument("--pid", type=_pid, action="append", help="with --url: rasa=PID, actions=PID")
    args = parser.parse_args(list(argv) if argv is not None else None)
    seconds = args.seconds or (2 if args.smoke else 14)
    concurrency = args.concurrency or (3 if args.smoke else 20)

    scratch = Path(tempfile.mkdtemp(prefix="profile-"))
    out = args.keep or scratch / "stacks"
    out.mkdir(parents=True, exist_ok=True)
    processes = None
    try:
        if args.url is None:
            processes = AssistantProcesses(
                workdir=scratch / "assistant", model=PROJECT_ROOT / "models" / "current.tar.gz"
            )
            processes.start()
            servers = Servers(
                processes.base_url, processes.token, processes.sandbox_url, processes.sandbox_key
            )
            pids = {name: pid for name, pid in processes.pids().items() if name in PROFILED}
        else:
            if not args.sandbox_url or not args.pid:
                parser.error("--url needs --sandbox-url and at least one --pid")
            servers = Servers(
                args.url,
                args.token or config.text("RASA_TOKEN"),
                args.sandbox_url,
                args.sandbox_key or config.text("MERCHANT_API_KEY"),
            )
            pids = dict(args.pid)
        profiles, conversations = profile_servers(servers, pids, seconds, args.rate, concurrency, out)
    finally:
        if processes is not None:
            processes.stop()
    print(
        f"{conversations} conversations by {concurrency} customers; {seconds:g} s sampled at {args.rate} Hz"
    )
    for profile in profiles:
        print_profile(profile, args.top)
    print(f"\nraw stacks: {out}")
    return profiles


if __name__ == "__main__":
    main()
