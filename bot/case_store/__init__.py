"""Case store: tickets (refund, dispute, escalation, pending lookup) with their history, and the
merchants, terminals and QR codes of the merchant side, in SQL."""

from bot.case_store import (  # noqa: F401  (their tables belong to the one schema)
    agents,
    escalation_models,
    qr_models,
    staff_sessions,
)
from bot.case_store.db import CaseDatabase
from bot.case_store.errors import (
    CaseStoreError,
    CaseStoreUnavailable,
    DuplicateActiveTicket,
    InvalidTransition,
    TicketNotFound,
)
from bot.case_store.migrations import current_revision, downgrade, head_revision, upgrade
from bot.case_store.models import (
    CaseFacts,
    Language,
    PendingDraft,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from bot.case_store.store import CaseStore
from bot.case_store.ticket_numbers import TicketNumber, parse_number

__all__ = [
    "CaseDatabase",
    "CaseFacts",
    "CaseStore",
    "CaseStoreError",
    "CaseStoreUnavailable",
    "DuplicateActiveTicket",
    "InvalidTransition",
    "Language",
    "PendingDraft",
    "Ticket",
    "TicketDraft",
    "TicketEvent",
    "TicketKind",
    "TicketNotFound",
    "TicketNumber",
    "TicketStatus",
    "current_revision",
    "downgrade",
    "head_revision",
    "parse_number",
    "upgrade",
]
