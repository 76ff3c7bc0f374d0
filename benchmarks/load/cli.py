"""Load benchmark: simulated customers completing whole complaints over the gateway's chat socket,
bounded in count and duration, on loopback only, beside a vanilla `rasa init` bot trained and served
in the same run. The targets:

    local        the embedded default profile with one rasa server: one gateway, rasa server and
                 action server, SQLite
    local-2      the same with two rasa servers behind the gateway, sharing its action server (the
                 default profile as scripts/run.sh starts it on 2 cores)
    production   two gateways, rasa servers and action servers, on PostgreSQL and Redis
    vanilla      the moodbot of `rasa init`, over REST (trained once, first)

    .venv/bin/python -m benchmarks.load            # all four: 6 customers one at a time, then 480,
                                                   # 20 at a time
    .venv/bin/python -m benchmarks.load --smoke    # local only, no vanilla bot: 1, then 2 customers
    .venv/bin/python -m benchmarks.load --gateway-url http://127.0.0.1:8000 \\
        --sandbox-url http://127.0.0.1:8090 --sandbox-key KEY --case-store-url URL \\
        --rasa-url http://127.0.0.1:5005 --token TOKEN \\
        --pids gateway=PID,rasa=PID,actions=PID     # against running servers (the tests do)

A customer opens the chat socket (`/ws`), says hello and completes a complaint about a sandbox
transaction, in Chinese or English in rotation: the complaint with its facts typed, then the
card's last 4 digits, and for a payment that went through "/affirm", sent as a click (the payload
as text, the button's title as display), until the bot frame whose custom payload is the
`case_result` with the transaction's outcome. Customers are spread over the gateways round robin.
Each message is timed from its frame to the gateway's ack. A reject, a retry, a closed socket, a
message not acked within --message-timeout, or a wrong reply counts as an error, and that customer
gives up. The vanilla bot's customers run its happy path (hello, "I am sad", yes) over REST, each
message timed from request to response.

Each target runs warm-up conversations first (not counted), then two phases: "1 user",
--single-customers customers one after the other (latency without contention), then "N users",
--customers customers with at most N = --concurrency talking at once (latency under load and
throughput). Customers are numbered on from one phase to the next, so the rotation of transactions
goes on. No customer starts more than --duration-limit seconds into a phase.

The benchmark's own gateways get much higher rate limits than the defaults (20 messages a minute a
session, 60 an address; every customer here comes from 127.0.0.1).

What it prints, in order:

- One row per target and phase: conversations completed/started, messages, conversations/s and
  messages/s (over the phase's wall time), p50/p95/p99 ms per message, errors, wall time.
- The comparison with the vanilla bot, one column per target of ours. "p50 @1 user" and "p50 @N
  users" are ours ÷ vanilla's median latency in each phase. "throughput @N users" is ours ÷
  vanilla's messages/s in the N-user phase. "CPU/msg" is ours ÷ vanilla's total CPU per message.
  "largest rasa RSS, MB" is the peak memory of our biggest rasa server. "servers' start, s" is from
  a cold start until every server answers its health check. "lost" counts conversations and tickets
  the loss check found lost. Each cell also gives the bound from issue 13 in brackets, with ✓ if
  the figure meets it and ✗ if not: p50 ≤ 1.5×; throughput ≥ 0.8× for each rasa server of the default
  profile (the production profile, twice the processes on the same cores, has none); RSS ≤ 1536
  MB (1.5 GB); start ≤ 45 s; nothing lost. Those bounds are meant for a 2-core machine, and nothing
  fails on them. Without the vanilla bot (--smoke, --no-vanilla), the ratio cells show `-`.
- CPU per message, in ms. This is each server process's utime+stime from /proc/PID/stat, counting
  its descendants (such as the action server's Duckling helper). It is read just before and just
  after the N-user phase and divided by the messages answered in that phase. There is one row per
  process and one column per target. The total includes the sandbox, the stand-in for the merchant
  API. Under the table come the totals' ratios to the vanilla bot's.
- The peak resident memory of each server process: VmHWM from /proc after the load, counting its
  children.
- The loss check. After the load, every conversation of both phases is checked. Each message the
  customer sent must be in the tracker store exactly once, found by its client id through rasa's
  tracker API. Each conversation that ended in a ticket must have that ticket in the case store,
  for its transaction, and must have opened no other. The ticket must have been opened from that
  conversation, or, since a payment has only one active ticket, must mention it.

Servers that were already running (--gateway-url ...) keep their own rate limits. Their CPU time and
memory are measured only if --pids gives their process ids on this machine; otherwise the output
says they were not measured.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.load.comparison import comparison
from benchmarks.load.phases import Settings
from benchmarks.load.report import print_report
from benchmarks.load.servers import RAISED_LIMITS, SETUPS, Servers
from benchmarks.load.targets import (
    EXTERNAL,
    VANILLA,
    Result,
    measure_assistant,
    measure_profile,
    measure_vanilla,
)
from bot.config import PROJECT_ROOT
from bot.profile import LOCAL


def parse_pids(text: str) -> dict[str, int]:
    """`gateway=123,rasa=456` → {"gateway": 123, "rasa": 456}."""
    pids = {}
    for item in text.split(","):
        name, _, pid = item.partition("=")
        if not name.strip() or not pid.strip().isdigit():
            raise argparse.ArgumentTypeError(f"not NAME=PID: {item!r}")
        pids[name.strip()] = int(pid)
    return pids


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its report; the figures, as --json writes them."""
    parser = argparse.ArgumentParser(
        # Named as when the benchmark was one module, not after the package's __main__.py.
        prog="load.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--single-customers", type=int, help="customers of the 1-user phase, one at a time (6; smoke 1)"
    )
    parser.add_argument("--customers", type=int, help="customers of the N-user phase (480; smoke 2)")
    parser.add_argument("--concurrency", type=int, help="N: customers talking at once (20; smoke 2)")
    parser.add_argument(
        "--duration-limit", type=float, default=300, help="seconds; no customer starts later in a phase"
    )
    parser.add_argument("--message-timeout", type=float, default=60, help="seconds a message may take")
    parser.add_argument(
        "--profiles", help=f"comma-separated, of {','.join(SETUPS)} (default all; smoke: local)"
    )
    parser.add_argument(
        "--vanilla",
        action=argparse.BooleanOptionalAction,
        help="the vanilla `rasa init` bot (default: not in smoke)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="1 customer, then 2 at once; local only, no vanilla bot, no warm-up",
    )
    parser.add_argument("--json", type=Path, help="write the figures there")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    running = parser.add_argument_group("running servers (instead of starting them)")
    running.add_argument("--gateway-url", help="gateway(s), comma-separated; customers go round robin")
    running.add_argument("--sandbox-url", help="the sandbox merchant API")
    running.add_argument("--sandbox-key", help="its X-API-Key")
    running.add_argument("--case-store-url", help="the case store's database URL")
    running.add_argument("--rasa-url", help="a rasa server (its tracker API, for the loss check)")
    running.add_argument("--token", help="the rasa server's auth token")
    running.add_argument(
        "--pids",
        type=parse_pids,
        help="their process ids on this machine, e.g. gateway=PID,rasa=PID,actions=PID,sandbox=PID "
        "(then CPU time and memory are measured)",
    )
    args = parser.parse_args(argv)

    settings = Settings(
        single_customers=args.single_customers or (1 if args.smoke else 6),
        customers=args.customers or (2 if args.smoke else 480),
        concurrency=args.concurrency or (2 if args.smoke else 20),
        duration_limit=args.duration_limit,
        message_timeout=args.message_timeout,
        warm_up=not args.smoke,
    )
    with_vanilla = args.vanilla if args.vanilla is not None else not args.smoke
    external = args.gateway_url is not None
    if external:
        given = ("sandbox_url", "sandbox_key", "case_store_url", "rasa_url", "token")
        missing = [f"--{name.replace('_', '-')}" for name in given if getattr(args, name) is None]
        if missing:
            parser.error(f"--gateway-url needs {', '.join(missing)} too")
        if args.profiles:
            parser.error("--profiles starts servers; it does not go with --gateway-url")
        targets: list[str] = []
    else:
        if args.pids:
            parser.error("--pids names running servers; it goes with --gateway-url")
        chosen = args.profiles or (LOCAL if args.smoke else ",".join(SETUPS))
        targets = [target.strip() for target in chosen.split(",")]
        unknown = [t for t in targets if t not in SETUPS]
        if unknown:
            parser.error(f"unknown profile(s): {', '.join(unknown)}; known: {', '.join(SETUPS)}")

    scratch = Path(tempfile.mkdtemp(prefix="load-bench-"))
    results: list[Result] = []
    if with_vanilla:
        # Trained and measured first, before any of the assistant's servers run.
        results.append(measure_vanilla(scratch / VANILLA, settings))
    if external:
        servers = Servers(
            gateway_urls=[url.strip().rstrip("/") for url in args.gateway_url.split(",")],
            sandbox_url=args.sandbox_url,
            sandbox_key=args.sandbox_key,
            case_store_url=args.case_store_url,
            rasa_url=args.rasa_url,
            token=args.token,
            pids=args.pids,
        )
        results.append(measure_assistant(EXTERNAL, servers, settings))
    for target in targets:
        results.append(measure_profile(target, SETUPS[target], scratch / target, settings, args.model))
    # The assistant's rows first, then the vanilla bot's.
    results.sort(key=lambda r: r.target == VANILLA)
    vanilla = next((r for r in results if r.target == VANILLA), None)
    comparisons = {r.target: comparison(r, vanilla) for r in results if r is not vanilla}

    print_report(results, comparisons, settings, external)
    print(f"logs and scratch files: {scratch}")
    summary: dict[str, Any] = {
        "settings": {
            "single_customers": settings.single_customers,
            "customers": settings.customers,
            "concurrency": settings.concurrency,
            "duration_limit_s": settings.duration_limit,
            "message_timeout_s": settings.message_timeout,
            "warm_up": settings.warm_up,
            "gateway_rate_limits": None if external else RAISED_LIMITS,
            "cores": os.cpu_count(),
        },
        "targets": {result.target: result.figures() for result in results},
        "ratios": {
            target: {measure.key: measure.figures() for measure in measures}
            for target, measures in comparisons.items()
        },
        "vanilla_training_s": vanilla.training_s if vanilla else None,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return summary
