"""One round of the retry of pending lookups: each complaint the merchant API could not answer is
looked up again and, when it answers, concluded without the customer (`bot.lookup.retry_job` runs
the rounds)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.case_store import CaseStore
from bot.lookup.cases import CaseOpener
from bot.lookup.complaint import CaseResult, Complaint
from bot.lookup.decision import Decision, DecisionLimits
from bot.merchant_api import MerchantAPIError, MerchantAPIUnavailable

logger = logging.getLogger(__name__)

RETRY_ACTOR = "lookup-retry"


class PendingRetry:
    """Looks the waiting complaints up again and concludes those the merchant API now answers."""

    def __init__(
        self,
        store: CaseStore,
        cases: CaseOpener,
        decide: Callable[[Complaint], Awaitable[Decision]],
        limits: DecisionLimits,
    ) -> None:
        self.store = store
        self.cases = cases
        self._decide = decide
        self.limits = limits

    async def run(self, *, limit: int = 100) -> list[CaseResult]:
        """One round; returns the results of the lookups it could conclude."""
        tickets = await asyncio.to_thread(self.store.pending_lookups, limit=limit)
        results: list[CaseResult] = []
        for ticket in tickets:
            try:
                complaint = Complaint.from_ticket(ticket)
                decision = await self._decide(complaint)
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
                result = await self.cases.complete(
                    ticket, complaint, for_a_human(complaint, decision, self.limits), RETRY_ACTOR
                )
            except Exception:
                # Not only CaseStoreError: the oldest ticket comes first in every round, so whatever
                # stops this one (the store, or facts it refuses) would hold up all the others for good.
                logger.exception("could not complete the lookup of %s; it keeps waiting", ticket.number)
                continue
            results.append(result)
        return results


def for_a_human(complaint: Complaint, decision: Decision, limits: DecisionLimits) -> Decision:
    """A concluding decision for the retry job, which cannot ask the customer anything."""
    if decision.kind == "choose":
        # Several payments fit and nobody is there to pick one: a human sorts it out with the
        # customer; the candidates are listed on the ticket.
        return Decision("outcome", "escalated", None, None, decision.candidates, "several_matches")
    if decision.kind == "ask_sharper_key":
        # No sharper key can be asked for now, so this is the "still nothing" row of the policy: a
        # dispute ticket without a transaction (an agent asks for RRN / 凭证号), or a human above the
        # bot's limit.
        if complaint.amount > limits.max_auto_amount:
            return Decision("outcome", "escalated", None, None, (), "over_limit")
        return Decision("outcome", "dispute_ticket", None, None, (), decision.reason)
    return decision
