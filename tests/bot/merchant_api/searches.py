"""Search windows around a transaction, and the IDs of what a search found, for the client tests."""

from __future__ import annotations

from datetime import timedelta

from bot.merchant_api import SearchQuery, Transaction

MINUTES = timedelta(minutes=1)


def around(transaction: Transaction, minutes: int = 30, **keys: object) -> SearchQuery:
    """A search window of ± minutes around a transaction, with the given keys."""
    start = transaction.created_at - minutes * MINUTES
    end = transaction.created_at + minutes * MINUTES
    return SearchQuery(start=start, end=end, **keys)  # type: ignore[arg-type]


def ids(transactions: list[Transaction]) -> list[str]:
    return [t.transaction_id for t in transactions]
