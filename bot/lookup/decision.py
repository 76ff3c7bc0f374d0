"""What the lookup found means for the customer: one outcome of the contract, and the reason for it."""

# Pure: no I/O and no clock. The caller passes the transactions the merchant API returned for the
# claim's window (any amount), the claim, the limits from `timelines.yml` and the current time.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, get_args

from bot.lookup.outcomes import TICKET_OUTCOMES, Outcome
from bot.lookup.timelines import add_working_days, china_date
from bot.merchant_api.models import Transaction

if TYPE_CHECKING:
    from bot.lookup.timelines import TimelineTable


DecisionKind = Literal["outcome", "ask_sharper_key", "choose"]

# Machine keys the bot uses to choose its words.
Reason = Literal[
    "declined",  # no_charge: the issuer declined (or was unavailable) and nothing settled
    "reversal_completed",  # reversal_in_progress: the reversal went through
    "refunded",  # reversal_in_progress: the merchant already refunded the charge
    "reversal_pending",  # refund_ticket: the terminal has not sent its reversal yet
    "reversal_failed",  # refund_ticket: every reversal attempt failed (故障单)
    "no_reversal",  # refund_ticket: approved, terminal failed, no reversal on record
    "duplicate",  # refund_ticket: the later of two settled debits for one purchase
    "completed",  # charge_succeeded: a normal, completed sale
    "completed_not_received",  # dispute_ticket: completed sale, the customer got nothing for it
    "not_found",  # ask_sharper_key / dispute_ticket: no transaction in the window
    "amount_differs",  # ask_sharper_key / dispute_ticket: only other amounts in the window
    "several_matches",  # choose: more than one transaction fits the claim
    "over_limit",  # escalated: a ticket above the bot's amount limit
    "window_passed",  # escalated: the window the bot would quote is already over
    "fraud",  # escalated: the customer does not recognise the debit at all
]
REASONS: tuple[Reason, ...] = get_args(Reason)

APPROVED_CODES = frozenset({"00"})
# The issuer answered but the terminal never completed (late answer, MAC error, chip refused
# after approval): the issuer may have taken the money and the terminal owes a reversal.
REVERSAL_EXPECTED_CODES = frozenset({"68", "98", "A0", "06"})
# Issuer or switch unavailable: usually nothing was taken, but a settled record means it was.
UNAVAILABLE_CODES = frozenset({"91", "96"})
# Duplicate transmission: the record itself is usually refused; the double debit, if any, shows as
# two settled records and is found by the duplicate check.
DUPLICATE_TRANSMISSION_CODES = frozenset({"94"})


@dataclass(frozen=True)
class DecisionLimits:
    """What the bot may settle on its own; figures come from `timelines.yml`."""

    max_auto_amount: Decimal
    reversal_window_days: int  # working days a reversal may stay pending before a human steps in
    correction_window_days: int  # working days a failed/missing reversal may wait for correction
    duplicate_window: timedelta = timedelta(minutes=10)  # "a few minutes" between a payment and its repeat

    @classmethod
    def from_table(cls, table: TimelineTable) -> DecisionLimits:
        """The limits section of the operator's timelines file."""
        return cls(
            max_auto_amount=table.max_auto_amount,
            reversal_window_days=table.reversal_window_days,
            correction_window_days=table.correction_window_days,
            duplicate_window=timedelta(minutes=table.duplicate_window_minutes),
        )


@dataclass(frozen=True)
class Claim:
    """What the customer told the bot about the payment."""

    start: datetime
    end: datetime
    amount: Decimal
    terminal_id: str | None
    merchant_name: str | None
    sharper_key_given: bool = False  # the customer already gave last 4 / RRN / 凭证号
    fraud_suspected: bool = False  # e.g. the customer does not recognise the debit at all
    got_goods: bool | None = None  # for a completed sale: did they get what they paid for
    two_debits_seen: bool = False  # the customer sees two entries ("app里显示两笔") for one purchase


@dataclass(frozen=True)
class Decision:
    """The bot's next step: conclude with an outcome, ask for a sharper key, or let the customer choose."""

    # After a "choose", search again with the chosen card's last 4 (or pass every candidate on that
    # card), so that a double debit on it is still found.

    kind: DecisionKind
    outcome: Outcome | None
    transaction: Transaction | None
    duplicate_of: Transaction | None  # for the duplicate case: the first, kept debit
    candidates: tuple[Transaction, ...]  # kind "choose" (and a multiple duplicate): oldest first
    reason: Reason

    @property
    def is_ticket(self) -> bool:
        """The bot opens a refund or dispute ticket for this decision."""
        return self.outcome in TICKET_OUTCOMES


def decide(
    candidates: Sequence[Transaction], claim: Claim, limits: DecisionLimits, now: datetime
) -> Decision:
    """Turn the lookup's transactions for a claim into the bot's next step."""
    ordered = sorted(candidates, key=_chronological)
    matches = [t for t in ordered if t.amount == claim.amount] or [
        t for t in ordered if rounded_by_customer(t.amount, claim.amount)
    ]

    if claim.fraud_suspected:
        # Not this flow at all: the card may be compromised, so a human takes over whatever was found.
        return _conclude("escalated", "fraud", matches[0] if len(matches) == 1 else None)

    if not matches:
        reason: Reason = "amount_differs" if ordered else "not_found"
        if not claim.sharper_key_given:
            return Decision("ask_sharper_key", None, None, None, (), reason)
        # A single record at another amount, found by the customer's own card digits, RRN or 凭证号,
        # is most likely theirs (a wrong amount is a dispute of its own), so it goes on the ticket.
        only = ordered[0] if len(ordered) == 1 else None
        # The ticket carries that record, so its amount counts against the limit too.
        at_stake = max(claim.amount, only.amount) if only else claim.amount
        return _within_limits(_conclude("dispute_ticket", reason, only), at_stake, limits)

    matches = _without_echoes(matches, limits.duplicate_window)
    duplicate = _duplicate(matches, limits.duplicate_window)
    if duplicate is not None:
        return _within_limits(duplicate, claim.amount, limits)

    if len(matches) > 1:
        meant = _the_one_complained_about(matches, claim, limits, now)
        if meant is not None:
            return meant
        return Decision("choose", None, None, None, tuple(matches), "several_matches")

    return _decide_one(matches[0], claim, limits, now)


def rounded_by_customer(paid: Decimal, claimed: Decimal) -> bool:
    """Whether a whole-yuan claim is a payment's amount without its jiao and fen: people say "215"
    or "扣了215块" for ¥215.30 (and "216" for ¥215.80)."""
    return claimed == claimed.to_integral_value() and abs(paid - claimed) < 1


def amount_fits(paid: Decimal, claimed: Decimal) -> bool:
    """Whether a payment's amount is the amount the customer gave, exactly or as they rounded it."""
    return paid == claimed or rounded_by_customer(paid, claimed)


def _the_one_complained_about(
    matches: list[Transaction], claim: Claim, limits: DecisionLimits, now: datetime
) -> Decision | None:
    """On one card, the payment a "failed but charged" complaint is about, when the records tell it.

    The terminal said failed, so a payment it called failed that may have taken the money is meant
    over the retry that went through; when the failed attempts were all declined, the money went to
    the one that completed. When every candidate comes to the same outcome, the first is reported.
    """
    if len({t.card_last4 for t in matches}) > 1:
        return None
    failed = [t for t in matches if t.terminal_result == "failed"]
    taking = [t for t in failed if _code(t) in APPROVED_CODES | REVERSAL_EXPECTED_CODES]
    completed = [t for t in matches if t.terminal_result == "completed"]
    if len(taking) == 1:
        return _decide_one(taking[0], claim, limits, now)
    if not taking and len(completed) == 1:
        if claim.two_debits_seen and len(failed) == 1:
            # Two entries seen for one purchase: the second is the declined attempt's pending hold.
            return _decide_one(failed[0], claim, limits, now)
        # The failed attempts were declined and took nothing: the money that left went to the
        # payment that completed.
        return _decide_one(completed[0], claim, limits, now)
    if len(failed) == 1:
        return _decide_one(failed[0], claim, limits, now)
    decisions = [_decide_one(t, claim, limits, now) for t in (failed or matches)]
    if len({(d.outcome, d.reason) for d in decisions}) == 1:
        return decisions[0]
    return None


def _decide_one(t: Transaction, claim: Claim, limits: DecisionLimits, now: datetime) -> Decision:
    code = _code(t)
    charged = t.settlement_status in ("settled", "refunded")
    if code in UNAVAILABLE_CODES or code in DUPLICATE_TRANSMISSION_CODES:
        if not charged:
            return _conclude("no_charge", "declined", t)
        # Charged after all: the answer was lost on the way, exactly like a timeout.
    elif code not in APPROVED_CODES and code not in REVERSAL_EXPECTED_CODES:
        # 05, 51, 55 and every other refusal: the issuer took nothing, whatever the record's other
        # fields say, and any pending entry drops off by itself.
        return _conclude("no_charge", "declined", t)

    if t.reversal_status == "completed":
        return _conclude("reversal_in_progress", "reversal_completed", t)
    if t.settlement_status == "refunded":
        return _conclude("reversal_in_progress", "refunded", t)
    if t.reversal_status == "pending":
        return _refund(t, "reversal_pending", limits.reversal_window_days, limits, now)
    if t.reversal_status == "failed":
        return _refund(t, "reversal_failed", limits.correction_window_days, limits, now)
    if t.terminal_result == "completed":
        if claim.got_goods is False:
            return _within_limits(_conclude("dispute_ticket", "completed_not_received", t), t.amount, limits)
        return _conclude("charge_succeeded", "completed", t)
    # Approved, the terminal said failed, and it never even tried to reverse.
    return _refund(t, "no_reversal", limits.correction_window_days, limits, now)


def _refund(
    t: Transaction, reason: Reason, working_days: int, limits: DecisionLimits, now: datetime
) -> Decision:
    decision = _within_limits(_conclude("refund_ticket", reason, t), t.amount, limits)
    if decision.outcome != "refund_ticket":
        return decision
    # The money should have come back (or been corrected) by now: the bot has nothing left to promise.
    if china_date(now) > add_working_days(china_date(t.created_at), working_days):
        return _escalate(decision, "window_passed")
    return decision


def _without_echoes(matches: list[Transaction], window: timedelta) -> list[Transaction]:
    # A 94 answer refuses a repeated transmission of a payment that is itself on record; the refused
    # copy is not a second purchase and must not make the customer choose between the two.
    def is_echo(t: Transaction) -> bool:
        return (
            _code(t) in DUPLICATE_TRANSMISSION_CODES
            and t.settlement_status == "unsettled"
            and any(
                _code(o) not in DUPLICATE_TRANSMISSION_CODES and _same_purchase(o, t, window) for o in matches
            )
        )

    return [t for t in matches if not is_echo(t)]


def _same_purchase(a: Transaction, b: Transaction, window: timedelta) -> bool:
    return (
        a.terminal_id == b.terminal_id
        and a.card_last4 == b.card_last4
        and a.amount == b.amount
        and abs(a.created_at - b.created_at) <= window
    )


def _code(t: Transaction) -> str:
    return (t.response_code or "").strip().upper()


def _duplicate(matches: Sequence[Transaction], window: timedelta) -> Decision | None:
    # A debit still holds the customer's money: settled, and not given back by a reversal.
    debits = [t for t in matches if t.settlement_status == "settled" and t.reversal_status != "completed"]
    if len({t.card_last4 for t in matches}) > 1:
        # Other cards fit too: the customer first says which payment is theirs (kind "choose"),
        # so that the bot never opens a ticket on a stranger's double debit.
        return None
    clusters: list[list[Transaction]] = []
    groups: dict[tuple[str, str, Decimal], list[Transaction]] = {}
    for t in debits:
        groups.setdefault((t.terminal_id, t.card_last4, t.amount), []).append(t)
    for group in groups.values():
        cluster = [group[0]]
        for t in group[1:]:
            if t.created_at - cluster[-1].created_at <= window:
                cluster.append(t)
                continue
            if len(cluster) > 1:
                clusters.append(cluster)
            cluster = [t]
        if len(cluster) > 1:
            clusters.append(cluster)
    if not clusters:
        return None
    clusters.sort(key=lambda c: _chronological(c[0]))
    kept, repeat = clusters[0][0], clusters[0][1]
    simple = len(clusters) == 1 and len(clusters[0]) == 2
    if simple and kept.terminal_result == "failed" and repeat.terminal_result == "completed":
        # Paid again after the terminal said failed: the purchase is the completed one, and the debit
        # to give back is the one the customer was told had failed.
        kept, repeat = repeat, kept
    if simple:
        return Decision("outcome", "refund_ticket", repeat, kept, (), "duplicate")
    # Paid three times, or twice twice: more than one refund for a human to sort out.
    involved = tuple(sorted((t for c in clusters for t in c), key=_chronological))
    return Decision("outcome", "escalated", repeat, kept, involved, "duplicate")


def overdue(decision: Decision) -> Decision:
    """The same case, for a person: the date the bot would quote for it has already passed."""
    return _escalate(decision, "window_passed")


def _within_limits(decision: Decision, amount: Decimal, limits: DecisionLimits) -> Decision:
    # The limit bounds what the bot sets in motion on its own (tickets that move money); explaining
    # a record (no charge, reversal done, payment went through) needs no one's authority.
    if decision.outcome in TICKET_OUTCOMES and amount > limits.max_auto_amount:
        return _escalate(decision, "over_limit")
    return decision


def _escalate(decision: Decision, reason: Reason) -> Decision:
    return Decision(
        "outcome", "escalated", decision.transaction, decision.duplicate_of, decision.candidates, reason
    )


def _conclude(outcome: Outcome, reason: Reason, transaction: Transaction | None) -> Decision:
    return Decision("outcome", outcome, transaction, None, (), reason)


def _chronological(t: Transaction) -> tuple[datetime, str]:
    # The id breaks ties so that the order of the API's answer never changes the decision.
    return (t.created_at, t.transaction_id)
