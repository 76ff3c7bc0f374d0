"""Which web pages may open the chat socket."""

from __future__ import annotations

from urllib.parse import urlsplit


def origin_allowed(origin: str | None, host: str, allowed: frozenset[str]) -> bool:
    """True for the gateway's own pages, listed embedding sites, and clients that send no Origin.

    Browsers always send Origin on a websocket; a client without one is a script, which the
    allow-list could not stop anyway.
    """
    if origin is None:
        return True
    origin = origin.strip().rstrip("/")
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()
