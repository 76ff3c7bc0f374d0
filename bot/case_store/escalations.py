"""Escalations: conversations handed from the bot to human agents, one open hand-over per conversation.

The bot opens one (`open`, idempotent per conversation); agents see the queue (`waiting`), take one
(`claim`, exactly one agent wins a race), and finish it (`resolve`, or `hand_back` to the bot). Each
change writes an outbox event ("escalation.opened", "escalation.claimed", "escalation.resolved",
"escalation.handed_back") in the same transaction, for the helpdesk webhook (bot.webhooks).
Resolving also notes the resolution on the escalation's ticket and settles the hand-over's own
ticket, in that transaction too (the rule: `handover_ticket.py`).

The `*_change` forms also say whether the call made the change or found it made by the same agent
before (a double click), so that what the customer is told of it is told once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.case_store import ticket_numbers
from bot.case_store.db import CaseDatabase, is_unique_violation, translate_errors, utc_now
from bot.case_store.errors import CaseStoreError
from bot.case_store.escalation_models import (
    ESCALATION_REASONS,
    OPEN_ESCALATION_STATUSES,
    Escalation,
    EscalationReason,
    EscalationRow,
    EscalationStatus,
    dump_json,
)
from bot.case_store.handover_ticket import record_resolution
from bot.case_store.models import LANGUAGES, Language, check_card_last4, masked
from bot.case_store.outbox_hook import enqueue

TOPICS: dict[EscalationStatus, str] = {
    "waiting": "escalation.opened",
    "claimed": "escalation.claimed",
    "resolved": "escalation.resolved",
    "handed_back": "escalation.handed_back",
}
_ATTEMPTS = 5  # passes through `open` that lost the race for the conversation's unique index
# Facts are structured fields; a full card number or a secret code has no place among them.
_FORBIDDEN_FACT_KEYS = frozenset(
    {"card_number", "pan", "pin", "cvv", "cvv2", "cvc", "cvn", "cvn2", "password", "card_password"}
)


class EscalationError(CaseStoreError):
    """Base of the escalation errors."""


class EscalationNotFound(EscalationError):
    """No escalation has that id."""


class AlreadyClaimed(EscalationError):
    """Another agent holds the escalation."""


class NotHolder(EscalationError):
    """Only the agent who claimed the escalation may finish it (and someone must have claimed it)."""


class EscalationClosed(EscalationError):
    """The escalation is resolved or handed back; nothing more can happen to it."""


@dataclass(frozen=True)
class Change:
    """An agent's change to an escalation: the escalation as it now is, and whether this call made the
    change (False: the same agent had made it already, and nothing was written)."""

    escalation: Escalation
    made: bool


def _checked_json(name: str, value: dict[str, Any]) -> str:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict")
    _refuse_secrets(name, value)
    try:
        return dump_json(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be stored as JSON: {exc}") from exc


def _refuse_secrets(name: str, value: object) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if str(key).lower() in _FORBIDDEN_FACT_KEYS:
                raise ValueError(f"{name} must not carry {key!r}: card numbers and codes are never stored")
            if key == "card_last4" and inner is not None:
                check_card_last4(str(inner))  # the last 4 digits, as on a ticket, never more
            _refuse_secrets(name, inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            _refuse_secrets(name, inner)


def _checked_agent(agent: str) -> str:
    if not isinstance(agent, str) or not agent.strip() or len(agent) > 64:
        raise ValueError("agent must be a name of 1 to 64 characters")
    return agent


# The gateway asks this before every customer message (is an agent holding the conversation?).
_OPEN_FOR = (
    select(EscalationRow.__table__)
    .where(EscalationRow.__table__.c.conversation_id == bindparam("conversation_id"))
    .where(EscalationRow.__table__.c.status.in_(OPEN_ESCALATION_STATUSES))
)


@translate_errors
class EscalationStore:
    """Escalations in the case store's database; one session per unit of work."""

    def __init__(self, database: CaseDatabase, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self._clock = clock
        self._reads, self._writes = database.reads, database.writes

    # --- the bot's side -------------------------------------------------------------------------

    def open(
        self,
        *,
        conversation_id: str,
        reason: EscalationReason,
        language: Language,
        facts: dict[str, Any],
        lookup: dict[str, Any] | None,
        ticket_number: str | None,
        summary_customer: str,
        summary_agent: str,
    ) -> Escalation:
        """Hand the conversation to the agents; its open escalation when it has one already (race-safe)."""
        if not conversation_id or len(conversation_id) > 255:
            raise ValueError("conversation_id must have 1 to 255 characters")
        if reason not in ESCALATION_REASONS:
            raise ValueError(f"reason must be one of {ESCALATION_REASONS}")
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        if not summary_customer or not summary_agent:
            raise ValueError("both summaries are required")
        number = None
        if ticket_number is not None:
            parsed = ticket_numbers.parse_number(ticket_number)
            if parsed is None:
                raise ValueError(f"not a ticket number: {ticket_number!r}")
            number = str(parsed)
        facts_json = _checked_json("facts", facts)
        lookup_json = None if lookup is None else _checked_json("lookup", lookup)
        for _ in range(_ATTEMPTS):
            try:
                with self._writes.begin() as session:
                    existing = self._open_row(session, conversation_id)
                    if existing is not None:
                        return Escalation.from_row(existing)
                    now = self._now()
                    row = EscalationRow(
                        conversation_id=conversation_id,
                        status="waiting",
                        reason=reason,
                        language=language,
                        facts=facts_json,
                        lookup=lookup_json,
                        ticket_number=number,
                        summary_customer=masked(summary_customer),
                        summary_agent=masked(summary_agent),
                        created_at=now,
                    )
                    session.add(row)
                    session.flush()  # the unique index decides here whether we are first
                    return self._record(session, row, now)
            except IntegrityError as exc:
                # Another caller opened the conversation's escalation between our check and our insert;
                # the next pass finds and returns it.
                if not is_unique_violation(exc):
                    raise
        raise EscalationError(f"could not open an escalation for {conversation_id}")

    # --- reading --------------------------------------------------------------------------------

    def waiting(self, *, limit: int | None = None) -> list[Escalation]:
        """The escalations no agent has claimed yet, oldest first."""
        statement = (
            select(EscalationRow)
            .where(EscalationRow.status == "waiting")
            .order_by(EscalationRow.created_at, EscalationRow.id)
        )
        if limit is not None:
            statement = statement.limit(limit)
        with self._reads.begin() as session:
            return [Escalation.from_row(row) for row in session.execute(statement).scalars()]

    def held_by(self, agent: str) -> list[Escalation]:
        """The escalations an agent holds now, oldest claim first."""
        statement = (
            select(EscalationRow)
            .where(EscalationRow.status == "claimed")
            .where(EscalationRow.agent == agent)
            .order_by(EscalationRow.claimed_at, EscalationRow.id)
        )
        with self._reads.begin() as session:
            return [Escalation.from_row(row) for row in session.execute(statement).scalars()]

    def open_for(self, conversation_id: str) -> Escalation | None:
        """The conversation's waiting or claimed escalation, if any.

        One statement on a pooled connection, without an ORM session: the gateway asks before every
        customer message, and a session made this cost 0.36 ms instead of 0.10 on SQLite.
        """
        with self.database.engine.connect() as connection:
            row = connection.execute(_OPEN_FOR, {"conversation_id": conversation_id}).first()
        return None if row is None else Escalation.from_row(row)

    def get(self, escalation_id: int) -> Escalation | None:
        """The escalation with that id, or None."""
        with self._reads.begin() as session:
            row = session.get(EscalationRow, escalation_id)
            return None if row is None else Escalation.from_row(row)

    # --- the agents' side -----------------------------------------------------------------------

    def claim(self, escalation_id: int, agent: str) -> Escalation:
        """Take a waiting escalation. Claiming it again as its holder returns it unchanged.

        Raises AlreadyClaimed when another agent holds it, EscalationClosed when it is over,
        EscalationNotFound when there is none. Of agents claiming at once, exactly one wins.
        """
        return self.claim_change(escalation_id, agent).escalation

    def claim_change(self, escalation_id: int, agent: str) -> Change:
        """`claim`, saying whether this call took the escalation (False: its holder claimed it again)."""
        agent = _checked_agent(agent)
        with self._writes.begin() as session:
            now = self._now()
            # A conditional UPDATE, not read-then-write: the database lets one claimer match `waiting`.
            claimed = session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == escalation_id)
                .where(EscalationRow.status == "waiting")
                .values(status="claimed", agent=agent, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            row = session.get(EscalationRow, escalation_id)
            if claimed.rowcount == 1:
                return Change(self._record(session, row, now), made=True)
            if row is None:
                raise EscalationNotFound(str(escalation_id))
            if row.status == "claimed":
                if row.agent == agent:
                    return Change(Escalation.from_row(row), made=False)
                raise AlreadyClaimed(f"escalation {escalation_id} is held by {row.agent}")
            raise EscalationClosed(f"escalation {escalation_id} is {row.status}")

    def resolve(self, escalation_id: int, agent: str, note: str | None = None) -> Escalation:
        """The holder settles the escalation (status resolved), optionally with a note; its ticket gets
        the note and, if it is the hand-over's own open ticket, the status resolved (handover_ticket)."""
        return self.resolve_change(escalation_id, agent, note).escalation

    def resolve_change(self, escalation_id: int, agent: str, note: str | None = None) -> Change:
        """`resolve`, saying whether this call resolved it (False: the same agent's repeated request)."""
        return self._finish(escalation_id, agent, "resolved", note)

    def hand_back(self, escalation_id: int, agent: str) -> Escalation:
        """The holder gives the conversation back to the bot (status handed_back); its ticket stays as
        it is."""
        return self.hand_back_change(escalation_id, agent).escalation

    def hand_back_change(self, escalation_id: int, agent: str) -> Change:
        """`hand_back`, saying whether this call handed it back (False: the same agent's repeated request)."""
        return self._finish(escalation_id, agent, "handed_back", None)

    # --- helpers --------------------------------------------------------------------------------

    def _finish(self, escalation_id: int, agent: str, status: EscalationStatus, note: str | None) -> Change:
        agent = _checked_agent(agent)
        note = masked(note)
        with self._writes.begin() as session:
            now = self._now()
            values: dict[str, Any] = {"status": status, "resolved_at": now}
            if note is not None:
                values["note"] = note
            finished = session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == escalation_id)
                .where(EscalationRow.status == "claimed")
                .where(EscalationRow.agent == agent)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            row = session.get(EscalationRow, escalation_id)
            if finished.rowcount == 1:
                if status == "resolved" and row.ticket_number:
                    record_resolution(session, row.ticket_number, agent=agent, note=note, now=now)
                return Change(self._record(session, row, now), made=True)
            if row is None:
                raise EscalationNotFound(str(escalation_id))
            if row.status == status and row.agent == agent:
                return Change(Escalation.from_row(row), made=False)  # a double click
            if row.status == "claimed":
                raise NotHolder(f"escalation {escalation_id} is held by {row.agent}, not {agent}")
            if row.status == "waiting":
                raise NotHolder(f"escalation {escalation_id} must be claimed first")
            raise EscalationClosed(f"escalation {escalation_id} is {row.status}")

    @staticmethod
    def _open_row(session: Session, conversation_id: str) -> EscalationRow | None:
        return session.execute(
            select(EscalationRow)
            .where(EscalationRow.conversation_id == conversation_id)
            .where(EscalationRow.status.in_(OPEN_ESCALATION_STATUSES))
        ).scalar_one_or_none()

    @staticmethod
    def _record(session: Session, row: EscalationRow, now: datetime) -> Escalation:
        """The escalation as it now is, with its outbox event added to the same transaction."""
        escalation = Escalation.from_row(row)
        enqueue(session, TOPICS[escalation.status], escalation.as_json(), now)
        session.flush()
        return escalation

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the escalation store's clock must return aware datetimes")
        return now.astimezone(timezone.utc)
