"""The lookup of a complaint: search the merchant API, decide, open the case and quote the date.

No Rasa here: the actions call `LookupService.look_up` once the customer has confirmed time, amount
and terminal (or shop), and `LookupService.conclude` once they have confirmed what was found. When the
merchant API cannot answer, the complaint is kept as a ticket waiting for lookup, and the retry job
(`python -m bot.lookup.retry_job`) finishes it with `LookupService.retry_pending`.

The work itself is done by `search.PaymentSearch` (the merchant API and the decision),
`cases.CaseOpener` (the case store) and `retry.PendingRetry` (a round of the retry job); this class
puts them together.

A service owns one `MerchantAPI` client, whose connections belong to the event loop that first used
them: create one service per process (per event loop), at start-up, never at import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import TracebackType

from bot import config
from bot.case_store import CaseDatabase, CaseStore
from bot.lookup.cases import BOT_ACTOR, CaseOpener
from bot.lookup.complaint import CaseResult, Complaint, LookupResult
from bot.lookup.decision import Decision, DecisionLimits, overdue
from bot.lookup.retry import PendingRetry
from bot.lookup.search import DEFAULT_LOOKUP_TIMEOUT, DEFAULT_SEARCH_MARGIN, PaymentSearch
from bot.lookup.timelines import TimelineTable, china_date, load_table
from bot.merchant_api import MerchantAPI, MerchantAPIError, MerchantAPIUnavailable, SearchQuery

logger = logging.getLogger(__name__)

# Outcomes that promise the money back by a date: once that date has passed, a person takes over.
_DATED_OUTCOMES = ("reversal_in_progress", "refund_ticket", "no_charge")


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
        self.api = api
        self.store = store
        self.table = table
        self.limits = DecisionLimits.from_table(table)
        self._clock = clock
        self.search = PaymentSearch(api, self.limits, margin=search_margin, timeout=lookup_timeout)
        self.cases = CaseOpener(api, store, table, self._now)
        self.pending_retry = PendingRetry(store, self.cases, self._search_and_decide, self.limits)

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
            ticket = await self.cases.keep_pending(complaint, exc)
            return LookupResult(None, ticket)

    async def conclude(self, complaint: Complaint, decision: Decision) -> CaseResult:
        """Open the case the confirmed decision calls for, set the merchant side in motion, quote the date."""
        if decision.kind != "outcome" or decision.outcome is None:
            raise ValueError(f"conclude needs a concluding decision, not {decision.kind!r}")
        pending = await self.cases.waiting_ticket(complaint)
        if pending is not None:
            # The lookup failed earlier in this conversation: the LK number the customer holds becomes
            # the case, instead of a second ticket for one complaint.
            return await self.cases.complete(pending, complaint, decision, BOT_ACTOR)
        return await self.cases.open(complaint, decision)

    # --- the retry job ----------------------------------------------------------------------------

    async def retry_pending(self, *, limit: int = 100) -> list[CaseResult]:
        """Look the waiting complaints up again; returns the results of those it could conclude."""
        return await self.pending_retry.run(limit=limit)

    # --- searching ----------------------------------------------------------------------------------

    def query(self, complaint: Complaint) -> SearchQuery:
        """The search for a complaint (see `PaymentSearch.query`); ValueError for a window too wide."""
        return self.search.query(complaint)

    async def _search_and_decide(self, complaint: Complaint) -> Decision:
        return self._overdue_checked(complaint, await self.search.decide(complaint, self._now))

    def _overdue_checked(self, complaint: Complaint, decision: Decision) -> Decision:
        """A date the bot would quote that is already past is not "in progress": a person takes over."""
        # A declined payment's hold that should have dropped off by now is money still gone: overdue too.
        if decision.kind != "outcome" or decision.outcome not in _DATED_OUTCOMES:
            return decision
        quoted = self.cases.quote(complaint, decision)
        if quoted is not None and quoted < china_date(self._now()):
            return overdue(decision)
        return decision

    def _now(self) -> datetime:
        now = self._clock()
        if now.utcoffset() is None:
            raise ValueError("the lookup service's clock must return aware datetimes")
        return now
