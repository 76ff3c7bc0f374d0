"""The merchant API's errors: callers catch these, never httpx's or the server's own.

MerchantAPIError            any failure of a call; catch this one to catch them all
├── MerchantAPIUnavailable  not reachable, timed out, or failed on its side (5xx); try later
├── MerchantAPINotFound     no such transaction (404)
└── MerchantAPIRejected     the request was refused (any other 4xx)
"""

from __future__ import annotations


class MerchantAPIError(Exception):
    """Any failure of a merchant API call."""

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


class MerchantAPIUnavailable(MerchantAPIError):
    """The merchant API could not be reached, timed out or failed on its side, even after retries."""


class MerchantAPINotFound(MerchantAPIError):
    """The merchant API has no such transaction (404)."""


class MerchantAPIRejected(MerchantAPIError):
    """The merchant API refused the request (a 4xx other than 404): bad input, key, state or amount."""
