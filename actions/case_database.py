"""The action server's case database: one engine for every store the actions use."""

from __future__ import annotations

from functools import lru_cache

from bot.case_store import CaseDatabase


@lru_cache(maxsize=1)
def case_database() -> CaseDatabase:
    """Made on first use (never at import: the tests point CASE_STORE_URL elsewhere first)."""
    return CaseDatabase()
