"""The lookup of a complaint: search the merchant API, decide, open the case and quote the date.

No Rasa here: the actions call `LookupService.look_up` once the customer has confirmed time, amount
and terminal (or shop), and `LookupService.conclude` once they have confirmed what was found. When the
merchant API cannot answer, the complaint is kept as a ticket waiting for lookup, and the retry job
(`python -m bot.lookup.retry_job`) finishes it with `LookupService.retry_pending`.

A service owns one `MerchantAPI` client, whose connections belong to the event loop that first used
them: create one service per process (per event loop), at start-up, never at import.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import TracebackType
from typing import Any

from bot import config
from bot.case_store import CaseDatabase, CaseStore, PendingDraft, Ticket, TicketDraft
from bot.case_store.store import CASE_KIND_FOR_OUTCOME
from bot.lookup.decision import Claim, Decision, DecisionLimits, amount_fits, decide, overdue
from bot.lookup.outcomes import Outcome
from bot.lookup.timelines import TimelineTable, china_date, load_table, quote
from bot.merchant_api import MerchantAPI, MerchantAPIError, MerchantAPIUnavailable, SearchQuery, Transaction
from bot.parsing.shop_names import could_be_shop

logger = logging.getLogger(__name__)

DEFAULT_SEARCH_MARGIN = timedelta(minutes=10)
# The merchant API searches at most this span at once (openapi.yaml), margins included.
MAX_SEARCH_WINDOW = timedelta(days=31)
# People misremember times: when nothing at the amount fits the window they gave (with its margin),
# the lookup tries these wider margins in turn, nearest first. One search covers the widest.
WIDENING = (timedelta(hours=2), timedelta(hours=12), timedelta(days=2))
# The customer is waiting: past this many seconds the bot says the merchant side is slow and keeps the
# complaint for the retry job, instead of sitting through every retry of the client.
DEFAULT_LOOKUP_TIMEOUT = 10.0

BOT_ACTOR = "bot"
RETRY_ACTOR = "lookup-retry"

_LAST4 = re.compile(r"[0-9]{4}")
_VOUCHER = re.compile(r"[0-9]{6}")
# The case store has no columns for these two answers, so a pending lookup keeps them in a note of its
# history, written and read only here.
_EXTRAS_NOTE = "customer said: got the goods: {goods}; fraud suspected: {fraud}"
_EXTRAS = re.compile(r"customer said: got the goods: (yes|no|unknown); fraud suspected: (yes|no)")


@dataclass(frozen=True)
class Complaint:
    """What a conversation collected and the customer confirmed."""

    conversation_id: str
    language: str  # "zh" | "en"
    window_start: datetime  # aware
    window_end: datetime
    amount: Decimal
    terminal_id: str | None
    merchant_name: str | None
    card_last4: str | None = None
    rrn: str | None = None
    voucher_no: str | None = None
    got_goods: bool | None = None
    fraud_suspected: bool = False
    two_debits_seen: bool = False

    def __post_init__(self) -> None:
        # Refuse here what the merchant API or the case store would refuse later, when the customer's
        # facts could no longer be kept.
        if not self.conversation_id:
            raise ValueError("conversation_id is required")
        if self.language not in ("zh", "en"):
            raise ValueError(f"language must be zh or en, not {self.language!r}")
        for name in ("window_start", "window_end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValueError(f"{name} must be a timezone-aware datetime")
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        if (
            not isinstance(self.amount, Decimal)
            or not self.amount.is_finite()
            or self.amount <= 0
            or int(self.amount.as_tuple().exponent) < -2
        ):
            raise ValueError("amount must be a positive Decimal in yuan with at most 2 decimals")
        if self.card_last4 is not None and not _LAST4.fullmatch(self.card_last4):
            raise ValueError("card_last4 takes exactly the last 4 digits of the card")
        if self.voucher_no is not None and not _VOUCHER.fullmatch(self.voucher_no):
            raise ValueError("voucher_no must be 6 digits")
        if self.rrn is not None and not (0 < len(self.rrn) <= 12):
            raise ValueError("rrn has 1 to 12 characters")

    @property
    def sharper_key_given(self) -> bool:
        """The customer gave the last 4 digits, the RRN or the 凭证号."""
        return any((self.card_last4, self.rrn, self.voucher_no))

    def claim(self) -> Claim:
        """The complaint as the decision policy reads it."""
        return Claim(
            start=self.window_start,
            end=self.window_end,
            amount=self.amount,
            terminal_id=self.terminal_id,
            merchant_name=self.merchant_name,
            sharper_key_given=self.sharper_key_given,
            fraud_suspected=self.fraud_suspected,
            got_goods=self.got_goods,
            two_debits_seen=self.two_debits_seen,
        )

    @classmethod
    def from_ticket(cls, ticket: Ticket) -> Complaint:
        """The complaint a pending lookup ticket keeps (the retry job's input)."""
        if ticket.amount is None or ticket.window_start is None or ticket.window_end is None:
            raise ValueError(f"{ticket.number} lacks the amount or the time window")
        got_goods, fraud_suspected = _read_extras(ticket)
        return cls(
            conversation_id=ticket.conversation_id,
            language=ticket.language,
            window_start=ticket.window_start,
            window_end=ticket.window_end,
            amount=ticket.amount,
            terminal_id=ticket.terminal_id,
            merchant_name=ticket.merchant_name,
            card_last4=ticket.card_last4,
            rrn=ticket.rrn,
            voucher_no=ticket.voucher_no,
            got_goods=got_goods,
            fraud_suspected=fraud_suspected,
        )


@dataclass(frozen=True)
class CaseResult:
    """What the bot tells the customer at the end of a case."""

    outcome: Outcome
    reason: str  # the decision's machine key, e.g. "reversal_pending"
    ticket_number: str | None  # the open case (RF/DP/ES) that carries it; None when no case is needed
    transaction: Transaction | None
    expected_by: date | None
    # The pending lookup (LK) this result concluded, if any; not part of the payload, for logs and tests.
    lookup_ticket: str | None = None

    def payload(self) -> dict[str, Any]:
        """The `case_result` custom payload of the contract (design.md, contract 3)."""
        return {
            "type": "case_result",
            "outcome": self.outcome,
            "ticket_id": self.ticket_number,
            "transaction_id": self.transaction.transaction_id if self.transaction is not None else None,
            "expected_by": self.expected_by.isoformat() if self.expected_by is not None else None,
        }


@dataclass(frozen=True)
class LookupResult:
    """What the lookup found: a decision, or the ticket that keeps the complaint until the API answers."""

    decision: Decision | None  # None when the merchant API could not answer
    pending_ticket: Ticket | None  # the LK ticket opened then (facts kept)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LookupService:
    """Looks complaints up through the merchant API and turns decisions into cases."""

    def __init__(
        self,
        api: MerchantAPI,
        store: CaseStore,
        table: TimelineTable,
        *,
        clock: Callable[[], datetime] = _utc_now,
        search_margin: timedelta = DEFAULT_SEARCH_MARGIN,
        lookup_timeout: float = DEFAULT_LOOKUP_TIMEOUT,
    ) -> None:
        if search_margin < timedelta(0):
            raise ValueError("search_margin must not be negative")
        if lookup_timeout <= 0:
            raise ValueError("lookup_timeout must be positive")
        self.api = api
        self.store = store
        self.table = table
        self.limits = DecisionLimits.from_table(table)
        self._clock = clock
        self._margin = search_margin
        self._timeout = lookup_timeout

    @classmethod
    def configured(cls, database: CaseDatabase) -> LookupService:
        """A service on the merchant API at MERCHANT_API_URL (MERCHANT_API_KEY), quoting from
        TIMELINES_FILE, keeping cases in the process's case database."""
        table = load_table(config.path("TIMELINES_FILE"))
        api = MerchantAPI(config.text("MERCHANT_API_URL"), config.text("MERCHANT_API_KEY"))
        return cls(api, CaseStore(database), table)

    async def aclose(self) -> None:
        """Close the merchant API client (the case database is its owner's to close)."""
        await self.api.aclose()

    async def __aenter__(self) -> LookupService:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- the conversation's two steps -------------------------------------------------------------

    async def look_up(self, complaint: Complaint) -> LookupResult:
        """Search and decide; when the merchant API cannot answer, keep the complaint as a pending ticket."""
        self.query(complaint)  # a window too wide to search is the caller's to narrow: ValueError now
        try:
            return LookupResult(await self._search_and_decide(complaint), None)
        except MerchantAPIError as exc:
            # Any failure, not only unavailability: a rejected or garbled answer must not drop the
            # customer's facts either, and a human can see the ticket's failed attempts.
            log = logger.warning if isinstance(exc, MerchantAPIUnavailable) else logger.error
            log("lookup for conversation %s failed: %s", complaint.conversation_id, exc)
            ticket = await self._keep_pending(complaint, exc)
            return LookupResult(None, ticket)

    async def conclude(self, complaint: Complaint, decision: Decision) -> CaseResult:
        """Open the case the confirmed decision calls for, set the merchant side in motion, quote the date."""
        if decision.kind != "outcome" or decision.outcome is None:
            raise ValueError(f"conclude needs a concluding decision, not {decision.kind!r}")
        pending = await self._waiting_ticket(complaint)
        if pending is not None:
            # The lookup failed earlier in this conversation: the LK number the customer holds becomes
            # the case, instead of a second ticket for one complaint.
            return await self._complete(pending, complaint, decision, BOT_ACTOR)
        return await self._open(complaint, decision)

    # --- the retry job ----------------------------------------------------------------------------

    async def retry_pending(self, *, limit: int = 100) -> list[CaseResult]:
        """Look the waiting complaints up again; returns the results of those it could conclude."""
        tickets = await asyncio.to_thread(self.store.pending_lookups, limit=limit)
        results: list[CaseResult] = []
        for ticket in tickets:
            try:
                complaint = Complaint.from_ticket(ticket)
                decision = await self._search_and_decide(complaint)
            except MerchantAPIError as exc:
                await asyncio.to_thread(self.store.record_lookup_failure, ticket.number, str(exc))
                if isinstance(exc, MerchantAPIUnavailable):
                    # The others would fail the same way, each after the client's retries; they wait
                    # for the next round untouched.
                    logger.warning(
                        "merchant API still unavailable (%s); %s keeps waiting", exc, ticket.number
                    )
                    break
                logger.error("lookup of %s failed: %s; it keeps waiting", ticket.number, exc)
                continue
            except ValueError as exc:
                # A ticket whose facts cannot be searched (written by hand, or by an older version).
                logger.error("pending lookup %s cannot be retried: %s", ticket.number, exc)
                await asyncio.to_thread(self.store.record_lookup_failure, ticket.number, str(exc))
                continue
            try:
                result = await self._complete(
                    ticket, complaint, self._for_a_human(complaint, decision), RETRY_ACTOR
                )
            except Exception:  # one ticket the store cannot complete must not hold up the others
                logger.exception("could not complete the lookup of %s; it keeps waiting", ticket.number)
                continue
            results.append(result)
        return results

    def _for_a_human(self, complaint: Complaint, decision: Decision) -> Decision:
        """A concluding decision for the retry job, which cannot ask the customer anything."""
        if decision.kind == "choose":
            # Several payments fit and nobody is there to pick one: a human sorts it out with the
            # customer; the candidates are listed on the ticket.
            return Decision("outcome", "escalated", None, None, decision.candidates, "several_matches")
        if decision.kind == "ask_sharper_key":
            # No sharper key can be asked for now, so this is the "still nothing" row of the policy: a
            # dispute ticket without a transaction (an agent asks for RRN / 凭证号), or a human above the
            # bot's limit.
            if complaint.amount > self.limits.max_auto_amount:
                return Decision("outcome", "escalated", None, None, (), "over_limit")
            return Decision("outcome", "dispute_ticket", None, None, (), decision.reason)
        return decision

    # --- searching ----------------------------------------------------------------------------------

    def query(self, complaint: Complaint) -> SearchQuery:
        """The search for a complaint: the terminal over the widest window the lookup tries, any amount.

        Any amount, because the decision tells "nothing there" from "only other amounts there". Without
        a terminal the search takes every shop in the window and `_narrowed` keeps the ones the
        customer's words can name: customers say "那家罗森" or "Lawson near Xujiahui", which no
        substring search finds.
        """
        start, end = complaint.window_start - self._margin, complaint.window_end + self._margin
        if end - start > MAX_SEARCH_WINDOW:
            # The API would refuse it on every retry: the conversation must narrow the time first.
            raise ValueError(
                f"the time window with its margins spans more than {MAX_SEARCH_WINDOW.days} days"
            )
        widest = WIDENING[-1]
        if (end + widest) - (start - widest) <= MAX_SEARCH_WINDOW:
            start, end = start - widest, end + widest
        return SearchQuery(
            start=start,
            end=end,
            terminal_id=complaint.terminal_id.upper() if complaint.terminal_id else None,
            merchant_name=None,
            card_last4=complaint.card_last4,
            rrn=complaint.rrn.upper() if complaint.rrn else None,
            voucher_no=complaint.voucher_no,
        )

    async def _search_and_decide(self, complaint: Complaint) -> Decision:
        try:
            found = await asyncio.wait_for(self.api.search(self.query(complaint)), self._timeout)
        except asyncio.TimeoutError:
            raise MerchantAPIUnavailable(f"no answer within {self._timeout:g}s") from None
        now = self._now()
        decision = decide_widening(_narrowed(found, complaint), complaint, self._margin, self.limits, now)
        return self._overdue_checked(complaint, decision)

    def _overdue_checked(self, complaint: Complaint, decision: Decision) -> Decision:
        """A date the bot would quote that is already past is not "in progress": a person takes over."""
        # A declined payment's hold that should have dropped off by now is money still gone: overdue too.
        if decision.kind != "outcome" or decision.outcome not in (
            "reversal_in_progress",
            "refund_ticket",
            "no_charge",
        ):
            return decision
        quoted = self._quote(complaint, decision)
        if quoted is not None and quoted < china_date(self._now()):
            return overdue(decision)
        return decision

    async def _keep_pending(self, complaint: Complaint, error: MerchantAPIError) -> Ticket:
        draft = PendingDraft(
            **_facts(complaint),
            actor=BOT_ACTOR,
            note=f"merchant API could not answer ({error}); {_extras_note(complaint)}",
        )
        ticket = await asyncio.to_thread(self.store.open_pending_lookup, draft)
        if _read_extras(ticket) != (complaint.got_goods, complaint.fraud_suspected):
            # A resubmission updates the stored columns but not the first note: record the new answers.
            ticket = await asyncio.to_thread(
                self.store.add_event, ticket.number, actor=BOT_ACTOR, note=_extras_note(complaint)
            )
        return ticket

    # --- cases --------------------------------------------------------------------------------------

    async def _open(self, complaint: Complaint, decision: Decision) -> CaseResult:
        """Conclude without a pending lookup: a ticket when the outcome calls for one."""
        assert decision.outcome is not None
        quoted = self._quote(complaint, decision)
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

    async def _complete(
        self, pending: Ticket, complaint: Complaint, decision: Decision, actor: str
    ) -> CaseResult:
        """Conclude a pending lookup: it becomes the case (or merges into the transaction's case)."""
        assert decision.outcome is not None
        quoted = self._quote(complaint, decision)
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
        except Exception:  # the customer's case stands; losing a note must not fail the conversation
            logger.exception("%s: could not add the note %r", ticket.number, note)

    def _quote(self, complaint: Complaint, decision: Decision) -> date | None:
        assert decision.outcome is not None
        return quote(
            decision.outcome,
            decision.reason,
            decision.transaction,
            self.table,
            today=china_date(self._now()),
            claimed_day=china_date(complaint.window_start),
        )

    async def _waiting_ticket(self, complaint: Complaint) -> Ticket | None:
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

    def _now(self) -> datetime:
        now = self._clock()
        if now.utcoffset() is None:
            raise ValueError("the lookup service's clock must return aware datetimes")
        return now


# --- helpers ------------------------------------------------------------------------------------------


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


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _extras_note(complaint: Complaint) -> str:
    return _EXTRAS_NOTE.format(goods=_yes_no(complaint.got_goods), fraud=_yes_no(complaint.fraud_suspected))


def _read_extras(ticket: Ticket) -> tuple[bool | None, bool]:
    """got_goods and fraud_suspected from the newest note that records them (unknown / no when none)."""
    for event in reversed(ticket.history):
        match = _EXTRAS.search(event.note or "")
        if match:
            goods: dict[str, bool | None] = {"yes": True, "no": False, "unknown": None}
            return goods[match[1]], match[2] == "yes"
    return None, False


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
        note += f"; {_extras_note(complaint)}"
    return f"{note} [call {call}]"


def _made_by(ticket: Ticket, call: str) -> bool:
    """Whether the case's opening (or conversion) event is this call's: only that call acts on it."""
    marker = f"[call {call}]"
    return any(event.to_status is not None and marker in (event.note or "") for event in ticket.history)


def _narrowed(found: list[Transaction], complaint: Complaint) -> list[Transaction]:
    """Without a terminal: the payments at a shop the customer's words can name, if any can."""
    if complaint.terminal_id or not complaint.merchant_name:
        return list(found)
    named = [t for t in found if could_be_shop(t.merchant_name, complaint.merchant_name)]
    return named or list(found)


def decide_widening(
    found: list[Transaction], complaint: Complaint, margin: timedelta, limits: DecisionLimits, now: datetime
) -> Decision:
    """Decide on the window the customer gave; when no payment there has their amount, on the nearest
    wider window that has one."""
    claim = complaint.claim()
    first = None
    for extra in (timedelta(0), *WIDENING):
        start, end = complaint.window_start - margin - extra, complaint.window_end + margin + extra
        inside = [t for t in found if start <= t.created_at <= end]
        decision = decide(inside, claim, limits, now)
        first = first or decision
        if any(amount_fits(t.amount, claim.amount) for t in inside):
            return decision
    return first
