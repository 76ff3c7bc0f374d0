"""The back-end that the gateway's settings name."""

from __future__ import annotations

from bot.web.settings import GatewaySettings
from bot.web.shared_state.in_memory import SharedState, in_process_state
from bot.web.shared_state.redis_state import LOCK_MARGIN_SECONDS, RedisState, check_reachable


def create_shared_state(settings: GatewaySettings) -> SharedState:
    """The back-end the settings name; made before the event loop runs, opened (`await open()`)
    inside it. Raises SharedStateUnavailable, with a one-line reason, when Redis cannot be reached."""
    if not settings.redis_url:
        return in_process_state()
    check_reachable(settings.redis_url)
    return RedisState(
        settings.redis_url, settings.redis_prefix, settings.rasa_timeout_seconds + LOCK_MARGIN_SECONDS
    )
