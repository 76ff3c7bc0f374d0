"""The lookup service when the merchant API is down or slow: the complaint is kept as a pending
lookup, and the retry job concludes it once the API answers (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.case_store import CaseStore, CaseStoreUnavailable, Ticket
from bot.lookup.complaint import Complaint
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable, expected_by
from bot.merchant_api import MerchantAPI
from tests.bot.case_store.support import count
from tests.bot.lookup.support import (
    SQLITE_ONLY,
    complaint_for,
    make_service,
    notes,
    posts,
    today,
)
from tests.devtools.sandbox.server import SandboxServer

# --- the merchant API down or slow ----------------------------------------------------------------


async def test_down_keeps_every_fact_and_the_retry_job_completes_it(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore, table: TimelineTable
) -> None:
    t = await api.get("TXN0005")
    complaint = complaint_for(
        t,
        language="en",
        merchant_name="全家便利店(徐汇店)",
        card_last4="3821",
        rrn="831212129288",
        voucher_no="081394",
    )
    sandbox.set_faults(down=True)

    looked = await service.look_up(complaint)

    assert looked.decision is None
    pending = looked.pending_ticket
    assert pending is not None and pending.number.startswith("LK-")
    stored = store.get(pending.number)
    assert (stored.kind, stored.status, stored.transaction_id) == (
        "lookup_pending",
        "waiting_for_lookup",
        None,
    )
    facts = ("conversation_id", "language", "window_start", "window_end", "amount", "terminal_id")
    facts += ("merchant_name", "card_last4", "rrn", "voucher_no")
    assert {name: getattr(stored, name) for name in facts} == {
        name: getattr(complaint, name) for name in facts
    }
    assert Complaint.from_ticket(stored) == complaint

    # Still down: the retry job records the failure and the complaint keeps waiting.
    assert await service.retry_pending() == []
    stored = store.get(pending.number)
    assert (stored.status, stored.lookup_attempts) == ("waiting_for_lookup", 1)
    assert any(n.startswith("lookup failed: ") for n in notes(stored))

    sandbox.heal()
    sandbox.clear_requests()
    [result] = await service.retry_pending()

    assert (result.outcome, result.reason, result.lookup_ticket) == (
        "refund_ticket",
        "reversal_pending",
        pending.number,
    )
    assert result.expected_by == expected_by("refund_ticket", "reversal_pending", t, today(), table)
    case = store.get(pending.number)  # the LK number the customer holds still finds the case
    assert case.number == result.ticket_number and case.former_number == pending.number
    assert (case.kind, case.status, case.outcome, case.transaction_id) == (
        "refund",
        "open",
        "refund_ticket",
        "TXN0005",
    )
    assert case.expected_by == result.expected_by
    assert store.pending_lookups() == []
    assert posts(sandbox) == ["/v1/transactions/TXN0005/reversal-push"]
    assert await service.retry_pending() == []


async def test_the_answers_without_columns_survive_the_wait(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    t = await api.get("TXN0012")
    complaint = complaint_for(t, got_goods=False)
    sandbox.set_faults(down=True)
    pending = (await service.look_up(complaint)).pending_ticket
    # The customer resubmits with another answer while it is still down: the newest answer counts.
    resubmitted = replace(complaint, got_goods=None, fraud_suspected=True)
    again = (await service.look_up(resubmitted)).pending_ticket
    assert pending is not None and again is not None and again.number == pending.number
    assert Complaint.from_ticket(store.get(pending.number)) == resubmitted
    await service.look_up(complaint)  # and back again
    sandbox.heal()

    [result] = await service.retry_pending()

    assert (result.outcome, result.reason) == ("dispute_ticket", "completed_not_received")
    assert store.get(pending.number).kind == "dispute"


@SQLITE_ONLY
async def test_slow_is_treated_like_down(
    sandbox: SandboxServer, api: MerchantAPI, store: CaseStore, table: TimelineTable
) -> None:
    t = await api.get("TXN0005")
    service = make_service(sandbox, store, table, lookup_timeout=0.3)
    async with service.api:
        sandbox.set_faults(latency_ms=2000)
        looked = await service.look_up(complaint_for(t))
    assert looked.decision is None and looked.pending_ticket is not None
    assert "no answer within 0.3s" in notes(looked.pending_ticket)[0]


async def test_the_retry_job_stops_a_round_at_the_first_unavailable_answer(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    t = await api.get("TXN0005")
    sandbox.set_faults(down=True)
    first = (await service.look_up(complaint_for(t))).pending_ticket
    second = (await service.look_up(complaint_for(t))).pending_ticket
    assert first is not None and second is not None and first.number != second.number

    assert await service.retry_pending() == []

    assert [store.get(n).lookup_attempts for n in (first.number, second.number)] == [1, 0]


async def test_the_retry_job_hands_what_needs_a_customer_to_a_human(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    several = complaint_for(await api.get("TXN0018"))
    t = await api.get("TXN0005")
    nothing = complaint_for(
        t, window_start=t.created_at - timedelta(days=5), window_end=t.created_at - timedelta(days=5)
    )
    over = replace(nothing, conversation_id="conv-over", amount=Decimal("6000.00"))
    sandbox.set_faults(down=True)
    pending = [(await service.look_up(c)).pending_ticket for c in (several, nothing, over)]
    sandbox.heal()

    results = await service.retry_pending()

    assert [(r.lookup_ticket, r.outcome, r.reason) for r in results] == [
        (pending[0].number, "escalated", "several_matches"),
        (pending[1].number, "dispute_ticket", "not_found"),
        (pending[2].number, "escalated", "over_limit"),
    ]
    assert all(r.transaction is None for r in results)
    escalation = store.get(results[0].ticket_number)
    assert (escalation.kind, escalation.status) == ("escalation", "open")
    assert any("candidates TXN0017, TXN0018, TXN0019, TXN0020" in n for n in notes(escalation))
    assert store.get(results[1].ticket_number).kind == "dispute"


async def test_the_retry_job_resolves_what_needs_no_case(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    complaint = complaint_for(await api.get("TXN0001"))
    sandbox.set_faults(down=True)
    pending = (await service.look_up(complaint)).pending_ticket
    sandbox.heal()

    [result] = await service.retry_pending()

    assert (result.outcome, result.ticket_number, result.lookup_ticket) == ("no_charge", None, pending.number)
    assert result.payload()["ticket_id"] is None
    resolved = store.get(pending.number)
    assert (resolved.status, resolved.outcome, resolved.expected_by) == (
        "resolved",
        "no_charge",
        result.expected_by,
    )


async def test_a_lookup_that_failed_earlier_in_the_conversation_becomes_the_case(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    complaint = complaint_for(await api.get("TXN0007"))
    sandbox.set_faults(down=True)
    pending = (await service.look_up(complaint)).pending_ticket
    sandbox.heal()

    decision = (await service.look_up(complaint)).decision
    result = await service.conclude(complaint, decision)

    assert result.lookup_ticket == pending.number
    case = store.get(result.ticket_number)
    assert (case.former_number, case.kind, case.transaction_id) == (pending.number, "refund", "TXN0007")
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1
    assert store.pending_lookups() == []


async def test_a_failed_reversal_push_is_noted_never_raised(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    complaint = complaint_for(await api.get("TXN0005"))
    decision = (await service.look_up(complaint)).decision
    sandbox.set_faults(down=True)

    result = await service.conclude(complaint, decision)

    assert result.outcome == "refund_ticket"
    ticket = store.get(result.ticket_number)
    assert ticket.status == "open"
    assert any(n.startswith("reversal push for TXN0005 failed") and "by hand" in n for n in notes(ticket))


# --- what the case store cannot do is logged, and the rest still happens ---------------------------


def _unavailable_for(number: str, method: Callable[..., Ticket]) -> Callable[..., Ticket]:
    """The store's method, failing as a dropped database would for one ticket only."""

    def call(ticket_number: str, *args: Any, **kwargs: Any) -> Ticket:
        if ticket_number == number:
            raise CaseStoreUnavailable("the case store failed: OperationalError")
        return method(ticket_number, *args, **kwargs)

    return call


def _logged_failures(caplog: pytest.LogCaptureFixture, logger: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == logger
        and r.levelno == logging.ERROR
        and r.exc_info is not None
        and isinstance(r.exc_info[1], CaseStoreUnavailable)
    ]


async def test_a_ticket_the_store_cannot_complete_is_logged_and_the_round_goes_on(
    service: LookupService,
    api: MerchantAPI,
    sandbox: SandboxServer,
    store: CaseStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    t = await api.get("TXN0005")
    sandbox.set_faults(down=True)
    first = (await service.look_up(complaint_for(t))).pending_ticket
    second = (await service.look_up(complaint_for(t))).pending_ticket
    assert first is not None and second is not None
    sandbox.heal()
    monkeypatch.setattr(store, "complete_lookup", _unavailable_for(first.number, store.complete_lookup))

    with caplog.at_level(logging.ERROR, logger="bot.lookup.retry"):
        results = await service.retry_pending()

    [failure] = _logged_failures(caplog, "bot.lookup.retry")
    assert first.number in failure.getMessage() and "keeps waiting" in failure.getMessage()
    assert [r.lookup_ticket for r in results] == [second.number]
    assert store.get(first.number).status == "waiting_for_lookup"
    assert store.get(second.number, follow_merges=True).status == "open"


async def test_a_note_the_store_cannot_add_is_logged_and_the_case_stands(
    service: LookupService,
    api: MerchantAPI,
    sandbox: SandboxServer,
    store: CaseStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    complaint = complaint_for(await api.get("TXN0005"))
    decision = (await service.look_up(complaint)).decision
    assert decision is not None and decision.reason == "reversal_pending"
    sandbox.clear_requests()
    failing: list[str] = []

    def add_event(number: str, **kwargs: Any) -> Ticket:
        failing.append(number)
        raise CaseStoreUnavailable("the case store failed: OperationalError")

    monkeypatch.setattr(store, "add_event", add_event)

    with caplog.at_level(logging.ERROR, logger="bot.lookup.cases"):
        result = await service.conclude(complaint, decision)

    assert (result.outcome, result.reason) == ("refund_ticket", "reversal_pending")
    assert failing == [result.ticket_number]  # the note of the reversal push, and only it
    [failure] = _logged_failures(caplog, "bot.lookup.cases")
    assert result.ticket_number in failure.getMessage() and "reversal push requested" in failure.getMessage()
    assert posts(sandbox) == ["/v1/transactions/TXN0005/reversal-push"]
    ticket = store.get(result.ticket_number)
    assert (ticket.status, ticket.transaction_id) == ("open", "TXN0005")
    assert not any("reversal push requested" in n for n in notes(ticket))
