"""Escalations claimed and finished on SQLite and PostgreSQL: one agent's claim refused to another,
racing agents with exactly one winner, resolving and handing back only by the holder."""

from __future__ import annotations

import pytest

from bot.case_store import CaseDatabase, CaseStoreError
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import (
    AlreadyClaimed,
    EscalationClosed,
    EscalationError,
    EscalationNotFound,
    EscalationStore,
    NotHolder,
)
from bot.case_store.outbox import Outbox
from tests.bot.case_store.escalation_support import _all_at_once, _open, _payloads, _topics
from tests.bot.case_store.support import Clock


def test_claim_by_one_agent_refused_for_another(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    escalation = _open(escalations)
    clock.advance(minutes=3)

    claimed = escalations.claim(escalation.id, "alice")
    assert claimed.status == "claimed" and claimed.agent == "alice" and claimed.claimed_at == clock.now
    assert escalations.claim(escalation.id, "alice") == claimed  # the same agent again: fine, no event
    with pytest.raises(AlreadyClaimed, match="alice") as refused:
        escalations.claim(escalation.id, "bob")
    assert isinstance(refused.value, CaseStoreError) and isinstance(refused.value, EscalationError)
    with pytest.raises(EscalationNotFound):
        escalations.claim(999_999, "alice")

    assert escalations.get(escalation.id) == claimed
    assert _topics(outbox) == ["escalation.opened", "escalation.claimed"]
    assert _payloads(outbox, "escalation.claimed") == [claimed.as_json()]
    assert escalations.open_for("conv-1") == claimed
    assert escalations.waiting() == []


@pytest.mark.parametrize("callers", [2, 10])
def test_racing_agents_exactly_one_wins(
    migrated_url: str, escalations: EscalationStore, outbox: Outbox, clock: Clock, callers: int
) -> None:
    escalation = _open(escalations)
    per_caller = [EscalationStore(CaseDatabase(migrated_url), clock=clock) for _ in range(callers)]
    try:
        results = _all_at_once(lambda i: per_caller[i].claim(escalation.id, f"agent-{i}"), callers)
    finally:
        for other in per_caller:
            other.database.close()

    winners = [result for result in results if isinstance(result, Escalation)]
    losers = [result for result in results if not isinstance(result, Escalation)]
    assert len(winners) == 1, results
    assert all(isinstance(loser, AlreadyClaimed) for loser in losers), losers
    assert escalations.get(escalation.id).agent == winners[0].agent  # type: ignore[union-attr]
    assert _topics(outbox) == ["escalation.opened", "escalation.claimed"]


# --- finishing -------------------------------------------------------------------------------------


def test_resolve_only_by_the_holder(escalations: EscalationStore, outbox: Outbox, clock: Clock) -> None:
    escalation = _open(escalations)
    with pytest.raises(NotHolder, match="claimed first"):
        escalations.resolve(escalation.id, "alice", "too early")
    escalations.claim(escalation.id, "alice")
    with pytest.raises(NotHolder, match="alice"):
        escalations.resolve(escalation.id, "bob", "not mine")
    with pytest.raises(NotHolder):
        escalations.hand_back(escalation.id, "bob")
    clock.advance(minutes=20)

    resolved = escalations.resolve(escalation.id, "alice", "refund confirmed by the acquirer")
    assert resolved.status == "resolved" and not resolved.is_open
    assert resolved.note == "refund confirmed by the acquirer" and resolved.resolved_at == clock.now
    assert escalations.resolve(escalation.id, "alice", "double click") == resolved
    with pytest.raises(EscalationClosed):
        escalations.hand_back(escalation.id, "alice")
    with pytest.raises(EscalationClosed):
        escalations.claim(escalation.id, "bob")
    with pytest.raises(EscalationNotFound):
        escalations.resolve(999_999, "alice")

    assert _topics(outbox) == ["escalation.opened", "escalation.claimed", "escalation.resolved"]
    assert _payloads(outbox, "escalation.resolved") == [resolved.as_json()]
    assert escalations.open_for("conv-1") is None


def test_hand_back_only_by_the_holder(escalations: EscalationStore, outbox: Outbox, clock: Clock) -> None:
    escalation = _open(escalations)
    with pytest.raises(NotHolder):
        escalations.hand_back(escalation.id, "alice")
    escalations.claim(escalation.id, "alice")
    clock.advance(minutes=1)

    back = escalations.hand_back(escalation.id, "alice")
    assert back.status == "handed_back" and back.agent == "alice" and back.resolved_at == clock.now
    assert escalations.hand_back(escalation.id, "alice") == back
    with pytest.raises(EscalationClosed):
        escalations.resolve(escalation.id, "alice")

    assert _topics(outbox) == ["escalation.opened", "escalation.claimed", "escalation.handed_back"]
    assert [p["status"] for p in _payloads(outbox, "escalation.handed_back")] == ["handed_back"]


def test_agent_names_are_checked(escalations: EscalationStore) -> None:
    escalation = _open(escalations)
    for agent in ("", "   ", "x" * 65):
        with pytest.raises(ValueError, match="agent"):
            escalations.claim(escalation.id, agent)
