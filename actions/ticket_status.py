"""A customer asks about an earlier ticket: its status and expected date, in their language."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import language
from actions.lookup import lookup_service
from actions.rendering import render_text, utter
from bot.text.formatting import format_date

# RF-20261126-0042, rf 20261126 0042, RF202611260042: as customers copy it from a message.
TICKET_NUMBER = re.compile(r"(?<![a-z0-9])(?:rf|dp|es|lk)[\s\-]?\d{8}[\s\-]?\d{4,6}(?![0-9])", re.IGNORECASE)


async def tell_ticket_status(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, typed: str
) -> None:
    """Tell the status and expected date of the ticket the customer named."""
    # The lookup service's store: one database engine per action server process.
    ticket = lookup_service().store.get(typed, follow_merges=True)
    if ticket is None:
        utter(dispatcher, tracker, domain, "utter_ticket_not_found", ticket=typed)
        return
    slots = tracker.current_slot_values()
    expected = (
        render_text(
            domain,
            "utter_ticket_expected",
            slots,
            date=format_date(ticket.expected_by, language(tracker)),
        )
        if ticket.expected_by
        else ""
    )
    status = render_text(domain, f"utter_status_{ticket.status}", slots)
    utter(
        dispatcher,
        tracker,
        domain,
        "utter_ticket_status",
        ticket=ticket.number,
        status=status,
        expected=expected,
    )
