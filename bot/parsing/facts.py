"""All transaction facts one message states."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.parsing.amount import find_amount
from bot.parsing.duckling_calls import parse_budget
from bot.parsing.normalize import has_correction_marker, mask, normalize
from bot.parsing.terminal import find_terminal_id, id_shaped_spans
from bot.parsing.time import MAX_CHARS, TimeWindow, find_time

SLOTS = ("transaction_time", "amount", "terminal_id")
# The most time Duckling may take on one message, whatever it says.
DUCKLING_SECONDS = 0.7

# Words that put a message about a day ("今天", "last week") in the context of
# a payment; without them, and outside the form, a bare day is chit-chat
# ("今天油价多少", "see you tomorrow", "i opened a complaint 3 days ago").
_PAYMENT_CONTEXT = re.compile(
    r"刷|付|扣|消费|买|支付|交易|结账|收银|失败|终端|金额|元|块|钱|卡"
    r"|账单|笔|待入账|处理中|冻结|余额|额度|退回|退款|到账"
    r"|(?<![a-z])(?:charg|paid|pay|swip|tap|purchas|bought|transaction|declin|fail|error|deduct"
    r"|debit|card|terminal|pos|amount|money|yuan|rmb|receipt|shop|store|supermarket|pending|on\s+hold"
    r"|shows?|posted|went\s+out|gone|taken|statement|bank\s+app|account|bill)",
    re.IGNORECASE,
)


# Words that may stand around a time given on its own ("on last Friday evening", "大概是昨天吧").
_TIME_FILLER = re.compile(
    r"(?<![a-z])(?:on|at|in|around|about|maybe|probably|it\s+was|was|the)(?![a-z])"
    r"|大概|大约|应该|可能|是|在|就|吧|的|啊|呢|了",
    re.IGNORECASE,
)


def _only_a_time(text: str, spans: tuple[tuple[int, int], ...]) -> bool:
    """True when the message is a time and nothing else, so it answers "when?"."""
    rest = _TIME_FILLER.sub(" ", mask(text, list(spans)))
    return re.search(r"[a-z\u4e00-\u9fff]", rest, re.IGNORECASE) is None


@dataclass(frozen=True)
class Facts:
    """What one message says about the failed payment."""

    transaction_time: TimeWindow | None
    amount: Decimal | None
    terminal_id: str | None
    is_correction: bool


def extract_facts(
    text: str, now: datetime, requested_slot: str | None = None, *, amount_wanted: bool = False
) -> Facts:
    """All facts one message states, in any order; requested_slot is what the bot just asked for.
    With amount_wanted (the conversation has no amount yet), a lone number in a message about a
    payment ("app shows 468", "信用卡里有一笔38的消费") is the amount."""
    # Normalise once so every parser sees the same characters at the same
    # offsets; the spans each one claims are blanked before the next runs.
    with parse_budget(DUCKLING_SECONDS):
        return _extract(text, now, requested_slot, amount_wanted)


def _extract(text: str, now: datetime, requested_slot: str | None, amount_wanted: bool) -> Facts:
    clean = normalize(text[:MAX_CHARS])
    correcting = has_correction_marker(clean)
    taken: list[tuple[int, int]] = []

    terminal = find_terminal_id(clean, bare_ok=requested_slot == "terminal_id")
    if terminal:
        taken.append((terminal.start, terminal.end))
        # The ID being corrected ("不是8873 6612") is no amount either.
        taken.extend(id_shaped_spans(clean))

    time_match = find_time(mask(clean, taken), now, bare_ok=requested_slot == "transaction_time")
    if time_match:
        taken.extend(time_match.spans)

    bare_amount = requested_slot == "amount" or (amount_wanted and _PAYMENT_CONTEXT.search(clean) is not None)
    amount = find_amount(mask(clean, taken), bare_number_ok=bare_amount)
    if (
        time_match
        and time_match.coarse
        and requested_slot is None
        and not (amount or terminal or correcting or _PAYMENT_CONTEXT.search(clean))
        and not _only_a_time(clean, time_match.spans)
    ):
        time_match = None
    return Facts(
        transaction_time=time_match.window if time_match else None,
        amount=amount.value if amount else None,
        terminal_id=terminal.value if terminal else None,
        is_correction=correcting,
    )
