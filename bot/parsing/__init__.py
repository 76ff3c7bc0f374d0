"""Pure parsers for transaction time, amount and terminal ID in chat messages."""

from bot.parsing.amount import parse_amount
from bot.parsing.facts import Facts, extract_facts
from bot.parsing.terminal import TERMINAL_ID_LENGTH, parse_terminal_id
from bot.parsing.time import TimeWindow, parse_time

__all__ = [
    "TERMINAL_ID_LENGTH",
    "Facts",
    "TimeWindow",
    "extract_facts",
    "parse_amount",
    "parse_terminal_id",
    "parse_time",
]
