"""The lookup service against the real sandbox over loopback and a real case store (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.case_store import CaseDatabase, CaseStore, Ticket
from bot.lookup.complaint import CaseResult, Complaint
from bot.lookup.decision import Decision
from bot.lookup.search import WIDENING
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable, china_date, expected_by, load_table, quote
from bot.merchant_api import MerchantAPI, Transaction
from tests.bot.case_store import conftest as case_store_fixtures
from tests.bot.case_store.support import SHANGHAI, count
from tests.devtools.sandbox.server import SandboxServer

# The case store's fixtures: a migrated database per test, on SQLite and on PostgreSQL (skipped, with
# the reason, when no server answers).
backend = case_store_fixtures.backend
migrated_url = case_store_fixtures.migrated_url
sqlite_template = case_store_fixtures.sqlite_template
pg_admin = case_store_fixtures.pg_admin
pg_database = case_store_fixtures.pg_database
pg_template = case_store_fixtures.pg_template

# Tests of what the lookup decides and asks for run on SQLite only; those of what the store must keep
# (pending lookups, retries, races, one ticket per complaint) run on both databases.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])

CALLERS = 20
PAYLOAD_KEYS = {"type", "outcome", "ticket_id", "transaction_id", "expected_by"}
TICKET_KINDS = {"refund_ticket": "refund", "dispute_ticket": "dispute", "escalated": "escalation"}


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(workdir=tmp_path_factory.mktemp("lookup-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox, healthy and with an empty request log; healed again afterwards."""
    sandbox_server.heal()
    sandbox_server.clear_requests()
    yield sandbox_server
    sandbox_server.heal()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox of its own, for tests that change its state (a refund can be asked for only once)."""
    server = SandboxServer(workdir=tmp_path / "sandbox").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def table() -> TimelineTable:
    return load_table()


@pytest.fixture
def store(migrated_url: str) -> Iterator[CaseStore]:
    case_store = CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI)
    yield case_store
    case_store.database.close()


def make_service(
    server: SandboxServer, store: CaseStore, table: TimelineTable, **options: Any
) -> LookupService:
    """A service of the sandbox with quick retries, so that 'down' is noticed in well under a second."""
    api = MerchantAPI(server.base_url, server.api_key, retries=1, backoff=0.01)
    return LookupService(api, store, table, **options)


@pytest_asyncio.fixture(loop_scope="function")
async def service(
    sandbox: SandboxServer, store: CaseStore, table: TimelineTable
) -> AsyncIterator[LookupService]:
    lookup = make_service(sandbox, store, table)
    yield lookup
    await lookup.api.aclose()


@pytest_asyncio.fixture(loop_scope="function")
async def api(sandbox: SandboxServer) -> AsyncIterator[MerchantAPI]:
    """A plain client, to read the sandbox's (time-shifted) transactions."""
    async with MerchantAPI(sandbox.base_url, sandbox.api_key) as client:
        yield client


# --- helpers --------------------------------------------------------------------------------------


def complaint_for(t: Transaction, **changes: Any) -> Complaint:
    """What a customer would say about t: its terminal and amount, a 10-minute window around its time."""
    values: dict[str, Any] = {
        "conversation_id": f"conv-{uuid.uuid4().hex[:8]}",
        "language": "zh",
        "window_start": t.created_at - timedelta(minutes=5),
        "window_end": t.created_at + timedelta(minutes=5),
        "amount": t.amount,
        "terminal_id": t.terminal_id,
        "merchant_name": None,
    }
    values.update(changes)
    return Complaint(**values)


def posts(server: SandboxServer) -> list[str]:
    """The paths of the POST requests the sandbox received since its log was cleared."""
    return [r["path"] for r in server.requests() if r["method"] == "POST"]


def notes(ticket: Ticket) -> list[str]:
    return [event.note or "" for event in ticket.history]


def today() -> date:
    return china_date(datetime.now(SHANGHAI))


def active_tickets(store: CaseStore, transaction_id: str) -> int:
    return count(
        store,
        "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx AND status IN ('open', 'in_progress')",
        tx=transaction_id,
    )


def check_payload(result: CaseResult) -> dict[str, Any]:
    """The payload has exactly the contract's keys and formats, and survives JSON."""
    payload = result.payload()
    assert set(payload) == PAYLOAD_KEYS
    assert payload["type"] == "case_result"
    assert payload["outcome"] == result.outcome
    for key in ("ticket_id", "transaction_id"):
        assert payload[key] is None or isinstance(payload[key], str)
    assert payload["expected_by"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", payload["expected_by"])
    assert json.loads(json.dumps(payload)) == payload
    return payload


# --- every outcome from the seed rows -------------------------------------------------------------

# id, what the customer adds, outcome, reason, where the quoted window starts (None: no quote)
SEED_CASES = [
    ("TXN0001", {}, "no_charge", "declined", "transaction"),
    ("TXN0021", {}, "no_charge", "declined", "transaction"),  # 91, nothing settled
    ("TXN0004", {}, "reversal_in_progress", "reversal_completed", "transaction"),
    ("TXN0023", {}, "reversal_in_progress", "reversal_completed", "transaction"),  # A0
    ("TXN0027", {}, "reversal_in_progress", "refunded", "transaction"),
    ("TXN0005", {}, "refund_ticket", "reversal_pending", "today"),
    ("TXN0029", {}, "refund_ticket", "reversal_pending", "today"),  # Mastercard credit
    ("TXN0006", {}, "refund_ticket", "reversal_failed", "today"),
    ("TXN0007", {}, "refund_ticket", "no_reversal", "today"),
    ("TXN0012", {}, "charge_succeeded", "completed", None),
    ("TXN0025", {}, "charge_succeeded", "completed", None),  # its 94 echo is no second purchase
    ("TXN0012", {"got_goods": False}, "dispute_ticket", "completed_not_received", "transaction"),
    ("TXN0015", {}, "escalated", "over_limit", None),
    ("TXN0016", {}, "escalated", "over_limit", None),
    ("TXN0012", {"fraud_suspected": True}, "escalated", "fraud", None),
]


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("transaction_id", "extra", "outcome", "reason", "window_start"),
    SEED_CASES,
    ids=[f"{case[0]}-{case[2]}-{case[3]}" for case in SEED_CASES],
)
async def test_every_outcome_from_the_seed_rows(
    service: LookupService,
    api: MerchantAPI,
    sandbox: SandboxServer,
    store: CaseStore,
    table: TimelineTable,
    transaction_id: str,
    extra: dict[str, Any],
    outcome: str,
    reason: str,
    window_start: str | None,
) -> None:
    t = await api.get(transaction_id)
    complaint = complaint_for(t, **extra)

    looked = await service.look_up(complaint)
    assert looked.pending_ticket is None
    decision = looked.decision
    assert decision is not None
    assert (decision.kind, decision.outcome, decision.reason) == ("outcome", outcome, reason)
    assert decision.transaction is not None and decision.transaction.transaction_id == transaction_id

    result = await service.conclude(complaint, decision)
    payload = check_payload(result)
    assert (result.outcome, result.reason, payload["transaction_id"]) == (outcome, reason, transaction_id)

    quoted = quote(outcome, reason, t, table, today=today())
    assert result.expected_by == quoted
    assert (quoted is None) == (outcome in ("charge_succeeded", "escalated"))
    if window_start == "today":
        # The merchant side acts on a refund ticket from the day it is opened, not from the payment.
        assert quoted == expected_by(outcome, reason, t, today(), table)

    if outcome in TICKET_KINDS:
        assert result.ticket_number is not None
        ticket = store.get(result.ticket_number)
        assert ticket is not None
        assert (ticket.kind, ticket.status, ticket.outcome) == (TICKET_KINDS[outcome], "open", outcome)
        assert (ticket.transaction_id, ticket.expected_by) == (transaction_id, quoted)
        # The customer's facts, gaps filled from the transaction they confirmed.
        assert (ticket.amount, ticket.terminal_id, ticket.card_last4) == (
            t.amount,
            t.terminal_id,
            t.card_last4,
        )
        assert (ticket.merchant_id, ticket.merchant_name, ticket.rrn) == (
            t.merchant_id,
            t.merchant_name,
            t.rrn,
        )
        assert ticket.conversation_id == complaint.conversation_id
        assert active_tickets(store, transaction_id) == 1
    else:
        assert result.ticket_number is None and payload["ticket_id"] is None
        assert count(store, "SELECT COUNT(*) FROM tickets") == 0

    # Only a pending reversal below the limit is pushed; nothing else asks the merchant side for anything.
    pushed = reason == "reversal_pending" and outcome == "refund_ticket"
    assert posts(sandbox) == ([f"/v1/transactions/{transaction_id}/reversal-push"] if pushed else [])
    if pushed:
        assert any(n.startswith("reversal push requested") for n in notes(store.get(result.ticket_number)))


@SQLITE_ONLY
async def test_a_shop_name_stands_in_for_the_terminal(service: LookupService, api: MerchantAPI) -> None:
    t = await api.get("TXN0005")
    looked = await service.look_up(complaint_for(t, terminal_id=None, merchant_name="全家便利店(徐汇店)"))
    assert looked.decision is not None and looked.decision.reason == "reversal_pending"
    assert looked.decision.transaction == t


@SQLITE_ONLY
@pytest.mark.parametrize("said", ["那家全家", "the FamilyMart in Xuhui", "quanjia", None])
async def test_a_shop_as_customers_name_it_or_no_shop_at_all_still_finds_the_payment(
    service: LookupService, api: MerchantAPI, said: str | None
) -> None:
    t = await api.get("TXN0005")
    looked = await service.look_up(
        complaint_for(t, terminal_id=None, merchant_name=said, card_last4=t.card_last4)
    )
    assert looked.decision is not None and looked.decision.transaction == t


@SQLITE_ONLY
async def test_a_time_a_few_hours_off_still_finds_the_payment(
    service: LookupService, api: MerchantAPI
) -> None:
    t = await api.get("TXN0005")
    off = t.created_at + timedelta(hours=3)
    looked = await service.look_up(complaint_for(t, window_start=off, window_end=off + timedelta(minutes=10)))
    assert looked.decision is not None and looked.decision.transaction == t


@SQLITE_ONLY
async def test_the_search_uses_the_window_with_its_margin_and_any_amount(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer
) -> None:
    t = await api.get("TXN0005")
    complaint = complaint_for(t, card_last4="3821", rrn="831212129288", voucher_no="081394")
    sandbox.clear_requests()
    await service.look_up(complaint)
    [search] = [r for r in sandbox.requests() if r["path"] == "/v1/transactions"]
    query = {name: values[0] for name, values in search["query"].items()}
    # One search covers the widest window the lookup may try (the margin, then WIDENING).
    assert (
        datetime.fromisoformat(query.pop("start"))
        == complaint.window_start - timedelta(minutes=10) - WIDENING[-1]
    )
    assert (
        datetime.fromisoformat(query.pop("end"))
        == complaint.window_end + timedelta(minutes=10) + WIDENING[-1]
    )
    assert query == {
        "terminal_id": "10293847",
        "card_last4": "3821",
        "rrn": "831212129288",
        "voucher_no": "081394",
    }


@SQLITE_ONLY
async def test_a_double_debit_refunds_the_later_one(
    fresh_sandbox: SandboxServer, store: CaseStore, table: TimelineTable
) -> None:
    service = make_service(fresh_sandbox, store, table)
    async with service.api:
        first, second = await service.api.get("TXN0010"), await service.api.get("TXN0011")
        complaint = complaint_for(first)
        decision = (await service.look_up(complaint)).decision
        assert decision is not None and (decision.outcome, decision.reason) == ("refund_ticket", "duplicate")
        assert (decision.transaction, decision.duplicate_of) == (second, first)

        result = await service.conclude(complaint, decision)

    check_payload(result)
    assert result.payload()["transaction_id"] == "TXN0011"
    assert result.expected_by == expected_by("refund_ticket", "duplicate", second, today(), table)
    ticket = store.get(result.ticket_number)
    assert (ticket.kind, ticket.transaction_id) == ("refund", "TXN0011")
    assert any(re.match(r"refund of 45\.50 for duplicate TXN0011 requested: RFD", n) for n in notes(ticket))
    assert posts(fresh_sandbox) == ["/v1/transactions/TXN0011/refunds"]


async def test_nothing_found_asks_for_a_sharper_key_then_opens_a_dispute(
    service: LookupService, api: MerchantAPI, store: CaseStore, table: TimelineTable
) -> None:
    t = await api.get("TXN0005")
    # Five days earlier (beyond every widening of the window) the terminal took nothing at all.
    earlier = complaint_for(
        t, window_start=t.created_at - timedelta(days=5), window_end=t.created_at - timedelta(days=5)
    )

    first = (await service.look_up(earlier)).decision
    assert first is not None and (first.kind, first.reason) == ("ask_sharper_key", "not_found")
    with pytest.raises(ValueError, match="concluding decision"):
        await service.conclude(earlier, first)

    sharper = replace(earlier, rrn="999999999999")
    second = (await service.look_up(sharper)).decision
    assert second is not None
    assert (second.kind, second.outcome, second.reason, second.transaction) == (
        "outcome",
        "dispute_ticket",
        "not_found",
        None,
    )
    result = await service.conclude(sharper, second)
    assert check_payload(result)["transaction_id"] is None
    # The date quoted is our team's first answer, counted from the day the ticket is opened.
    assert result.expected_by == expected_by(
        "dispute_ticket", "not_found", None, china_date(datetime.now(timezone.utc)), table
    )
    ticket = store.get(result.ticket_number)
    assert (ticket.kind, ticket.transaction_id, ticket.rrn) == ("dispute", None, "999999999999")

    # The action running twice does not open a second ticket, though no transaction keeps it unique.
    again = await service.conclude(sharper, second)
    assert again.ticket_number == result.ticket_number
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1


@SQLITE_ONLY
async def test_another_amount_asks_then_disputes_the_record_the_card_finds(
    service: LookupService, api: MerchantAPI
) -> None:
    t = await api.get("TXN0005")
    wrong = complaint_for(t, amount=Decimal("99.00"))
    first = (await service.look_up(wrong)).decision
    assert first is not None and (first.kind, first.reason) == ("ask_sharper_key", "amount_differs")

    second = (await service.look_up(replace(wrong, card_last4="3821"))).decision
    assert second is not None
    assert (second.outcome, second.reason, second.transaction) == ("dispute_ticket", "amount_differs", t)


@SQLITE_ONLY
async def test_four_candidates_then_the_last_four_digits_pick_one(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer
) -> None:
    t = await api.get("TXN0018")
    complaint = complaint_for(t)
    decision = (await service.look_up(complaint)).decision
    assert decision is not None and (decision.kind, decision.reason) == ("choose", "several_matches")
    assert [c.transaction_id for c in decision.candidates] == ["TXN0017", "TXN0018", "TXN0019", "TXN0020"]

    narrowed = replace(complaint, card_last4="9035")
    decision = (await service.look_up(narrowed)).decision
    assert decision is not None
    assert (decision.outcome, decision.reason, decision.transaction) == (
        "refund_ticket",
        "reversal_pending",
        t,
    )
    result = await service.conclude(narrowed, decision)
    assert result.payload()["transaction_id"] == "TXN0018"
    assert posts(sandbox) == ["/v1/transactions/TXN0018/reversal-push"]


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


# --- configuration and input ----------------------------------------------------------------------


@SQLITE_ONLY
async def test_configured_from_the_environment(
    sandbox: SandboxServer, migrated_url: str, api: MerchantAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MERCHANT_API_URL", sandbox.base_url)
    monkeypatch.setenv("MERCHANT_API_KEY", sandbox.api_key)
    monkeypatch.setenv("CASE_STORE_URL", migrated_url)
    monkeypatch.setenv("TIMELINES_FILE", str(Path(__file__).resolve().parents[3] / "timelines.yml"))
    with CaseDatabase() as database:
        async with LookupService.configured(database) as service:
            assert service.store.database.url == migrated_url
            looked = await service.look_up(complaint_for(await api.get("TXN0004")))
    assert looked.decision is not None and looked.decision.outcome == "reversal_in_progress"


@SQLITE_ONLY
async def test_a_window_too_wide_to_search_is_refused_before_any_call(
    service: LookupService, api: MerchantAPI, sandbox: SandboxServer, store: CaseStore
) -> None:
    t = await api.get("TXN0005")
    sandbox.clear_requests()
    wide = complaint_for(t, window_start=t.created_at - timedelta(days=31))
    with pytest.raises(ValueError, match="31 days"):
        await service.look_up(wide)
    assert sandbox.requests() == []
    assert count(store, "SELECT COUNT(*) FROM tickets") == 0


@pytest.mark.parametrize(
    "change",
    [
        {"window_start": datetime(2026, 11, 24, 15, 0)},
        {"window_end": datetime(2026, 11, 24, 14, 0, tzinfo=SHANGHAI)},
        {"amount": Decimal("12.345")},
        {"amount": Decimal("0")},
        {"card_last4": "12345"},
        {"voucher_no": "12ab56"},
        {"language": "fr"},
        {"conversation_id": ""},
    ],
)
def test_a_complaint_refuses_what_could_not_be_searched_or_kept(change: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "conversation_id": "conv-1",
        "language": "zh",
        "window_start": datetime(2026, 11, 24, 15, 0, tzinfo=SHANGHAI),
        "window_end": datetime(2026, 11, 24, 15, 30, tzinfo=SHANGHAI),
        "amount": Decimal("128.50"),
        "terminal_id": "10293847",
        "merchant_name": None,
    }
    Complaint(**values)
    with pytest.raises(ValueError):
        Complaint(**{**values, **change})


def test_the_payload_of_a_case_without_ticket_or_date() -> None:
    result = CaseResult("charge_succeeded", "completed", None, None, None)
    assert result.payload() == {
        "type": "case_result",
        "outcome": "charge_succeeded",
        "ticket_id": None,
        "transaction_id": None,
        "expected_by": None,
    }
