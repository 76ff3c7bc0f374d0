"""The deployment profile: `local` (embedded SQLite and in-process state, the default) or
`production` (PostgreSQL, Redis, several processes of each kind), chosen by ASSISTANT_PROFILE.

No profile starts with a secret whose value is public: one that this repository ever gave as a
default. The production profile also refuses an unset or short secret; the local profile uses the
random ones made for the checkout (bot/local_secrets.py) for those unset, and refuses a short one
too when its gateway listens beyond loopback (GATEWAY_HOST).

    python -m bot.profile check     # exit 1, naming each offending variable, if the profile is unsafe
    python -m bot.profile secrets   # the secrets in effect, as shell assignments (scripts/run.sh)
"""

from __future__ import annotations

import ipaddress
import shlex
import sys

from bot import config

LOCAL = "local"
PRODUCTION = "production"
PROFILES = (LOCAL, PRODUCTION)

# The values this repository once gave the secrets as defaults, and .env.example showed: whoever
# read it knows them, so they are no secret's value anywhere.
PUBLIC_VALUES = frozenset(
    {"local-dev-token", "local-dev-gateway-secret", "local-dev-webhook-secret", "sandbox-key"}
)
MIN_SECRET_CHARS = 16


class UnsafeProfile(Exception):
    """A profile was asked for with a public, missing or short secret, or is unknown."""


def profile(env: config.Env | None = None) -> str:
    name = config.text("ASSISTANT_PROFILE", env).lower()
    if name not in PROFILES:
        raise UnsafeProfile(f"ASSISTANT_PROFILE must be one of {', '.join(PROFILES)}, not {name!r}")
    return name


def listens_beyond_loopback(env: config.Env | None = None) -> bool:
    """Whether the gateway's GATEWAY_HOST lets other machines in (0.0.0.0, a LAN address, a name)."""
    host = config.text("GATEWAY_HOST", env).strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def unsafe_secrets(env: config.Env | None = None) -> list[str]:
    """The secrets this profile may not start with, each with why."""
    strict = profile(env) == PRODUCTION or listens_beyond_loopback(env)
    problems = []
    for name in config.SECRETS:
        value = config.text(name, env)
        if value in PUBLIC_VALUES:
            problems.append(f"{name} has a public value (a former default of this repository)")
        elif not value:
            problems.append(f"{name} is not set")
        elif strict and len(value) < MIN_SECRET_CHARS:
            problems.append(f"{name} is shorter than {MIN_SECRET_CHARS} characters")
    return problems


def require_safe_profile(env: config.Env | None = None) -> str:
    """The profile's name; raises UnsafeProfile for a public, missing or short secret."""
    name = profile(env)
    try:
        problems = unsafe_secrets(env)
    except config.ConfigError as error:
        raise UnsafeProfile(str(error)) from None
    if problems:
        beyond = name == LOCAL and listens_beyond_loopback(env)
        where = " with GATEWAY_HOST beyond loopback" if beyond else ""
        hint = "Set each to a long random value, e.g. `openssl rand -hex 32`"
        if name == LOCAL:
            hint = f"Unset each to use the one made for this checkout ({config.text('SECRETS_FILE', env)})"
        raise UnsafeProfile(f"the {name} profile refuses to start{where}: {'; '.join(problems)}. {hint}.")
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
    if args not in (["check"], ["secrets"]):
        print("usage: python -m bot.profile check|secrets", file=sys.stderr)
        return 2
    try:
        name = require_safe_profile()
    except UnsafeProfile as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args == ["secrets"]:
        # For the scripts, which pass RASA_TOKEN on rasa's command line and into the endpoints file.
        for secret in config.SECRETS:
            print(f"{secret}={shlex.quote(config.text(secret))}")
    else:
        print(f"profile: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
