"""Who may talk to the rasa servers and the action server: whoever holds RASA_TOKEN.

The gateway and scripted clients pass it to the REST channel as `?token=` (as to Rasa's HTTP API);
the rasa servers pass it to the action server as `Authorization: Bearer <token>` (the endpoints
files). Anyone else on the network is refused with 401 and a JSON body saying why.
"""

from __future__ import annotations

import hmac

from sanic import response
from sanic.response import HTTPResponse


def matches(expected: str, given: object) -> bool:
    """Whether `given` is the token (compared in constant time; an empty token matches nothing)."""
    return (
        bool(expected)
        and isinstance(given, str)
        and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    )


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if that is what it is."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def refusal(how: str) -> HTTPResponse:
    """The answer to a request without the token, saying how to present it."""
    return response.json(
        {"error": "unauthorized", "message": f"this server answers only holders of the Rasa token ({how})"},
        status=401,
    )
