"""The deployment profile: `local` (embedded SQLite and in-process state, the default) or
`production` (PostgreSQL, Redis, several processes of each kind), chosen by ASSISTANT_PROFILE.

The production profile refuses to start while any secret still has its local default or is
empty: a default is public (it is in this repository), so it protects nothing.

    python -m bot.profile check     # exit 1, naming each offending variable, if the profile is unsafe
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

LOCAL = "local"
PRODUCTION = "production"
PROFILES = (LOCAL, PRODUCTION)

# Each secret and the value it has in local use (scripts/defaults.env and the code's defaults).
DEFAULT_SECRETS: dict[str, str] = {
    "RASA_TOKEN": "local-dev-token",
    "GATEWAY_SECRET": "local-dev-gateway-secret",
    "HELPDESK_WEBHOOK_SECRET": "local-dev-webhook-secret",
    "MERCHANT_API_KEY": "sandbox-key",
}
MIN_SECRET_CHARS = 16


class UnsafeProfile(Exception):
    """The production profile was asked for with a default, empty or short secret."""


def profile(environ: Mapping[str, str] = os.environ) -> str:
    name = environ.get("ASSISTANT_PROFILE", LOCAL).strip().lower() or LOCAL
    if name not in PROFILES:
        raise UnsafeProfile(f"ASSISTANT_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}")
    return name


def unsafe_secrets(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The secrets that may not be used in production, each with why."""
    problems = []
    for name, default in DEFAULT_SECRETS.items():
        value = environ.get(name, default)
        if value == default:
            problems.append(f"{name} has its public default value")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters")
    return problems


def require_safe_profile(environ: Mapping[str, str] = os.environ) -> str:
    """The profile's name; raises UnsafeProfile for production with an unsafe secret."""
    name = profile(environ)
    if name == PRODUCTION:
        problems = unsafe_secrets(environ)
        if problems:
            raise UnsafeProfile(
                "the production profile refuses to start: "
                + "; ".join(problems)
                + ". Set each to a long random value, e.g. `openssl rand -hex 32`."
            )
    return name


def exit_if_unsafe(environ: Mapping[str, str] = os.environ) -> None:
    """For a process's entry point: one clear line and exit status 2 instead of starting unsafely."""
    try:
        require_safe_profile(environ)
    except UnsafeProfile as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["check"]:
        print("usage: python -m bot.profile check", file=sys.stderr)
        return 2
    try:
        name = require_safe_profile()
    except UnsafeProfile as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"profile: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
