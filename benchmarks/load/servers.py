"""Where a target's servers listen, and how the benchmark starts those of each profile."""

from __future__ import annotations

from dataclasses import dataclass

from bot.profile import LOCAL, PRODUCTION
from devtools.processes import AssistantProcesses

# The gateways the benchmark starts: every customer comes from 127.0.0.1, and far more of them a
# minute than the defaults (20 messages a session, 60 an address) let through.
RAISED_LIMIT = "1000000"
RAISED_LIMITS = {
    "GATEWAY_SESSION_MESSAGES_PER_MINUTE": RAISED_LIMIT,
    "GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": RAISED_LIMIT,
}


@dataclass(frozen=True)
class Setup:
    """How a target's servers are started."""

    profile: str
    copies: int = 1  # gateways and action servers
    rasa_servers: int = 1


SETUPS = {
    "local": Setup(LOCAL),
    "local-2": Setup(LOCAL, rasa_servers=2),
    "production": Setup(PRODUCTION, copies=2, rasa_servers=2),
}


@dataclass
class Servers:
    """Where one target's servers listen, and their process ids when known (on this machine)."""

    gateway_urls: list[str]
    sandbox_url: str
    sandbox_key: str
    case_store_url: str
    rasa_url: str
    token: str
    pids: dict[str, int] | None = None  # gateway, gateway2, rasa, rasa2, actions, ..., sandbox

    @classmethod
    def of(cls, processes: AssistantProcesses) -> Servers:
        return cls(
            gateway_urls=processes.gateway_urls,
            sandbox_url=processes.sandbox_url,
            sandbox_key=processes.sandbox_key,
            case_store_url=processes.case_store_url,
            rasa_url=processes.base_url,
            token=processes.token,
            pids=processes.pids(),
        )


def process_kind(name: str) -> str:
    """gateway2 → gateway."""
    return name.rstrip("0123456789")
