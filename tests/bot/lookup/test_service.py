"""The lookup service against the real sandbox over loopback and a real case store: what it decides
for every seed row, how it searches, and the complaints and cases it accepts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.case_store import CaseDatabase, CaseStore
from bot.lookup.complaint import CaseResult, Complaint
from bot.lookup.search import WIDENING
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable, china_date, expected_by, quote
from bot.merchant_api import MerchantAPI
from tests.bot.case_store.support import SHANGHAI, count
from tests.bot.lookup.support import (
    SQLITE_ONLY,
    active_tickets,
    complaint_for,
    make_service,
    notes,
    posts,
    today,
)
from tests.devtools.sandbox.server import SandboxServer

PAYLOAD_KEYS = {"type", "outcome", "ticket_id", "transaction_id", "expected_by"}
TICKET_KINDS = {"refund_ticket": "refund", "dispute_ticket": "dispute", "escalated": "escalation"}


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
