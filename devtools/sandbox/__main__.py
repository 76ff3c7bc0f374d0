"""Run the sandbox merchant API on loopback: `python -m devtools.sandbox [--port] [--db] [--transactions]`.

Environment (flags win): SANDBOX_PORT (8090), SANDBOX_DB (sqlite:///var/sandbox.db, reloaded on every
start), SANDBOX_TRANSACTIONS (a CSV of the contract; the seed file when unset), SANDBOX_SHIFT_TO_NOW
(1 = move the times so the newest is an hour old; default 1 for the seed file, 0 for SANDBOX_TRANSACTIONS),
SANDBOX_API_KEY (MERCHANT_API_KEY's value when unset, so that the local profile's lookups get in:
bot.config's, made for the checkout unless set), SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE, SANDBOX_DOWN.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot import config
from devtools.sandbox.app import create_app
from devtools.sandbox.faults import Faults

HOST = "127.0.0.1"


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    value = environ.get(name, "").strip().lower()
    if not value:
        return None
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be 0 or 1, not {value!r}")


def _log_to_stderr() -> None:
    """Our own log lines on stderr, beside Sanic's (which configures its own loggers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("bot")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Read the flags and environment, load the database and serve until stopped."""
    parser = argparse.ArgumentParser(prog="python -m devtools.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(environ.get("SANDBOX_PORT", "8090")))
    parser.add_argument("--db", default=environ.get("SANDBOX_DB", "sqlite:///var/sandbox.db"))
    parser.add_argument(
        "--transactions",
        type=Path,
        default=Path(environ["SANDBOX_TRANSACTIONS"]) if environ.get("SANDBOX_TRANSACTIONS") else None,
    )
    args = parser.parse_args(argv)
    try:
        faults = Faults.from_env(environ)
        api_key = environ.get("SANDBOX_API_KEY", "").strip() or config.text("MERCHANT_API_KEY", environ)
        if not api_key:
            raise ValueError("SANDBOX_API_KEY (or MERCHANT_API_KEY) must be set")
        app = create_app(
            args.db,
            args.transactions,
            api_key,
            faults,
            shift_times=_flag(environ, "SANDBOX_SHIFT_TO_NOW"),
        )
    except (OSError, ValueError) as exc:  # config.ConfigError too
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("devtools.sandbox").info(
        "merchant API sandbox on http://%s:%d (header X-API-Key), faults %s",
        HOST,
        args.port,
        faults.to_json(),
    )
    app.run(host=HOST, port=args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    _log_to_stderr()
    sys.exit(main())
