"""The sandbox merchant API: a Sanic app over its own database, with fault injection for demos and tests.

It answers the routes of `bot/merchant_api/openapi.yaml`. Sandbox-only routes (`/_faults`,
`/_requests`, `/_transactions`) answer on loopback only and are never part of a production merchant API.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from functools import wraps
from pathlib import Path
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse, empty, json

from bot.merchant_api.models import SearchQuery, parse_amount, parse_datetime
from devtools.sandbox.database import (
    AmountTooLarge,
    NoSuchTransaction,
    RequestRefused,
    SandboxDatabase,
    StateConflict,
)
from devtools.sandbox.faults import Faults
from devtools.sandbox.seed import SEED_CSV, parse_transactions, read_transactions, shift_to_now

logger = logging.getLogger(__name__)

MAX_WINDOW = timedelta(days=31)
MAX_REASON_CHARS = 500
MAX_IDEMPOTENCY_KEY_CHARS = 100
REQUEST_LOG_SIZE = 1000
SEARCH_PARAMS = ("start", "end", "terminal_id", "merchant_name", "amount", "card_last4", "rrn", "voucher_no")
_LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    503: "unavailable",
}

Handler = Callable[..., Awaitable[HTTPResponse]]


class BadRequest(Exception):
    """A request the API cannot read: a missing, unknown or malformed parameter or body field."""


def create_app(
    database_url: str,
    transactions_csv: Path | None,
    api_key: str,
    faults: Faults,
    *,
    shift_times: bool | None = None,
    now: datetime | None = None,
) -> Sanic:
    """The sandbox app, its database freshly loaded from the CSV (the seed file when None).

    The seed file's times are shifted so that its newest transaction is about an hour before `now`;
    a given CSV is loaded as it is. `shift_times` overrides either default.
    """
    transactions = read_transactions(transactions_csv or SEED_CSV)
    if shift_times if shift_times is not None else transactions_csv is None:
        transactions = shift_to_now(transactions, now or datetime.now(timezone.utc))
    database = SandboxDatabase(database_url)
    loaded = database.reset(transactions)
    logger.info("sandbox: %d transactions from %s", loaded, transactions_csv or SEED_CSV)

    app = Sanic(f"merchant-sandbox-{uuid.uuid4().hex[:12]}")
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 2.0
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.database = database
    app.ctx.faults = faults
    app.ctx.api_key = api_key
    app.ctx.requests = deque(maxlen=REQUEST_LOG_SIZE)

    app.add_route(_api(health, require_key=False), "/health", methods=["GET"], name="health")
    app.add_route(_api(search), "/v1/transactions", methods=["GET"], name="search")
    app.add_route(_api(get_transaction), "/v1/transactions/<transaction_id:str>", methods=["GET"], name="get")
    app.add_route(
        _api(push_reversal),
        "/v1/transactions/<transaction_id:str>/reversal-push",
        methods=["POST"],
        name="reversal_push",
    )
    app.add_route(
        _api(create_refund), "/v1/transactions/<transaction_id:str>/refunds", methods=["POST"], name="refunds"
    )
    app.add_route(_loopback(get_faults), "/_faults", methods=["GET"], name="get_faults")
    app.add_route(_loopback(set_faults), "/_faults", methods=["POST"], name="set_faults")
    app.add_route(_loopback(list_requests), "/_requests", methods=["GET"], name="list_requests")
    app.add_route(_loopback(clear_requests), "/_requests", methods=["DELETE"], name="clear_requests")
    app.add_route(
        _loopback(replace_transactions), "/_transactions", methods=["PUT"], name="replace_transactions"
    )
    app.error_handler.add(Exception, _on_exception)
    app.register_listener(_dispose, "after_server_stop")
    return app


def error(status: int, code: str, message: str) -> HTTPResponse:
    """The API's error answer: `{"error": code, "message": message}`."""
    return json({"error": code, "message": message}, status=status, ensure_ascii=False)


def _api(handler: Handler, *, require_key: bool = True) -> Handler:
    """Wrap an API route: log the request, apply the faults, then check the API key."""

    @wraps(handler)
    async def route(request: Request, **kwargs: Any) -> HTTPResponse:
        ctx = request.app.ctx
        ctx.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": {
                    name: list(values) for name, values in request.get_args(keep_blank_values=True).items()
                },
                "at": datetime.now(timezone.utc).isoformat(),
            }
        )
        faults: Faults = ctx.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.should_fail():
            return error(503, "unavailable", "the merchant API is unavailable (sandbox fault injection)")
        if require_key and not _key_ok(request.headers.get("X-API-Key"), ctx.api_key):
            return error(401, "unauthorized", "a valid X-API-Key header is required")
        try:
            return await handler(request, **kwargs)
        except BadRequest as exc:
            return error(400, "bad_request", str(exc))
        except NoSuchTransaction as exc:
            return error(404, exc.code, exc.message)
        except StateConflict as exc:
            return error(409, exc.code, exc.message)
        except AmountTooLarge as exc:
            return error(422, exc.code, exc.message)
        except RequestRefused as exc:
            return error(400, exc.code, exc.message)

    return route


def _loopback(handler: Handler) -> Handler:
    """Wrap a sandbox-control route: loopback callers only, never faulted."""

    @wraps(handler)
    async def route(request: Request, **kwargs: Any) -> HTTPResponse:
        if request.ip not in _LOOPBACK:
            return error(403, "forbidden", "sandbox controls answer on loopback only")
        return await handler(request, **kwargs)

    return route


def _key_ok(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def health(request: Request) -> HTTPResponse:
    """`GET /health`."""
    return json({"status": "ok"})


async def search(request: Request) -> HTTPResponse:
    """`GET /v1/transactions`: search by window and keys."""
    query = _search_query(request)
    found = request.app.ctx.database.search(query)
    return json({"transactions": [t.to_json() for t in found]}, ensure_ascii=False)


async def get_transaction(request: Request, transaction_id: str) -> HTTPResponse:
    """`GET /v1/transactions/{id}`."""
    transaction = request.app.ctx.database.get(transaction_id)
    if transaction is None:
        raise NoSuchTransaction(f"no transaction {transaction_id}")
    return json(transaction.to_json(), ensure_ascii=False)


async def push_reversal(request: Request, transaction_id: str) -> HTTPResponse:
    """`POST /v1/transactions/{id}/reversal-push`: 202 when the reversal can be pushed."""
    push = request.app.ctx.database.push_reversal(transaction_id, _idempotency_key(request))
    body = {"request_id": push.request_id, "transaction_id": push.transaction_id, "status": "accepted"}
    return json(body, status=202)


async def create_refund(request: Request, transaction_id: str) -> HTTPResponse:
    """`POST /v1/transactions/{id}/refunds` with `{"amount": "12.50", "reason": "..."}`."""
    key = _idempotency_key(request)
    body = request.json
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object with amount and reason")
    unknown = set(body) - {"amount", "reason"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(unknown))}")
    try:
        amount = parse_amount(body.get("amount"))
    except ValueError:
        raise BadRequest('amount must be a string of yuan with at most two decimals, e.g. "12.50"') from None
    if amount <= 0:
        raise BadRequest("amount must be more than zero")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise BadRequest(f"reason must be a non-empty string of at most {MAX_REASON_CHARS} characters")
    refund = request.app.ctx.database.refund(transaction_id, amount, reason, key)
    answer = {
        "refund_id": refund.refund_id,
        "transaction_id": refund.transaction_id,
        "amount": f"{refund.amount:.2f}",
        "status": "accepted",
    }
    return json(answer, status=201)


async def get_faults(request: Request) -> HTTPResponse:
    """`GET /_faults`: the fault injection now."""
    return json(request.app.ctx.faults.to_json())


async def set_faults(request: Request) -> HTTPResponse:
    """`POST /_faults` with any of latency_ms, error_rate, down."""
    body = request.json
    if not isinstance(body, dict):
        return error(400, "bad_request", "the body must be a JSON object")
    faults: Faults = request.app.ctx.faults
    try:
        faults.update(body)
    except ValueError as exc:
        return error(400, "bad_request", str(exc))
    logger.info("sandbox faults now %s", faults.to_json())
    return json(faults.to_json())


async def list_requests(request: Request) -> HTTPResponse:
    """`GET /_requests`: the API requests received (newest last), faulted or not."""
    return json({"requests": list(request.app.ctx.requests)}, ensure_ascii=False)


async def replace_transactions(request: Request) -> HTTPResponse:
    """`PUT /_transactions` with a CSV of the contract: every transaction replaced by its rows, as given."""
    try:
        transactions = parse_transactions(request.body.decode("utf-8-sig").splitlines(), "body")
    except (UnicodeDecodeError, ValueError) as exc:
        return error(400, "bad_request", str(exc))
    loaded = request.app.ctx.database.reset(transactions)
    logger.info("sandbox: %d transactions replaced by a control request", loaded)
    return json({"loaded": loaded})


async def clear_requests(request: Request) -> HTTPResponse:
    """`DELETE /_requests`: forget the request log."""
    request.app.ctx.requests.clear()
    return empty()


def _search_query(request: Request) -> SearchQuery:
    """Read and check the search parameters."""
    args = request.get_args(keep_blank_values=True)
    unknown = set(args) - set(SEARCH_PARAMS)
    if unknown:
        raise BadRequest(f"unknown parameters: {', '.join(sorted(unknown))}")
    values: dict[str, str] = {}
    for name, given in args.items():
        if len(given) != 1 or not given[0].strip():
            raise BadRequest(f"{name} must be given once and not be empty")
        values[name] = given[0].strip()
    for name in ("start", "end"):
        if name not in values:
            raise BadRequest(f"{name} is required (ISO 8601 with a UTC offset)")
    try:
        start, end = parse_datetime(values["start"]), parse_datetime(values["end"])
    except ValueError:
        raise BadRequest("start and end must be ISO 8601 times with a UTC offset") from None
    if end < start:
        raise BadRequest("end is before start")
    if end - start > MAX_WINDOW:
        raise BadRequest(f"the window may span at most {MAX_WINDOW.days} days")
    amount = None
    if "amount" in values:
        try:
            amount = parse_amount(values["amount"])
        except ValueError:
            raise BadRequest("amount must be yuan with at most two decimals, e.g. 128.50") from None
    patterns = {
        "terminal_id": (8, str.isalnum, "8 letters or digits"),
        "card_last4": (4, str.isdigit, "4 digits"),
        "rrn": (12, str.isalnum, "12 letters or digits"),
        "voucher_no": (6, str.isdigit, "6 digits"),
    }
    for name, (length, check, described) in patterns.items():
        value = values.get(name)
        if value is not None and not (len(value) == length and value.isascii() and check(value)):
            raise BadRequest(f"{name} must be {described}")
    merchant_name = values.get("merchant_name")
    if merchant_name is not None and len(merchant_name) > 100:
        raise BadRequest("merchant_name may have at most 100 characters")
    return SearchQuery(
        start=start,
        end=end,
        terminal_id=values.get("terminal_id"),
        merchant_name=merchant_name,
        amount=amount,
        card_last4=values.get("card_last4"),
        rrn=values.get("rrn"),
        voucher_no=values.get("voucher_no"),
    )


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
        raise BadRequest(f"Idempotency-Key must have 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters")
    return key


def _on_exception(request: Request, exception: Exception) -> HTTPResponse:
    """Every other failure as the API's JSON error."""
    if isinstance(exception, SanicException):
        status = exception.status_code
        return error(status, _STATUS_CODES.get(status, "error"), str(exception) or "error")
    logger.exception("sandbox: unexpected error on %s %s", request.method, request.path)
    return error(500, "internal_error", "the sandbox failed; see its log")


async def _dispose(app: Sanic, _loop: Any) -> None:
    app.ctx.database.dispose()
