"""The case store's multi-row writes as scenarios to cut off, the world of stores they write with
(each engine under the connection killer), and the checks of what a cut left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.case_store import CaseStore, CaseStoreUnavailable, Ticket, TicketDraft
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.case_store.merchants import MerchantDirectory
from bot.case_store.qr_models import QrCode
from tests.bot.case_store.connection_killer import ConnectionKiller, Inspector
from tests.bot.case_store.support import Clock, pending_draft, refund_draft

TERMINAL = "10293847"


@dataclass
class World:
    """One migrated database and every store that writes to it, each engine under the killer."""

    backend: str
    url: str
    cases: CaseStore
    escalations: EscalationStore
    merchants: MerchantDirectory
    killer: ConnectionKiller
    inspector: Inspector
    clock: Clock
    admin_url: str | None  # PostgreSQL's, for a killer of one's own
    has_terminal: bool = False

    def terminal(self) -> str:
        """A merchant's terminal, added on first use (hashing the merchant's password takes a while)."""
        if not self.has_terminal:
            self.merchants.add_merchant("898310048161234", "全家 FamilyMart", "familymart", "a long password")
            self.merchants.add_terminal("898310048161234", TERMINAL)
            self.has_terminal = True
        return TERMINAL


# --- the multi-row writes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A write of the product. `setup(world, key)` prepares it (never cut), `run(world, key, state)` is
    the write itself, `check(world, key, result)` asserts what it must have left. Keys keep the runs in
    one database apart. `idempotent`: calling it again after it committed changes nothing."""

    name: str
    setup: Callable[[World, str], Any]
    run: Callable[[World, str, Any], Any]
    check: Callable[[World, str, Any], None]
    idempotent: bool

    def __str__(self) -> str:
        return self.name


def _nothing(_world: World, _key: str) -> None:
    return None


def _one_ticket(world: World, where: str, **params: Any) -> Ticket:
    """The one ticket `where` selects (there must be exactly one), as the store reads it."""
    assert world.inspector.scalar(f"SELECT COUNT(*) FROM tickets WHERE {where}", **params) == 1
    number = world.inspector.scalar(f"SELECT number FROM tickets WHERE {where}", **params)
    ticket = world.cases.get(number)
    assert ticket is not None
    return ticket


# Opening tickets.


def _refund(world: World, key: str, _state: Any = None) -> Ticket:
    return world.cases.open_ticket(refund_draft(transaction_id=f"TX-{key}", conversation_id=f"conv-{key}"))


def _check_refund(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "transaction_id = :tx", tx=f"TX-{key}")
    assert ticket == result and ticket.status == "open" and len(ticket.history) == 1


def _dispute(world: World, key: str, _state: Any) -> Ticket:
    draft = refund_draft(
        kind="dispute", outcome="dispute_ticket", transaction_id=None, conversation_id=f"conv-{key}"
    )
    return world.cases.open_ticket(draft)


def _check_dispute(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.kind == "dispute" and len(ticket.history) == 1


def _escalation_ticket(world: World, key: str, _state: Any) -> Ticket:
    draft = TicketDraft(
        kind="escalation",
        outcome="escalated",
        conversation_id=f"conv-{key}",
        language="en",
        note="handed to a person: customer_asked",
    )
    return world.cases.open_ticket(draft)


def _check_escalation_ticket(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.kind == "escalation" and len(ticket.history) == 1


def _report_again(world: World, key: str, _state: Any) -> Ticket:
    draft = refund_draft(transaction_id=f"TX-{key}", conversation_id=f"conv-{key}-again")
    return world.cases.open_ticket(draft)


def _check_report_again(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "transaction_id = :tx", tx=f"TX-{key}")
    assert ticket == result and ticket.conversation_id == f"conv-{key}"
    notes = [event.note for event in ticket.history]
    assert notes.count(f"reported again from conversation conv-{key}-again") == 1


# Pending lookups.


def _pending(world: World, key: str, _state: Any = None) -> Ticket:
    return world.cases.open_pending_lookup(pending_draft(conversation_id=f"conv-{key}"))


def _check_pending(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.status == "waiting_for_lookup" and len(ticket.history) == 1


def _resubmit(world: World, key: str, _state: Any) -> Ticket:
    return world.cases.open_pending_lookup(pending_draft(conversation_id=f"conv-{key}", amount=Decimal("99")))


def _check_resubmit(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.amount == Decimal("99")
    assert [(event.note or "").startswith("facts updated") for event in ticket.history] == [False, True]


def _lookup_failed(world: World, _key: str, pending: Ticket) -> Ticket:
    return world.cases.record_lookup_failure(pending.number, "merchant API timed out")


def _check_lookup_failed(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.lookup_attempts == 1 and len(ticket.history) == 2


def _complete(world: World, key: str, pending: Ticket) -> Ticket:
    return world.cases.complete_lookup(
        pending.number, outcome="refund_ticket", transaction_id=f"TX-{key}", expected_by=date(2026, 12, 3)
    )


def _check_complete(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert ticket == result and ticket.kind == "refund" and ticket.status == "open"
    assert ticket.former_number is not None and ticket.former_number.startswith("LK-")
    assert [event.to_status for event in ticket.history] == ["waiting_for_lookup", "open"]


def _setup_merge(world: World, key: str) -> Ticket:
    world.cases.open_ticket(refund_draft(transaction_id=f"TX-{key}", conversation_id=f"conv-{key}-first"))
    return _pending(world, key)


def _check_merge(world: World, key: str, result: Ticket) -> None:
    active = _one_ticket(world, "transaction_id = :tx AND status = 'open'", tx=f"TX-{key}")
    assert active == result and active.conversation_id == f"conv-{key}-first"
    assert len([e for e in active.history if "reported the same transaction" in (e.note or "")]) == 1
    duplicate = _one_ticket(world, "conversation_id = :c", c=f"conv-{key}")
    assert duplicate.status == "closed" and duplicate.merged_into == active.number


# Status changes.


def _to_in_progress(world: World, _key: str, ticket: Ticket) -> Ticket:
    return world.cases.add_event(
        ticket.number,
        actor="agent:alice",
        to_status="in_progress",
        note="called the bank",
        expected_by=date(2026, 12, 9),
    )


def _check_in_progress(world: World, key: str, result: Ticket) -> None:
    ticket = _one_ticket(world, "transaction_id = :tx", tx=f"TX-{key}")
    assert ticket == result and ticket.status == "in_progress" and ticket.expected_by == date(2026, 12, 9)
    assert [event.to_status for event in ticket.history] == ["open", "in_progress"]


# Escalations.


def _open_escalation(world: World, key: str, _state: Any = None) -> Escalation:
    return world.escalations.open(
        conversation_id=f"conv-{key}",
        reason="customer_asked",
        language="zh",
        facts={"amount": "128.50", "terminal_id": TERMINAL},
        lookup=None,
        ticket_number=None,
        summary_customer="您的付款问题已转交人工客服。",
        summary_agent="Customer asked for a person about a failed payment of CNY 128.50.",
    )


def _check_open_escalation(world: World, key: str, result: Escalation) -> None:
    conversation = f"conv-{key}"
    sql = "SELECT COUNT(*) FROM escalations WHERE conversation_id = :c"
    assert world.inspector.scalar(sql, c=conversation) == 1
    assert world.escalations.open_for(conversation) == result and result.status == "waiting"


def _claim(world: World, _key: str, escalation: Escalation) -> Escalation:
    return world.escalations.claim(escalation.id, "alice")


def _check_claimed(world: World, _key: str, result: Escalation) -> None:
    assert world.escalations.get(result.id) == result
    assert result.status == "claimed" and result.agent == "alice"


def _setup_claimed(world: World, key: str) -> Escalation:
    return _claim(world, key, _open_escalation(world, key))


def _resolve(world: World, _key: str, escalation: Escalation) -> Escalation:
    return world.escalations.resolve(escalation.id, "alice", "refund confirmed by the bank")


def _check_resolved(world: World, _key: str, result: Escalation) -> None:
    assert world.escalations.get(result.id) == result and result.status == "resolved"


# The merchant side: a terminal's new printed code revokes the old one.


def _new_terminal_code(world: World, _key: str, _state: Any) -> QrCode:
    return world.merchants.issue_terminal_code(world.terminal())


def _check_terminal_code(world: World, _key: str, result: QrCode) -> None:
    sql = "SELECT COUNT(*) FROM qr_codes WHERE terminal_id = :t AND kind = 'terminal' AND revoked_at IS NULL"
    assert world.inspector.scalar(sql, t=TERMINAL) == 1
    assert world.merchants.scan(result.token).status == "ok"


SCENARIOS = [
    Scenario("open a refund ticket", _nothing, _refund, _check_refund, idempotent=True),
    Scenario("open a dispute ticket", _nothing, _dispute, _check_dispute, idempotent=False),
    Scenario("open an escalation ticket", _nothing, _escalation_ticket, _check_escalation_ticket, False),
    Scenario("report a transaction again", _refund, _report_again, _check_report_again, idempotent=True),
    Scenario("keep a pending lookup", _nothing, _pending, _check_pending, idempotent=True),
    Scenario("resubmit a pending lookup", _pending, _resubmit, _check_resubmit, idempotent=True),
    Scenario("count a failed lookup", _pending, _lookup_failed, _check_lookup_failed, idempotent=False),
    Scenario("conclude a pending lookup", _pending, _complete, _check_complete, idempotent=True),
    Scenario("merge a pending lookup", _setup_merge, _complete, _check_merge, idempotent=True),
    Scenario("change a status", _refund, _to_in_progress, _check_in_progress, idempotent=False),
    Scenario("open an escalation", _nothing, _open_escalation, _check_open_escalation, idempotent=True),
    Scenario("claim an escalation", _open_escalation, _claim, _check_claimed, idempotent=True),
    Scenario("resolve an escalation", _setup_claimed, _resolve, _check_resolved, idempotent=True),
    Scenario("issue a terminal code", _nothing, _new_terminal_code, _check_terminal_code, idempotent=False),
]


# --- helpers ------------------------------------------------------------------------------------------


def _changed(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """The tables whose rows differ between two snapshots."""
    return [table for table in after if after[table] != before[table]]


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in after if after[table] != before[table]}


def _reference(world: World, scenario: Scenario) -> dict[str, int]:
    """The rows per table an uncut run adds (after a first run, which may also start the day's counter)."""
    scenario.run(world, "first", scenario.setup(world, "first"))
    state = scenario.setup(world, "reference")
    before = world.inspector.counts()
    result = scenario.run(world, "reference", state)
    added = _delta(before, world.inspector.counts())
    scenario.check(world, "reference", result)
    world.inspector.check_whole()
    assert added, f"{scenario}: wrote no row"
    return added


def _cut(world: World, scenario: Scenario, key: str, state: Any, point: int | str) -> tuple[Any, Any]:
    """Run the write with its connection killed at `point`: (the error it raised, None), or (None, its
    result) when it finished before reaching that point."""
    kills = len(world.killer.kills)
    world.killer.arm(point)
    try:
        result = scenario.run(world, key, state)
    except CaseStoreUnavailable as exc:
        # The store says "unavailable"; what it hides is the dead connection's own error.
        assert isinstance(exc.__cause__, DBAPIError), repr(exc.__cause__)
        assert len(world.killer.kills) == kills + 1, f"{exc!r} raised, but no connection was killed"
        return exc.__cause__, None
    finally:
        world.killer.disarm()
    assert len(world.killer.kills) == kills, f"the connection was killed ({world.killer.kills[-1]}), no error"
    return None, result


def _assert_dropped(world: World, error: DBAPIError) -> None:
    """The error is the dead connection's own, and the store's pool has let that connection go."""
    assert error.connection_invalidated, f"the pool kept a dead connection: {error!r}"
    if world.backend == "postgresql":
        assert isinstance(error, OperationalError), repr(error)
