"""`python -m bot.handoff`: operators manage the support agents' accounts.

python -m bot.handoff add-agent li.na "李娜"                      # asks for a password twice
echo "a long password" | python -m bot.handoff add-agent li.na "李娜" --password-stdin
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory, AgentError


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise AgentError("the passwords differ")
    return first


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
    args = parser.parse_args(argv)

    database = CaseDatabase(args.url)
    directory = AgentDirectory(database)
    try:
        agent = directory.add_agent(args.login, args.display_name, _password(args.password_stdin))
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        database.close()
    print(f"agent {agent.login} ({agent.display_name}) can sign in at /support/login")
    return 0


if __name__ == "__main__":
    sys.exit(main())
