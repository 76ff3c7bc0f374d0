"""An answer to "is this ticket yours?": the payment's amount and the card's last 4 digits, in one
message, in any order ("128.50 1234", "尾号1234 金额66元", "1234, ¥1,280")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.parsing.amount import parse_amount
from bot.parsing.card_keys import extract_card_keys
from bot.parsing.normalize import normalize

MAX_CHARS = 200
# Four digits standing alone: not part of a longer number, a decimal or a date, nor an amount's
# digits ("1234元", "¥1234").
_FOUR = re.compile(
    r"(?<![0-9.,:/\-¥$])\d{4}(?![0-9]|[.,:/\-]\d|\s*(?:元|块|塊|圆|yuan|rmb|cny|¥))", re.IGNORECASE
)


@dataclass(frozen=True)
class OwnerAnswer:
    amount: Decimal | None
    card_last4: str | None

    @property
    def complete(self) -> bool:
        return self.amount is not None and self.card_last4 is not None


def read_owner_answer(text: str) -> OwnerAnswer:
    """The amount and the card ending a message gives (either may be missing)."""
    clean = normalize(text[:MAX_CHARS])
    last4 = extract_card_keys(clean).card_last4
    rest = clean
    if last4 is None:
        # The last bare group of four digits is the card's ending; what is left holds the amount.
        bare = list(_FOUR.finditer(clean))
        if bare:
            found = bare[-1]
            last4 = found.group(0)
            rest = clean[: found.start()] + " " * 4 + clean[found.end() :]
    amount = parse_amount(rest, bare_number_ok=True)
    return OwnerAnswer(abs(amount) if amount is not None else None, last4)
