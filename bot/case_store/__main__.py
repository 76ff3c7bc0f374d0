"""Command line of the case store: apply migrations, show a ticket, list pending lookups."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.engine import make_url

from bot.case_store.db import CaseDatabase
from bot.case_store.errors import CaseStoreUnavailable
from bot.case_store.migrations import current_revision, downgrade, head_revision, upgrade
from bot.case_store.models import Ticket
from bot.case_store.store import CaseStore
from bot.config import case_store_url


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def format_ticket(ticket: Ticket) -> str:
    """A ticket as readable text for an operator."""
    lines = [
        f"{ticket.number}  {ticket.kind}  {ticket.status}"
        + (f"  (was {ticket.former_number})" if ticket.former_number else ""),
        f"  outcome:      {ticket.outcome or '-'}",
        f"  expected by:  {ticket.expected_by.isoformat() if ticket.expected_by else '-'}",
        f"  transaction:  {ticket.transaction_id or '-'}",
        f"  amount:       {ticket.amount if ticket.amount is not None else '-'} {ticket.currency}",
        f"  time window:  {_when(ticket.window_start)} .. {_when(ticket.window_end)}",
        f"  merchant:     {ticket.merchant_name or '-'} ({ticket.merchant_id or '-'})",
        f"  terminal:     {ticket.terminal_id or '-'}",
        f"  card:         {'**** ' + ticket.card_last4 if ticket.card_last4 else '-'}",
        f"  language:     {ticket.language}",
        f"  conversation: {ticket.conversation_id}",
        f"  created:      {_when(ticket.created_at)}   updated: {_when(ticket.updated_at)}",
    ]
    if ticket.merged_into:
        lines.append(f"  duplicate of {ticket.merged_into}")
    if ticket.kind == "lookup_pending":
        lines.append(f"  lookup attempts: {ticket.lookup_attempts}")
    lines.append("  history:")
    for event in ticket.history:
        change = f"{event.from_status or '-'} -> {event.to_status}" if event.to_status else "note"
        lines.append(f"    {_when(event.at)}  {event.actor:<14} {change}  {event.note or ''}".rstrip())
    return "\n".join(lines)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bot.case_store", description=__doc__)
    parser.add_argument("--url", help="database URL (default: $CASE_STORE_URL or sqlite:///var/cases.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply the migrations (alembic upgrade)")
    up.add_argument("revision", nargs="?", default="head")
    down = commands.add_parser("downgrade", help="revert migrations (alembic downgrade)")
    down.add_argument("revision")
    commands.add_parser("current", help="print the database's revision and the newest one")
    show = commands.add_parser("show", help="show a ticket and its history")
    show.add_argument("number", help="e.g. RF-20261126-0042-P (older ones: RF-20261126-0042)")
    show.add_argument("--json", action="store_true", help="print JSON")
    pending = commands.add_parser("pending", help="list complaints waiting for the merchant API")
    pending.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)
    url = args.url or case_store_url()

    if args.command == "upgrade":
        upgrade(url, args.revision)
        print(f"case store at {_safe(url)}: at revision {current_revision(url)}")
        return 0
    if args.command == "downgrade":
        downgrade(url, args.revision)
        print(f"case store at {_safe(url)}: at revision {current_revision(url)}")
        return 0
    if args.command == "current":
        revision = current_revision(url) or "no revision"
        print(f"case store at {_safe(url)}: at {revision}, newest {head_revision()}")
        return 0

    database = CaseDatabase(url)
    store = CaseStore(database)
    try:
        if args.command == "show":
            ticket = store.get(args.number)
            if ticket is None:
                print(f"no ticket {args.number}", file=sys.stderr)
                return 1
            print(
                json.dumps(asdict(ticket), default=_json_default, ensure_ascii=False, indent=2)
                if args.json
                else format_ticket(ticket)
            )
            return 0
        for ticket in store.pending_lookups(limit=args.limit):
            print(
                f"{ticket.number}  {_when(ticket.created_at)}  {ticket.amount} {ticket.currency}  "
                f"terminal {ticket.terminal_id or '-'}  attempts {ticket.lookup_attempts}"
            )
        return 0
    except CaseStoreUnavailable as exc:
        reason = getattr(exc.__cause__, "orig", exc.__cause__)
        print(
            f"case store at {_safe(url)} is not usable ({reason}); run: python -m bot.case_store upgrade",
            file=sys.stderr,
        )
        return 2
    finally:
        database.close()


if __name__ == "__main__":
    sys.exit(main())
