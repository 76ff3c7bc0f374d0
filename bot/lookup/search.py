"""The search for a complaint's payment over the merchant API, and the decision on what it found.

The search asks for the terminal's payments at any amount over the widest window the lookup may try;
the decision then reads the window the customer gave and, when no payment there has their amount,
the nearest wider one that has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.lookup.complaint import Complaint
from bot.lookup.decision import Decision, DecisionLimits, amount_fits, decide
from bot.merchant_api import MerchantAPI, MerchantAPIUnavailable, SearchQuery, Transaction
from bot.parsing.shop_names import could_be_shop

DEFAULT_SEARCH_MARGIN = timedelta(minutes=10)
# The merchant API searches at most this span at once (openapi.yaml), margins included.
MAX_SEARCH_WINDOW = timedelta(days=31)
# People misremember times: when nothing at the amount fits the window they gave (with its margin),
# the lookup tries these wider margins in turn, nearest first. One search covers the widest.
WIDENING = (timedelta(hours=2), timedelta(hours=12), timedelta(days=2))
# The customer is waiting: past this many seconds the bot says the merchant side is slow and keeps the
# complaint for the retry job, instead of sitting through every retry of the client.
DEFAULT_LOOKUP_TIMEOUT = 10.0


class PaymentSearch:
    """Searches the merchant API for a complaint's payment and decides on what it finds."""

    def __init__(
        self,
        api: MerchantAPI,
        limits: DecisionLimits,
        *,
        margin: timedelta = DEFAULT_SEARCH_MARGIN,
        timeout: float = DEFAULT_LOOKUP_TIMEOUT,
    ) -> None:
        if margin < timedelta(0):
            raise ValueError("search_margin must not be negative")
        if timeout <= 0:
            raise ValueError("lookup_timeout must be positive")
        self.api = api
        self.limits = limits
        self.margin = margin
        self.timeout = timeout

    def query(self, complaint: Complaint) -> SearchQuery:
        """The search for a complaint: the terminal over the widest window the lookup tries, any amount.

        Any amount, because the decision tells "nothing there" from "only other amounts there". Without
        a terminal the search takes every shop in the window and `narrowed` keeps the ones the
        customer's words can name: customers say "那家罗森" or "Lawson near Xujiahui", which no
        substring search finds.
        """
        start, end = complaint.window_start - self.margin, complaint.window_end + self.margin
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

    async def decide(self, complaint: Complaint, now: Callable[[], datetime]) -> Decision:
        """Search, then decide as of `now()` (read once the answer is in); a slow answer is unavailability."""
        try:
            found = await asyncio.wait_for(self.api.search(self.query(complaint)), self.timeout)
        except asyncio.TimeoutError:
            raise MerchantAPIUnavailable(f"no answer within {self.timeout:g}s") from None
        return decide_widening(narrowed(found, complaint), complaint, self.margin, self.limits, now())


def narrowed(found: list[Transaction], complaint: Complaint) -> list[Transaction]:
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
