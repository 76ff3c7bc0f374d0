"""Helpers of the lookup service's tests: a service on the sandbox, a complaint about a transaction,
and what the sandbox and the case store saw."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.case_store import CaseStore, Ticket
from bot.lookup.complaint import Complaint
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable, china_date
from bot.merchant_api import MerchantAPI, Transaction
from tests.bot.case_store.support import SHANGHAI, count
from tests.devtools.sandbox.server import SandboxServer

# Tests of what the lookup decides and asks for run on SQLite only; those of what the store must keep
# (pending lookups, retries, races, one ticket per complaint) run on both databases.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def make_service(
    server: SandboxServer, store: CaseStore, table: TimelineTable, **options: Any
) -> LookupService:
    """A service of the sandbox with quick retries, so that 'down' is noticed in well under a second."""
    api = MerchantAPI(server.base_url, server.api_key, retries=1, backoff=0.01)
    return LookupService(api, store, table, **options)


def complaint_for(t: Transaction, **changes: Any) -> Complaint:
    """What a customer would say about t: its terminal and amount, a 10-minute window around its time."""
    values: dict[str, Any] = {
        "conversation_id": f"conv-{uuid.uuid4().hex[:8]}",
        "language": "zh",
        "window_start": t.created_at - timedelta(minutes=5),
        "window_end": t.created_at + timedelta(minutes=5),
        "amount": t.amount,
        "terminal_id": t.terminal_id,
        "merchant_name": None,
    }
    values.update(changes)
    return Complaint(**values)


def posts(server: SandboxServer) -> list[str]:
    """The paths of the POST requests the sandbox received since its log was cleared."""
    return [r["path"] for r in server.requests() if r["method"] == "POST"]


def notes(ticket: Ticket) -> list[str]:
    return [event.note or "" for event in ticket.history]


def today() -> date:
    return china_date(datetime.now(SHANGHAI))


def active_tickets(store: CaseStore, transaction_id: str) -> int:
    return count(
        store,
        "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx AND status IN ('open', 'in_progress')",
        tx=transaction_id,
    )
