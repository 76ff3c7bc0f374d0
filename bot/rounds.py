"""The loop of the background jobs (lookup retries, webhook delivery): rounds until told to stop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

logger = logging.getLogger(__name__)


async def run_rounds(
    do_round: Callable[[], Awaitable[bool]], *, once: bool, interval: float, what: str
) -> int:
    """Run `do_round` every `interval` seconds until SIGTERM or Ctrl-C (or once); the exit status.

    `do_round` returns True when more work is due at once. A failing round is logged and the loop goes
    on (a database or network hiccup must not end the job); the first signal lets the round in progress
    finish, a second one stops at once.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()

    def on_signal(name: str) -> None:
        if stop.is_set():
            logger.warning("%s again: stopping now", name)
            if main_task is not None:
                main_task.cancel()
            return
        logger.info("%s: stopping after the round in progress", name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signal.Signals(signum).name)
    status = 0
    try:
        while not stop.is_set():
            again = False
            try:
                again = await do_round()
            except Exception:
                logger.exception("%s round failed", what)
                if once:
                    status = 1
            if once:
                break
            if again:
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
    except asyncio.CancelledError:
        logger.warning("stopped in the middle of a round")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    logger.info("stopped")
    return status


def job_arguments(
    argv: Sequence[str] | None, *, prog: str, description: str, default_interval: float
) -> argparse.Namespace:
    """The flags of a job that runs in rounds, `--once` and `--interval SECONDS`; and its log set up
    (INFO and above, to stderr, with times)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--once", action="store_true", help="one round, then exit (for cron or tests)")
    parser.add_argument(
        "--interval",
        type=_interval_seconds,
        default=default_interval,
        metavar="SECONDS",
        help=f"seconds between rounds (default {default_interval:g})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    return args


def _interval_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value
