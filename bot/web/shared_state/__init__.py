"""What every gateway process must share: rate limits, one conversation's turn, the client message
ids already answered, marks (the conversations ended before their time), short notes per
conversation, and publish/subscribe between sockets.

Two back-ends, chosen by GATEWAY_REDIS_URL:

- empty (the default): this process's memory (`in_memory`), which is all a single gateway needs;
- a Redis URL: several gateways behind a load balancer share one Redis (`redis_state`, which says
  how keys are laid out and what happens while Redis is away).

At start, a Redis that cannot be reached stops the gateway with one line naming GATEWAY_REDIS_URL.
"""

from bot.web.shared_state.factory import create_shared_state
from bot.web.shared_state.in_memory import (
    InProcessIds,
    InProcessLimiter,
    InProcessLocks,
    InProcessMarks,
    InProcessNotes,
    LiveHub,
    SharedState,
    in_process_state,
)
from bot.web.shared_state.interface import (
    KeyedLock,
    Marks,
    Notes,
    RateLimiter,
    RememberedIds,
    SharedStateUnavailable,
    Subscriber,
)
from bot.web.shared_state.redis_state import RedisHub, RedisState, RetriedLock, check_reachable, shown_url

__all__ = [
    "InProcessIds",
    "InProcessLimiter",
    "InProcessLocks",
    "InProcessMarks",
    "InProcessNotes",
    "KeyedLock",
    "LiveHub",
    "Marks",
    "Notes",
    "RateLimiter",
    "RedisHub",
    "RedisState",
    "RememberedIds",
    "RetriedLock",
    "SharedState",
    "SharedStateUnavailable",
    "Subscriber",
    "check_reachable",
    "create_shared_state",
    "in_process_state",
    "shown_url",
]
