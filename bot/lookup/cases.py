"""Opening and concluding cases: the pending lookup that keeps a complaint, the case a decision calls
for, and setting the merchant side in motion once the case is made.

Every case is opened idempotently: a conclusion that runs twice (an action retried, twenty
conversations about one payment) ends in one case, and only the call that made it pushes the
reversal or asks for the refund.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from bot.case_store import CaseStore, CaseStoreError, PendingDraft, Ticket, TicketDraft
from bot.case_store.pending_lookups import CASE_KIND_FOR_OUTCOME
from bot.lookup import timelines
from bot.lookup.complaint import CaseResult, Complaint, extras_note, read_extras
from bot.lookup.decision import Decision
from bot.lookup.timelines import TimelineTable, china_date
from bot.merchant_api import MerchantAPI, MerchantAPIError, Transaction

logger = logging.getLogger(__name__)

BOT_ACTOR = "bot"


class CaseOpener:
    """Writes a complaint's pending lookup or case to the case store and acts on the case it made."""

    def __init__(
        self, api: MerchantAPI, store: CaseStore, table: TimelineTable, now: Callable[[], datetime]
    ) -> None:
        self.api = api
        self.store = store
        self.table = table
        self._now = now

    async def keep_pending(self, complaint: Complaint, error: MerchantAPIError) -> Ticket:
        """Keep a complaint the merchant API could not answer as this conversation's pending lookup."""
        draft = PendingDraft(
            **_facts(complaint),
            actor=BOT_ACTOR,
            note=f"merchant API could not answer ({error}); {extras_note(complaint)}",
        )
        ticket = await asyncio.to_thread(self.store.open_pending_lookup, draft)
        if read_extras(ticket) != (complaint.got_goods, complaint.fraud_suspected):
            # A resubmission updates the stored columns but not the first note: record the new answers.
            ticket = await asyncio.to_thread(
                self.store.add_event, ticket.number, actor=BOT_ACTOR, note=extras_note(complaint)
            )
        return ticket

    async def open(self, complaint: Complaint, decision: Decision) -> CaseResult:
        """Conclude without a pending lookup: a ticket when the outcome calls for one."""
        assert decision.outcome is not None
        quoted = self.quote(complaint, decision)
        kind = CASE_KIND_FOR_OUTCOME.get(decision.outcome)
        if kind is None:
            return CaseResult(decision.outcome, decision.reason, None, decision.transaction, quoted)
        transaction = decision.transaction
        call = _call_id()
        if transaction is None:
            # No transaction for the database to keep unique: reuse this conversation's own case for
            # the same complaint, so that an action that runs twice does not open two tickets.
            existing = await self._untracked_case(complaint, kind)
            if existing is not None:
                return CaseResult(
                    decision.outcome, decision.reason, existing.number, None, existing.expected_by
                )
        draft = TicketDraft(
            **_facts(complaint, transaction),
            kind=kind,
            outcome=decision.outcome,
            transaction_id=transaction.transaction_id if transaction is not None else None,
            expected_by=quoted,
            actor=BOT_ACTOR,
            note=_case_note(complaint, decision, call),
        )
        ticket = await asyncio.to_thread(self.store.open_ticket, draft)
        return await self._after_case(ticket, complaint, decision, quoted, call, lookup_ticket=None)

    async def complete(
        self, pending: Ticket, complaint: Complaint, decision: Decision, actor: str
    ) -> CaseResult:
        """Conclude a pending lookup: it becomes the case (or merges into the transaction's case)."""
        assert decision.outcome is not None
        quoted = self.quote(complaint, decision)
        transaction = decision.transaction
        call = _call_id()
        ticket = await asyncio.to_thread(
            self.store.complete_lookup,
            pending.number,
            outcome=decision.outcome,
            transaction_id=transaction.transaction_id if transaction is not None else None,
            expected_by=quoted,
            merchant_id=transaction.merchant_id if transaction is not None else None,
            merchant_name=transaction.merchant_name if transaction is not None else None,
            terminal_id=transaction.terminal_id if transaction is not None else None,
            card_last4=transaction.card_last4 if transaction is not None else None,
            actor=actor,
            note=_case_note(complaint, decision, call, completing=True),
        )
        lookup_ticket = pending.number
        if decision.outcome not in CASE_KIND_FOR_OUTCOME:
            return CaseResult(
                decision.outcome, decision.reason, None, transaction, quoted, lookup_ticket=lookup_ticket
            )
        return await self._after_case(ticket, complaint, decision, quoted, call, lookup_ticket=lookup_ticket)

    async def _after_case(
        self,
        ticket: Ticket,
        complaint: Complaint,
        decision: Decision,
        quoted: date | None,
        call: str,
        *,
        lookup_ticket: str | None,
    ) -> CaseResult:
        """Side effects for the call that made the case; the result for every caller."""
        assert decision.outcome is not None
        if _made_by(ticket, call):
            await self._set_merchant_in_motion(ticket, decision)
        else:
            logger.info(
                "conversation %s: %s already carries transaction %s",
                complaint.conversation_id,
                ticket.number,
                ticket.transaction_id,
            )
            if ticket.outcome != decision.outcome:
                # Another conversation concluded differently (say, this customer suspects fraud): the
                # agent on the case must see it.
                await self._note(
                    ticket,
                    f"conversation {complaint.conversation_id} concluded {decision.outcome} "
                    f"({decision.reason}) for the same transaction",
                )
            else:
                # Tell every customer the date the case already carries.
                quoted = ticket.expected_by
        return CaseResult(
            decision.outcome, decision.reason, ticket.number, decision.transaction, quoted, lookup_ticket
        )

    async def _set_merchant_in_motion(self, ticket: Ticket, decision: Decision) -> None:
        """Push a pending reversal or request the duplicate's refund; failures go on the ticket, never up."""
        transaction = decision.transaction
        if decision.outcome != "refund_ticket" or transaction is None:
            return
        if decision.reason == "reversal_pending":
            try:
                push = await self.api.push_reversal(transaction.transaction_id)
            except MerchantAPIError as exc:
                logger.warning(
                    "%s: reversal push for %s failed: %s", ticket.number, transaction.transaction_id, exc
                )
                await self._note(
                    ticket,
                    f"reversal push for {transaction.transaction_id} failed ({exc}); to do by hand: "
                    f"any online transaction on terminal {transaction.terminal_id} pushes it out",
                )
                return
            await self._note(ticket, f"reversal push requested from the merchant side: {push.request_id}")
        elif decision.reason == "duplicate":
            first = decision.duplicate_of
            reason = f"duplicate debit of {first.transaction_id}" if first is not None else "duplicate debit"
            try:
                refund = await self.api.request_refund(transaction.transaction_id, transaction.amount, reason)
            except MerchantAPIError as exc:
                logger.warning("%s: refund of %s failed: %s", ticket.number, transaction.transaction_id, exc)
                await self._note(
                    ticket,
                    f"refund request for duplicate {transaction.transaction_id} failed ({exc}); "
                    "to do by hand",
                )
                return
            await self._note(
                ticket,
                f"refund of {transaction.amount:.2f} for duplicate {transaction.transaction_id} "
                f"requested: {refund.refund_id}",
            )

    async def _note(self, ticket: Ticket, note: str) -> None:
        """Add a note to a ticket; a failure is logged, never raised (the case itself is already open)."""
        try:
            await asyncio.to_thread(self.store.add_event, ticket.number, actor=BOT_ACTOR, note=note)
        except CaseStoreError:  # the customer's case stands; losing a note must not fail the conversation
            logger.exception("%s: could not add the note %r", ticket.number, note)

    def quote(self, complaint: Complaint, decision: Decision) -> date | None:
        """The date the case result gives for a concluding decision (None when it gives none)."""
        assert decision.outcome is not None
        return timelines.quote(
            decision.outcome,
            decision.reason,
            decision.transaction,
            self.table,
            today=china_date(self._now()),
            claimed_day=china_date(complaint.window_start),
        )

    async def waiting_ticket(self, complaint: Complaint) -> Ticket | None:
        """This conversation's pending lookup of the same complaint, if one waits."""
        tickets = await asyncio.to_thread(self.store.find_by_conversation, complaint.conversation_id)
        return next((t for t in tickets if t.status == "waiting_for_lookup" and _same(t, complaint)), None)

    async def _untracked_case(self, complaint: Complaint, kind: str) -> Ticket | None:
        """This conversation's active case of that kind, without a transaction, for the same complaint."""
        tickets = await asyncio.to_thread(self.store.find_by_conversation, complaint.conversation_id)
        return next(
            (
                t
                for t in tickets
                if t.kind == kind and t.transaction_id is None and t.is_active and _same(t, complaint)
            ),
            None,
        )


def _facts(complaint: Complaint, transaction: Transaction | None = None) -> dict[str, Any]:
    """The case store's facts of a complaint; gaps filled from the transaction, never overwritten."""

    def pick(said: str | None, found: str | None) -> str | None:
        return said if said is not None else found

    t = transaction
    return {
        "conversation_id": complaint.conversation_id,
        "language": complaint.language,
        "amount": complaint.amount,
        "window_start": complaint.window_start,
        "window_end": complaint.window_end,
        "terminal_id": pick(complaint.terminal_id, t.terminal_id if t else None),
        "merchant_id": t.merchant_id if t else None,
        "merchant_name": pick(complaint.merchant_name, t.merchant_name if t else None),
        "card_last4": pick(complaint.card_last4, t.card_last4 if t else None),
        "rrn": pick(complaint.rrn, t.rrn if t else None),
        "voucher_no": pick(complaint.voucher_no, t.voucher_no if t else None),
    }


def _same(ticket: Ticket, complaint: Complaint) -> bool:
    """Whether a ticket of the conversation is about this complaint (a conversation may bring two)."""
    if ticket.amount != complaint.amount:
        return False
    if complaint.terminal_id and (ticket.terminal_id or "").upper() != complaint.terminal_id.upper():
        return False
    if ticket.window_start is None or ticket.window_end is None:
        return True
    return ticket.window_start <= complaint.window_end and complaint.window_start <= ticket.window_end


def _call_id() -> str:
    return uuid.uuid4().hex[:12]


def _case_note(complaint: Complaint, decision: Decision, call: str, *, completing: bool = False) -> str:
    """The history line of the event that opens a case; its call id tells this call it made the case."""
    what = "lookup done" if completing else "bot concluded"
    note = f"{what}: {decision.outcome} ({decision.reason}) in conversation {complaint.conversation_id}"
    if decision.duplicate_of is not None:
        note += f"; first debit {decision.duplicate_of.transaction_id}"
    if decision.candidates:
        note += f"; candidates {', '.join(t.transaction_id for t in decision.candidates)}"
    if complaint.fraud_suspected or complaint.got_goods is not None:
        note += f"; {extras_note(complaint)}"
    return f"{note} [call {call}]"


def _made_by(ticket: Ticket, call: str) -> bool:
    """Whether the case's opening (or conversion) event is this call's: only that call acts on it."""
    marker = f"[call {call}]"
    return any(event.to_status is not None and marker in (event.note or "") for event in ticket.history)
