"""Readable ticket numbers: a kind prefix, the business day and a per-day sequence (RF-20261126-0042)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.case_store.models import TicketKind, TicketSequenceRow

PREFIXES: dict[TicketKind, str] = {
    "refund": "RF",
    "dispute": "DP",
    "escalation": "ES",
    "lookup_pending": "LK",
}

_NUMBER = re.compile(r"^(?P<prefix>[A-Z]{2})[-_ ]*(?P<day>\d{8})[-_ ]*(?P<seq>\d{1,6})$")


@dataclass(frozen=True)
class TicketNumber:
    prefix: str
    day: date
    sequence: int

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d}-{self.sequence:04d}"

    def with_prefix(self, prefix: str) -> TicketNumber:
        """The same day and sequence under another kind's prefix."""
        return TicketNumber(prefix, self.day, self.sequence)


def parse_number(text: str) -> TicketNumber | None:
    """Read a number as a customer types it (any case, full-width, spaces or no dashes), or None."""
    cleaned = unicodedata.normalize("NFKC", text).strip().upper().replace("—", "-").replace("－", "-")
    match = _NUMBER.match(cleaned)
    if match is None or match["prefix"] not in PREFIXES.values():
        return None
    try:
        day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    except ValueError:
        return None
    sequence = int(match["seq"])
    if sequence < 1:
        return None
    return TicketNumber(match["prefix"], day, sequence)


def next_number(session: Session, kind: TicketKind, day: date) -> TicketNumber:
    """Take the day's next sequence number inside the caller's transaction (an atomic upsert).

    The counter row stays locked until the transaction ends, so concurrent openers get distinct
    numbers; a transaction that rolls back gives its number back.
    """
    table = TicketSequenceRow.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert(table)
    elif dialect == "sqlite":
        insert = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database for ticket numbers: {dialect}")
    statement = insert.values(day=day, last_value=1).on_conflict_do_update(
        index_elements=[table.c.day], set_={"last_value": table.c.last_value + 1}
    )
    session.execute(statement)
    sequence = session.execute(select(table.c.last_value).where(table.c.day == day)).scalar_one()
    return TicketNumber(PREFIXES[kind], day, sequence)
