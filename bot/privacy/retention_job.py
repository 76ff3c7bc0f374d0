"""Delete, or anonymise, the personal data whose retention period has passed (bot/privacy/rules.py).

`python -m bot.privacy.retention_job [--once] [--interval SECONDS]`

Once a day (`--interval`, 86400 seconds by default), or once with `--once`, it applies the retention
periods to the tracker store and the case store. Configuration: RETENTION_TRANSCRIPT_DAYS,
RETENTION_ESCALATION_DAYS, RETENTION_TICKET_DAYS, RETENTION_TICKET_FACTS_DAYS, CASE_STORE_URL and the
tracker store's (TRACKER_STORE_URL, or TRACKER_STORE_DIALECT and TRACKER_STORE_DB). Two jobs may run at
once (two worker machines): each row is changed once. SIGTERM or Ctrl-C stops it after the round in
progress.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.case_store.db import utc_now
from bot.privacy.retention import Expired, expire
from bot.privacy.settings import PrivacySettings
from bot.privacy.stores import Stores
from bot.profile import exit_if_unsafe
from bot.rounds import job_arguments, run_rounds

logger = logging.getLogger("bot.privacy.retention_job")

DEFAULT_INTERVAL = 24 * 3600.0


async def run(once: bool, interval: float) -> int:
    """Run rounds until stopped (or one round with `once`); returns the exit status."""
    exit_if_unsafe()
    try:
        settings = PrivacySettings.configured()
        stores = Stores.open(settings.case_store_url, settings.tracker_store_url)
    except Exception as exc:  # configuration: a bad period or database URL
        logger.error("cannot start: %s", exc)
        return 2

    async def retention_round() -> bool:
        expired: Expired = await asyncio.to_thread(expire, stores, settings.periods, utc_now())
        logger.info("round done: %s", expired.describe())
        return False

    try:
        return await run_rounds(retention_round, once=once, interval=interval, what="retention")
    finally:
        stores.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Read the flags and run; returns the exit status."""
    args = job_arguments(
        argv,
        prog="python -m bot.privacy.retention_job",
        description=__doc__.splitlines()[0],
        default_interval=DEFAULT_INTERVAL,
    )
    return asyncio.run(run(args.once, args.interval))


if __name__ == "__main__":
    sys.exit(main())
