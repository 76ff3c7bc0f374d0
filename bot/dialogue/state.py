"""Where a case stands: its stage, what the bot asked how often, and what the customer cannot tell.

The facts themselves (time window, amount, terminal, shop, card ending) live in their own slots,
where the hand-over summary and the case store read them; this is the bookkeeping the dialogue
policy needs to guarantee progress, kept in one slot as a plain dict. Beside it, the conversation's
checks of ticket numbers it names (`TicketChecks`): they outlive each case, so a new case never
gives back the tries a conversation has used up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, get_args

Stage = Literal[
    "collecting",  # the bot gathers time, amount and the place
    "choose",  # several payments fit: the customer's card ending picks theirs
    "card_last4",  # nothing fits yet: the card ending (or a reference) may find it
    "goods",  # the payment went through: did the shop hand over what was paid for?
    "confirm_amount",  # only a payment of another amount fits: is it the customer's?
    "done",  # an outcome was given: follow-up mode
    "handed_off",  # a person has the case
]
STAGES: tuple[Stage, ...] = get_args(Stage)

Question = Literal[
    "transaction_time", "amount", "terminal_id", "merchant_name", "card_last4", "goods", "confirm_amount"
]
FACT_QUESTIONS: tuple[Question, ...] = ("transaction_time", "amount", "terminal_id", "merchant_name")

# No question is asked a third time in one case.
MAX_ASKS = 2
# Every case reaches an outcome or a person by this user message.
MAX_MESSAGES = 8


@dataclass(frozen=True)
class TicketChecks:
    """Ticket numbers the conversation named that it was not given: the owner question and its tries."""

    pending: str | None = None  # the number whose owner question (amount and card ending) is open
    asked: int = 0  # owner questions asked in this conversation
    failures: int = 0  # answers that did not match (or numbers that do not exist: the same to us)
    malformed: int = 0  # numbers that failed their check letter or had none
    proven: tuple[str, ...] = ()  # numbers the conversation proved it owns

    def to_slot(self) -> dict[str, Any]:
        return {**asdict(self), "proven": list(self.proven)}

    @classmethod
    def from_slot(cls, value: Any) -> TicketChecks:
        if not isinstance(value, dict):
            return cls()

        def count(name: str) -> int:
            number = value.get(name)
            return number if isinstance(number, int) and number >= 0 else 0

        pending = value.get("pending")
        proven = value.get("proven")
        return cls(
            pending=pending if isinstance(pending, str) else None,
            asked=count("asked"),
            failures=count("failures"),
            malformed=count("malformed"),
            proven=tuple(p for p in proven if isinstance(p, str)) if isinstance(proven, list) else (),
        )


@dataclass(frozen=True)
class CaseState:
    stage: Stage = "collecting"
    asked: dict[str, int] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    messages: int = 0  # user messages since the case began
    got_goods: bool | None = None
    pending_question: str | None = None  # the question the bot's last message asked
    offered_amount: str | None = None  # the amount of the payment shown at "confirm_amount"
    two_debits_seen: bool = False  # the customer sees two entries for one purchase
    tickets: TicketChecks = TicketChecks()  # the conversation's, kept when a new case begins

    def times_asked(self, question: str) -> int:
        return self.asked.get(question, 0)

    def asking(self, question: str) -> CaseState:
        return replace(
            self,
            asked={**self.asked, question: self.times_asked(question) + 1},
            pending_question=question,
        )

    def not_known(self, fact: str) -> CaseState:
        return self if fact in self.unknown else replace(self, unknown=(*self.unknown, fact))

    def new_case(self, *, messages: int = 0, stage: Stage = "collecting") -> CaseState:
        """A fresh case in the same conversation: only the ticket checks stay."""
        return CaseState(stage=stage, messages=messages, tickets=self.tickets)

    def to_slot(self) -> dict[str, Any]:
        return {**asdict(self), "unknown": list(self.unknown), "tickets": self.tickets.to_slot()}

    @classmethod
    def from_slot(cls, value: Any) -> CaseState:
        """The state a slot holds; anything unreadable is a fresh case (never a crash)."""
        if not isinstance(value, dict):
            return cls()
        stage = value.get("stage")
        asked = value.get("asked")
        unknown = value.get("unknown")
        messages = value.get("messages")
        goods = value.get("got_goods")
        pending = value.get("pending_question")
        offered = value.get("offered_amount")
        return cls(
            stage=stage if stage in STAGES else "collecting",
            asked={str(k): int(v) for k, v in asked.items() if isinstance(v, int)}
            if isinstance(asked, dict)
            else {},
            unknown=tuple(str(u) for u in unknown) if isinstance(unknown, list) else (),
            messages=messages if isinstance(messages, int) and messages >= 0 else 0,
            got_goods=goods if isinstance(goods, bool) else None,
            pending_question=pending if isinstance(pending, str) else None,
            offered_amount=offered if isinstance(offered, str) else None,
            two_debits_seen=value.get("two_debits_seen") is True,
            tickets=TicketChecks.from_slot(value.get("tickets")),
        )
