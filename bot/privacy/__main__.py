"""A customer's data on request: export it as JSON, or erase it. Uses CASE_STORE_URL and the tracker
store's settings (TRACKER_STORE_URL, or TRACKER_STORE_DIALECT and TRACKER_STORE_DB).

    python -m bot.privacy export --conversation <id> [--out FILE]
    python -m bot.privacy export --ticket RF-20261126-0042
    python -m bot.privacy erase --ticket RF-20261126-0042           # shows what would be erased
    python -m bot.privacy erase --ticket RF-20261126-0042 --yes     # erases it

A conversation is named by its id or by the number of any of its tickets (what the customer and the
support console see: every hand-over has one).
Erasing deletes the conversation from the tracker store, its escalations and webhook events, takes the
personal details off its tickets (which keep the complaint's facts), and tells the helpdesk (a
"conversation.erased" webhook event). It is refused while an agent has the conversation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.case_store.db import utc_now
from bot.case_store.errors import CaseStoreError, CaseStoreUnavailable
from bot.case_store.personal_data import ConversationWithAgent
from bot.privacy import requests
from bot.privacy.errors import PrivacyError
from bot.privacy.settings import PrivacySettings
from bot.privacy.stores import Stores
from bot.private_files import make_private


class _NotFound(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (1: nothing to act on or refused; 2: a store failed)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.privacy",
        description="A customer's data on request: export it as JSON, or erase it.",
        epilog="Uses CASE_STORE_URL and TRACKER_STORE_URL (or TRACKER_STORE_DIALECT and TRACKER_STORE_DB).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="print everything held about one conversation, as JSON")
    erase = commands.add_parser("erase", help="erase one conversation (tickets keep their facts)")
    for command in (export, erase):
        which = command.add_mutually_exclusive_group(required=True)
        which.add_argument("--conversation", metavar="ID", help="the conversation's id")
        which.add_argument("--ticket", metavar="NUMBER", help="the number of any of its tickets")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (mode 0600), not stdout")
    erase.add_argument("--yes", action="store_true", help="erase; without it, only show what would go")
    args = parser.parse_args(argv)

    try:
        settings = PrivacySettings.configured()
        stores = Stores.open(settings.case_store_url, settings.tracker_store_url)
    except Exception as exc:  # configuration: a bad period or database URL
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    try:
        conversation_id = _conversation(stores, args.conversation, args.ticket)
        if args.command == "export":
            return _export(stores, conversation_id, args.out)
        return _erase(stores, conversation_id, confirmed=args.yes)
    except _NotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    except ConversationWithAgent as exc:
        print(f"not erased: {exc}", file=sys.stderr)
        return 1
    except (CaseStoreUnavailable, PrivacyError) as exc:
        reason = getattr(exc.__cause__, "orig", exc.__cause__) or exc
        print(f"{exc} ({reason}); run the command again once it is back", file=sys.stderr)
        return 2
    except CaseStoreError as exc:
        print(f"the case store refused: {exc}", file=sys.stderr)
        return 2
    finally:
        stores.close()


def _conversation(stores: Stores, conversation_id: str | None, ticket: str | None) -> str:
    if conversation_id is not None:
        if not conversation_id.strip():
            raise _NotFound("the conversation id is empty")
        return conversation_id
    assert ticket is not None
    found = stores.records.conversation_of(ticket)
    if found is None:
        raise _NotFound(f"no ticket {ticket}")
    return found


def _export(stores: Stores, conversation_id: str, out: Path | None) -> int:
    exported = requests.export(stores, conversation_id, utc_now())
    text = json.dumps(exported, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        make_private(out)  # the customer's data: the operator's alone until it is handed over
        out.write_text(text, encoding="utf-8")
        print(f"written to {out}", file=sys.stderr)
    if not any(exported[key] for key in ("tracker_events", "tickets", "escalations", "webhook_events")):
        print(f"nothing is held about conversation {conversation_id}", file=sys.stderr)
    return 0


def _erase(stores: Stores, conversation_id: str, *, confirmed: bool) -> int:
    if not confirmed:
        held = requests.export(stores, conversation_id, utc_now())
        print(
            f"conversation {conversation_id}: {len(held['tracker_events'])} tracker event(s), "
            f"{len(held['escalations'])} escalation(s) and {len(held['webhook_events'])} webhook event(s) "
            f"would be deleted; {len(held['tickets'])} ticket(s) would keep only their facts. "
            "Run again with --yes to erase."
        )
        return 0
    erasure = requests.erase(stores, conversation_id)
    erased = erasure.case_store
    tickets = ", ".join(erased.tickets) or "none"
    print(
        f"conversation {conversation_id} erased: {erasure.tracker_events} tracker event(s), "
        f"{erased.escalations} escalation(s) and {erased.webhook_events} webhook event(s) deleted; "
        f"tickets kept with their facts only: {tickets}; {erased.notes} other note(s) no longer name it. "
        "The helpdesk is told (webhook conversation.erased)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
