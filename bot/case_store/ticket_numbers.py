"""Readable ticket numbers: a kind prefix, the business day, a per-day sequence and a check letter
(RF-20261126-0042-K).

The check letter catches a mistyped or made-up number before anything is looked up: it is the
number's digits (the prefix's letters as their character codes, the day, the sequence) modulo 23,
written as one of 23 letters that cannot be misread as a digit (no I, O or U). A prime modulus
above 10 catches every single changed digit and every swap of two neighbouring digits. It is no
secret: who may see a ticket is decided by the conversation that asks (`actions/ticket_status.py`).

Numbers handed out before check letters existed have none ("RF-20261126-0042"). They stay as they
are stored and are still read, as `checked=False`: the chat answers them only in the conversation
that was given them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
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
CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # 23, the modulus: no I or O (1 and 0 to a reader), no U

_NUMBER = re.compile(
    r"^(?P<prefix>[A-Z]{2})[-_ ]*(?P<day>\d{8})[-_ ]*(?P<seq>\d{1,6})(?:[-_ ]*(?P<check>[A-Z]))?$"
)
# A ticket number inside a message, as customers copy or type it: RF-20261126-0042-K,
# rf 20261126 0042 k, RF202611260042K, and numbers from before check letters (RF-20261126-0042).
# The check letter follows a dash or nothing: "RF-20261126-0042 a question" has none.
_IN_TEXT = re.compile(
    r"(?<![a-z0-9])(?:rf|dp|es|lk)[\s\-_]?\d{8}[\s\-_]?\d{4,6}"
    r"(?:\s?-\s?[a-z](?![a-z0-9])|[a-z](?![a-z0-9]))?(?![0-9])",
    re.IGNORECASE,
)
# How each printed number looks (for tests and tools that pick numbers out of the bot's messages).
PRINTED = re.compile(r"(?<![A-Za-z0-9])(?:RF|DP|ES|LK)-\d{8}-\d{4,6}-[A-Z](?![A-Za-z0-9])")


def check_letter(prefix: str, day: date, sequence: int) -> str:
    """The check letter of a number."""
    digits = f"{ord(prefix[0]):02d}{ord(prefix[1]):02d}{day:%Y%m%d}{sequence:04d}"
    return CHECK_LETTERS[int(digits) % len(CHECK_LETTERS)]


@dataclass(frozen=True)
class TicketNumber:
    prefix: str
    day: date
    sequence: int
    # Written with its check letter (every number handed out now), or one from before check letters.
    # Not part of equality: both spellings name the same ticket.
    checked: bool = field(default=True, compare=False)

    @property
    def plain(self) -> str:
        """Without the check letter: how numbers from before check letters are stored."""
        return f"{self.prefix}-{self.day:%Y%m%d}-{self.sequence:04d}"

    @property
    def check(self) -> str:
        return check_letter(self.prefix, self.day, self.sequence)

    def __str__(self) -> str:
        return f"{self.plain}-{self.check}" if self.checked else self.plain

    def with_prefix(self, prefix: str) -> TicketNumber:
        """The same day and sequence under another kind's prefix (a new number: with its check letter)."""
        return TicketNumber(prefix, self.day, self.sequence)


def parse_number(text: str) -> TicketNumber | None:
    """Read a number as a customer types it (any case, full-width, spaces or no dashes), or None: also
    when its check letter is wrong. A number without one reads as `checked=False`."""
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
    number = TicketNumber(match["prefix"], day, sequence, checked=match["check"] is not None)
    if number.checked and match["check"] != number.check:
        return None
    return number


def find_number(text: str) -> str | None:
    """The first thing in a message written like a ticket number (its check letter still unread), or None."""
    found = _IN_TEXT.search(text)
    return found.group(0) if found else None


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
