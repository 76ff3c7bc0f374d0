"""The deployment profile: `local` (embedded SQLite and in-process state, the default) or
`production` (PostgreSQL, Redis, several processes of each kind), chosen by ASSISTANT_PROFILE.

The production profile refuses to start while any secret still has its local default or is
empty: a default is public (it is in this repository), so it protects nothing.

    python -m bot.profile check     # exit 1, naming each offending variable, if the profile is unsafe
"""

from __future__ import annotations

import sys

from bot import config

LOCAL = "local"
PRODUCTION = "production"
PROFILES = (LOCAL, PRODUCTION)

# Each secret and the public value it has in local use.
DEFAULT_SECRETS: dict[str, str] = {
    name: config.default(name)
    for name in ("RASA_TOKEN", "GATEWAY_SECRET", "HELPDESK_WEBHOOK_SECRET", "MERCHANT_API_KEY")
}
MIN_SECRET_CHARS = 16


class UnsafeProfile(Exception):
    """The production profile was asked for with a default, empty or short secret."""


def profile(env: config.Env | None = None) -> str:
    name = config.text("ASSISTANT_PROFILE", env).lower()
    if name not in PROFILES:
        raise UnsafeProfile(f"ASSISTANT_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}")
    return name


def unsafe_secrets(env: config.Env | None = None) -> list[str]:
    """The secrets that may not be used in production, each with why."""
    problems = []
    for name, default in DEFAULT_SECRETS.items():
        value = config.text(name, env)
        if value == default:
            problems.append(f"{name} has its public default value")
        elif len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters")
    return problems


def require_safe_profile(env: config.Env | None = None) -> str:
    """The profile's name; raises UnsafeProfile for production with an unsafe secret."""
    name = profile(env)
    if name == PRODUCTION:
        problems = unsafe_secrets(env)
        if problems:
            raise UnsafeProfile(
                "the production profile refuses to start: "
                + "; ".join(problems)
                + ". Set each to a long random value, e.g. `openssl rand -hex 32`."
            )
    return name


def exit_if_unsafe(env: config.Env | None = None) -> None:
    """For a process's entry point: one clear line and exit status 2 instead of starting unsafely."""
    try:
        require_safe_profile(env)
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
