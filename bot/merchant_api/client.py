"""The merchant API client: explicit timeouts, retries on transient failures, one error hierarchy."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from bot.merchant_api.errors import (
    MerchantAPIError,
    MerchantAPINotFound,
    MerchantAPIRejected,
    MerchantAPIUnavailable,
)
from bot.merchant_api.models import RefundRequest, ReversalRequest, SearchQuery, Transaction, format_amount

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Statuses that a gateway or an overloaded server answers; the same request may well succeed later.
RETRY_STATUSES = frozenset({502, 503, 504})
# Failures before or while talking to the server that say nothing about the request itself. A POST is
# safe to repeat after them because it carries an Idempotency-Key that the server honours.
_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_MAX_BACKOFF = 5.0
_USER_AGENT = "charged-but-failed-bot/0.1"


class MerchantAPI:
    """Asynchronous client of the merchant API; one connection pool per instance."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if retries < 0 or backoff < 0:
            raise ValueError("retries and backoff must not be negative")
        self._retries = retries
        self._backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"X-API-Key": api_key, "Accept": "application/json", "User-Agent": _USER_AGENT},
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
            ),
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> MerchantAPI:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def search(self, query: SearchQuery) -> list[Transaction]:
        """Transactions in the query's window that match every key it gives, oldest first."""
        body = await self._call("GET", "/v1/transactions", params=query.to_params())
        return _parse(lambda: [Transaction.from_json(item) for item in _field(body, "transactions", list)])

    async def get(self, transaction_id: str) -> Transaction:
        """One transaction by its id; MerchantAPINotFound when there is none."""
        body = await self._call("GET", _transaction_path(transaction_id))
        return _parse(lambda: Transaction.from_json(body))

    async def push_reversal(self, transaction_id: str) -> ReversalRequest:
        """Ask the merchant side to push a pending (or failed) reversal out of the terminal."""
        body = await self._call("POST", f"{_transaction_path(transaction_id)}/reversal-push")
        return _parse(lambda: ReversalRequest.from_json(body))

    async def request_refund(self, transaction_id: str, amount: Decimal, reason: str) -> RefundRequest:
        """Ask the merchant side to refund (part of) a transaction to the card."""
        payload = {"amount": format_amount(amount), "reason": reason}
        body = await self._call("POST", f"{_transaction_path(transaction_id)}/refunds", json=payload)
        return _parse(lambda: RefundRequest.from_json(body))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request, retrying transient failures; the one place httpx errors are mapped."""
        # One key for every attempt of this call, so that the server applies a POST at most once.
        headers = {"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else None
        failure: MerchantAPIUnavailable | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._delay(attempt - 1)
                logger.warning(
                    "merchant API %s %s: %s; retry %d in %.2fs", method, path, failure, attempt, delay
                )
                await asyncio.sleep(delay)
            try:
                response = await self._http.request(method, path, params=params, json=json, headers=headers)
            except _TRANSIENT_ERRORS as exc:
                failure = MerchantAPIUnavailable(f"{type(exc).__name__}: {exc or 'no detail'}")
                failure.__cause__ = exc
                continue
            except httpx.HTTPError as exc:
                raise MerchantAPIError(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code in RETRY_STATUSES:
                failure = _error_from(response, MerchantAPIUnavailable)
                continue
            return _body(response)
        assert failure is not None
        raise failure

    def _delay(self, attempt: int) -> float:
        """Exponential back-off with jitter: between 1 and 2 times backoff * 2**attempt, capped."""
        base = min(self._backoff * 2**attempt, _MAX_BACKOFF)
        return base + random.uniform(0, base)


def _transaction_path(transaction_id: str) -> str:
    if not transaction_id:
        raise ValueError("transaction_id is empty")
    return f"/v1/transactions/{quote(transaction_id, safe='')}"


def _body(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer; any other status becomes the matching error."""
    status = response.status_code
    if 200 <= status < 300:
        try:
            return response.json()
        except ValueError as exc:
            raise MerchantAPIError(
                f"the merchant API answered {status} without JSON", status_code=status
            ) from exc
    if status == 404:
        raise _error_from(response, MerchantAPINotFound)
    if 400 <= status < 500:
        raise _error_from(response, MerchantAPIRejected)
    if status >= 500:
        raise _error_from(response, MerchantAPIUnavailable)
    raise _error_from(response, MerchantAPIError)


def _error_from(response: httpx.Response, kind: type[MerchantAPIError]) -> MerchantAPIError:
    """An error of the given kind that carries the server's error code and message, when it sent them."""
    code: str | None = None
    message = response.reason_phrase or "error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("error") if isinstance(body.get("error"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else message
    label = f"{response.status_code} {code}" if code else str(response.status_code)
    return kind(f"{label}: {message}", status_code=response.status_code, code=code)


def _field(body: Any, name: str, kind: type) -> Any:
    if not isinstance(body, dict) or not isinstance(body.get(name), kind):
        raise ValueError(f"the answer lacks {name!r}")
    return body[name]


def _parse(build: Callable[[], T]) -> T:
    """Run a parser over an answer; a malformed answer becomes a MerchantAPIError."""
    try:
        return build()
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise MerchantAPIError(f"malformed answer from the merchant API: {exc}") from exc
