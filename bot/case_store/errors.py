"""The case store's errors: the only ones that leave bot/case_store/ (a database failure included)."""

from __future__ import annotations


class CaseStoreError(Exception):
    """Base of the case store's errors."""


class CaseStoreUnavailable(CaseStoreError):
    """The database failed or could not be reached; the change asked for did not happen."""


class TicketNotFound(CaseStoreError):
    """No ticket has that number."""


class InvalidTransition(CaseStoreError):
    """The ticket cannot move from its status to the one asked for."""


class DuplicateActiveTicket(CaseStoreError):
    """The transaction already has another active ticket (raised when reopening)."""
