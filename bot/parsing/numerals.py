"""Chinese numerals (一百二十八, 十二, 两千) read with cn2an, within bounds."""

from __future__ import annotations

import cn2an

# The longest numeral a payment or a time needs (五万四千三百二十一点五零 is 12); a longer run of
# numeral characters is not a number anyone means, and cn2an's work grows with the input.
MAX_NUMERAL_CHARS = 20


def chinese_numeral(token: str) -> int | float | None:
    """The value of a Chinese (or mixed) numeral, or None if it is not one or too long to be meant."""
    if not token or len(token) > MAX_NUMERAL_CHARS:
        return None
    try:
        return cn2an.cn2an(token, "smart")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
