"""Twenty conversations about one transaction conclude at once: one case, one call to the merchant
side (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from bot.case_store import CaseDatabase, CaseStore
from bot.lookup.complaint import CaseResult, Complaint
from bot.lookup.decision import Decision
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable
from bot.merchant_api import MerchantAPI, Transaction
from tests.bot.case_store.support import SHANGHAI, count
from tests.bot.lookup.support import (
    active_tickets,
    complaint_for,
    make_service,
    notes,
    posts,
)
from tests.devtools.sandbox.server import SandboxServer

CALLERS = 20


# --- twenty conversations about one transaction ---------------------------------------------------


async def _decision_for(service: LookupService, complaint: Complaint) -> Decision:
    decision = (await service.look_up(complaint)).decision
    assert decision is not None and decision.outcome == "refund_ticket"
    return decision


async def test_twenty_concurrent_conclusions_open_one_ticket(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    complaints = [
        complaint_for(await api.get("TXN0005"), conversation_id=f"conv-{i}") for i in range(CALLERS)
    ]
    decision = await _decision_for(service, complaints[0])
    sandbox.clear_requests()

    results = await asyncio.gather(*(service.conclude(c, decision) for c in complaints))

    assert len({r.ticket_number for r in results}) == 1
    assert len({r.expected_by for r in results}) == 1
    assert active_tickets(store, "TXN0005") == 1
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1
    # Only the call that opened the ticket asked the merchant side to push the reversal.
    assert posts(sandbox) == ["/v1/transactions/TXN0005/reversal-push"]


def test_twenty_threads_each_with_its_own_event_loop_open_one_ticket(
    sandbox: SandboxServer, migrated_url: str, store: CaseStore, table: TimelineTable
) -> None:
    async def first_decision() -> tuple[Transaction, Decision]:
        lookup = make_service(sandbox, store, table)
        async with lookup.api:
            t = await lookup.api.get("TXN0005")
            return t, await _decision_for(lookup, complaint_for(t))

    t, decision = asyncio.run(first_decision())
    sandbox.clear_requests()
    barrier = threading.Barrier(CALLERS, timeout=30)

    def conclude_in_own_loop(index: int) -> CaseResult:
        # Like separate action server processes: a client and a store each, released together.
        own_store = CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI)
        lookup = make_service(sandbox, own_store, table)

        async def run() -> CaseResult:
            async with lookup:
                return await lookup.conclude(complaint_for(t, conversation_id=f"thread-{index}"), decision)

        barrier.wait()
        return asyncio.run(run())

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = list(pool.map(conclude_in_own_loop, range(CALLERS)))

    assert len({r.ticket_number for r in results}) == 1
    assert active_tickets(store, "TXN0005") == 1
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1
    assert posts(sandbox) == ["/v1/transactions/TXN0005/reversal-push"]
    ticket = store.get(results[0].ticket_number)
    assert len([n for n in notes(ticket) if n.startswith("reported again")]) == CALLERS - 1


async def test_another_conclusion_for_the_same_transaction_is_noted_on_its_ticket(
    service: LookupService, api: MerchantAPI, store: CaseStore
) -> None:
    t = await api.get("TXN0012")
    not_received = complaint_for(t, got_goods=False)
    fraud = complaint_for(t, fraud_suspected=True)
    dispute = await service.conclude(not_received, (await service.look_up(not_received)).decision)
    escalated = await service.conclude(fraud, (await service.look_up(fraud)).decision)

    assert (dispute.outcome, escalated.outcome) == ("dispute_ticket", "escalated")
    assert escalated.ticket_number == dispute.ticket_number
    ticket = store.get(dispute.ticket_number)
    assert any(
        f"conversation {fraud.conversation_id} concluded escalated (fraud)" in n for n in notes(ticket)
    )
