"""Finish the lookups the merchant API could not answer, then open their cases.

`python -m bot.lookup.retry_job [--once] [--interval SECONDS]`

Every `--interval` seconds (60 by default), or once with `--once`, it looks each complaint waiting for
lookup up again and opens its case (see `LookupService.retry_pending`). Configured like the action
server: MERCHANT_API_URL, MERCHANT_API_KEY, CASE_STORE_URL, TIMELINES_FILE. SIGTERM or Ctrl-C stops it
after the round in progress, so that no case is left half made; a second one stops it at once.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.case_store import CaseDatabase
from bot.lookup.complaint import CaseResult
from bot.lookup.service import LookupService
from bot.profile import exit_if_unsafe
from bot.rounds import job_arguments, run_rounds

logger = logging.getLogger("bot.lookup.retry_job")

DEFAULT_INTERVAL = 60.0


def describe(result: CaseResult) -> str:
    """One log line for a concluded lookup."""
    parts = [f"{result.lookup_ticket or '-'} -> {result.outcome} ({result.reason})"]
    if result.ticket_number:
        parts.append(f"ticket {result.ticket_number}")
    if result.transaction is not None:
        parts.append(f"transaction {result.transaction.transaction_id}")
    if result.expected_by is not None:
        parts.append(f"expected by {result.expected_by.isoformat()}")
    return ", ".join(parts)


async def run_once(service: LookupService) -> list[CaseResult]:
    """One round: retry every waiting lookup and log what was concluded."""
    results = await service.retry_pending()
    for result in results:
        logger.info("completed %s", describe(result))
    logger.info("round done: %d lookup(s) completed", len(results))
    return results


async def run(once: bool, interval: float) -> int:
    """Run rounds until stopped (or one round with `once`); returns the exit status."""
    exit_if_unsafe()
    try:
        database = CaseDatabase()
        service = LookupService.configured(database)
    except Exception as exc:  # configuration: a bad timelines file or database URL
        logger.error("cannot start: %s", exc)
        return 2

    async def retry_round() -> bool:
        await run_once(service)
        return False

    try:
        return await run_rounds(retry_round, once=once, interval=interval, what="retry")
    finally:
        await service.aclose()
        database.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Read the flags and run; returns the exit status."""
    args = job_arguments(
        argv,
        prog="python -m bot.lookup.retry_job",
        description=__doc__.splitlines()[0],
        default_interval=DEFAULT_INTERVAL,
    )
    # httpx logs every request at INFO, search parameters included: only its warnings belong here.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(run(args.once, args.interval))


if __name__ == "__main__":
    sys.exit(main())
