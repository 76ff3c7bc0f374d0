"""`python -m bot.handoff`: operators manage the support agents' accounts.

python -m bot.handoff add-agent li.na "李娜"                      # asks for a password twice
echo "a long password" | python -m bot.handoff add-agent li.na "李娜" --password-stdin
python -m bot.handoff disable-agent li.na                        # signed out everywhere, at once
python -m bot.handoff enable-agent li.na
python -m bot.handoff reset-agent-password li.na                 # signed out everywhere; asks twice

Disabling an agent or giving them a new password ends every session of theirs at once, an open
console included (it closes within GATEWAY_SUPPORT_POLL_SECONDS).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory, AgentError
from bot.case_store.errors import CaseStoreError


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise AgentError("the passwords differ")
    return first


def _run(args: argparse.Namespace, directory: AgentDirectory) -> str:
    """Carry out the command; what to tell the operator."""
    if args.command == "add-agent":
        agent = directory.add_agent(args.login, args.display_name, _password(args.password_stdin))
        return f"agent {agent.login} ({agent.display_name}) can sign in at /support/login"
    if args.command == "disable-agent":
        return f"agent {args.login} disabled; sessions ended: {directory.disable(args.login)}"
    if args.command == "enable-agent":
        directory.enable(args.login)
        return f"agent {args.login} can sign in again at /support/login"
    ended = directory.reset_password(args.login, _password(args.password_stdin))
    return f"agent {args.login} has a new password; sessions ended: {ended}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.handoff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--url", help="case store URL (default CASE_STORE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-agent", help="an agent account for the support console")
    add.add_argument("login")
    add.add_argument("display_name", help="the name customers see beside the agent's messages")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    disable = commands.add_parser("disable-agent", help="the agent can no longer sign in; signed out at once")
    disable.add_argument("login")
    enable = commands.add_parser("enable-agent", help="a disabled agent may sign in again")
    enable.add_argument("login")
    reset = commands.add_parser("reset-agent-password", help="a new password; signed out everywhere at once")
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    args = parser.parse_args(argv)

    database = CaseDatabase(args.url)
    try:
        said = _run(args, AgentDirectory(database))
    except CaseStoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        database.close()
    print(said)
    return 0


if __name__ == "__main__":
    sys.exit(main())
