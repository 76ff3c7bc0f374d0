"""The callers of the case store with its connection dropped: the lookup's dispute whose COMMIT answer
is lost is opened once, and a hand-off cut off before its escalation is queued keeps one ticket."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.case_store import CaseDatabase, CaseStoreUnavailable
from bot.case_store.escalations import EscalationStore
from bot.handoff.hours import SupportHours
from bot.handoff.service import HandoffService
from bot.handoff.summary import HandoffFacts
from bot.lookup.complaint import Complaint
from bot.lookup.decision import Decision
from bot.lookup.service import LookupService
from bot.lookup.timelines import load_table
from bot.merchant_api import MerchantAPI
from devtools.processes import free_port
from tests.bot.case_store.connection_killer import ACK_LOST, COMMIT, ConnectionKiller
from tests.bot.case_store.dropped_connection.scenarios import TERMINAL, World, _one_ticket
from tests.bot.case_store.support import SHANGHAI, Clock

ALWAYS = SupportHours.parse("00:00-23:59:59", "mon-sun", "Asia/Shanghai")


def _complaint(conversation_id: str) -> Complaint:
    start = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    return Complaint(
        conversation_id=conversation_id,
        language="zh",
        window_start=start,
        window_end=start + timedelta(minutes=10),
        amount=Decimal("128.50"),
        terminal_id=TERMINAL,
        merchant_name=None,
    )


async def test_a_dispute_whose_commit_answer_is_lost_is_opened_once(world: World, clock: Clock) -> None:
    """A dispute has no transaction for the database to keep unique: the lookup service's own check
    (the conversation's case for the same complaint) keeps the retry from opening a second ticket."""
    api = MerchantAPI(f"http://127.0.0.1:{free_port()}", "unused", retries=0)  # a dispute calls no API
    service = LookupService(api, world.cases, load_table(), clock=clock)
    decision = Decision("outcome", "dispute_ticket", None, None, (), "not_found")
    try:
        world.killer.arm(ACK_LOST)
        with pytest.raises(CaseStoreUnavailable) as failed:
            await service.conclude(_complaint("conv-dispute"), decision)
        expected = OperationalError if world.backend == "postgresql" else DBAPIError
        assert isinstance(failed.value.__cause__, expected), repr(failed.value.__cause__)
        world.killer.disarm()
        assert world.killer.kills == ["after COMMIT"]

        result = await service.conclude(_complaint("conv-dispute"), decision)
    finally:
        await api.aclose()

    ticket = _one_ticket(world, "conversation_id = :c", c="conv-dispute")
    assert result.ticket_number == ticket.number and ticket.kind == "dispute"
    world.inspector.check_whole()


def test_a_hand_off_cut_off_before_its_escalation_is_queued_keeps_one_ticket(world: World) -> None:
    # Its own engine, under its own killer.
    escalations = EscalationStore(CaseDatabase(world.url), clock=world.clock)
    killer = ConnectionKiller([escalations.database.engine], admin_url=world.admin_url)
    service = HandoffService(world.cases, escalations, ALWAYS, "en")
    facts = HandoffFacts(reason="customer_asked", customer_language="zh", amount=Decimal("56.00"))
    now = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    try:
        killer.arm(COMMIT)
        with pytest.raises(CaseStoreUnavailable) as failed:
            service.hand_off("conv-handoff", facts, now)
        assert isinstance(failed.value.__cause__, DBAPIError), repr(failed.value.__cause__)
        killer.disarm()
        assert killer.kills == ["before COMMIT"]
        assert escalations.open_for("conv-handoff") is None

        handoff = service.hand_off("conv-handoff", facts, now)
    finally:
        killer.close()
        escalations.database.close()

    world.inspector.check_whole()
    ticket = _one_ticket(world, "conversation_id = :c", c="conv-handoff")
    assert handoff.ticket_number == ticket.number
