"""The client's faults: the real sandbox down, failing or slow over loopback, nothing listening; and
with respx the faults a real server cannot easily make (retries, idempotency keys, malformed answers,
timeouts).
"""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest
import respx

from bot.merchant_api import (
    MerchantAPI,
    MerchantAPIError,
    MerchantAPINotFound,
    MerchantAPIRejected,
    MerchantAPIUnavailable,
    Transaction,
)
from devtools.processes import free_port
from tests.bot.merchant_api.searches import around, ids


async def test_down_is_unavailable_after_the_retries(make_api, sandbox) -> None:
    sandbox.set_faults(down=True)
    async with make_api(retries=2) as api:
        with pytest.raises(MerchantAPIUnavailable) as caught:
            await api.get("TXN0005")
    assert caught.value.status_code == 503 and caught.value.code == "unavailable"
    assert [r["path"] for r in sandbox.requests()] == ["/v1/transactions/TXN0005"] * 3


async def test_errors_then_recovery(make_api, sandbox) -> None:
    async with make_api(retries=1) as api:
        query = around(await api.get("TXN0005"), terminal_id="10293847")
        sandbox.set_faults(error_rate=1.0)
        sandbox.clear_requests()
        with pytest.raises(MerchantAPIUnavailable):
            await api.search(query)
        assert len(sandbox.requests()) == 2
        sandbox.set_faults(error_rate=0)
        assert ids(await api.search(query)) == ["TXN0005"]


async def test_latency_above_the_read_timeout_is_unavailable(make_api, sandbox) -> None:
    sandbox.set_faults(latency_ms=1500)
    started = time.monotonic()
    async with make_api(read_timeout=0.25, retries=1) as api:
        with pytest.raises(MerchantAPIUnavailable) as caught:
            await api.get("TXN0005")
    assert time.monotonic() - started < 1.4
    assert "ReadTimeout" in str(caught.value)
    assert len(sandbox.requests()) == 2


async def test_latency_below_the_read_timeout_is_fine(make_api, sandbox) -> None:
    sandbox.set_faults(latency_ms=100)
    async with make_api(read_timeout=2) as api:
        assert (await api.get("TXN0005")).transaction_id == "TXN0005"
    assert len(sandbox.requests()) == 1


async def test_nothing_listening_is_unavailable() -> None:
    async with MerchantAPI(f"http://127.0.0.1:{free_port()}", "k", retries=1, backoff=0.01) as api:
        with pytest.raises(MerchantAPIUnavailable) as caught:
            await api.get("TXN0005")
    assert "ConnectError" in str(caught.value)


# --- faults a real server cannot easily make (respx) -------------------------------------------------

BASE = "http://merchant.test"
SAMPLE = {
    "transaction_id": "TXN0005",
    "merchant_id": "898290054990001",
    "merchant_name": "全家便利店(徐汇店)",
    "terminal_id": "10293847",
    "card_last4": "3821",
    "card_type": "debit",
    "network": "unionpay",
    "amount": "128.50",
    "currency": "CNY",
    "created_at": "2025-11-24T15:32:08+08:00",
    "response_code": "00",
    "terminal_result": "failed",
    "reversal_status": "pending",
    "settlement_status": "unsettled",
    "rrn": None,
    "voucher_no": None,
}


def mocked(**options: object) -> tuple[respx.MockRouter, MerchantAPI]:
    router = respx.MockRouter(base_url=BASE, assert_all_called=False)
    settings: dict = {"retries": 2, "backoff": 0.01, **options}
    return router, MerchantAPI(BASE, "k", transport=httpx.MockTransport(router.async_handler), **settings)


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_gateway_error_is_retried(status: int) -> None:
    router, api = mocked()
    route = router.get("/v1/transactions/TXN0005").mock(
        side_effect=[httpx.Response(status), httpx.Response(200, json=SAMPLE)]
    )
    async with api:
        assert (await api.get("TXN0005")).amount == Decimal("128.50")
    assert route.call_count == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
    ],
)
async def test_a_transport_failure_is_retried(failure: Exception) -> None:
    router, api = mocked()
    route = router.get("/v1/transactions/TXN0005").mock(
        side_effect=[failure, httpx.Response(200, json=SAMPLE)]
    )
    async with api:
        assert (await api.get("TXN0005")).transaction_id == "TXN0005"
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, MerchantAPIRejected),
        (401, MerchantAPIRejected),
        (404, MerchantAPINotFound),
        (409, MerchantAPIRejected),
        (422, MerchantAPIRejected),
        (429, MerchantAPIRejected),
        (500, MerchantAPIUnavailable),
    ],
)
async def test_other_statuses_are_not_retried(status: int, kind: type[MerchantAPIError]) -> None:
    router, api = mocked()
    route = router.get("/v1/transactions/TXN0005").mock(
        return_value=httpx.Response(status, json={"error": "x", "message": "no"})
    )
    async with api:
        with pytest.raises(kind) as caught:
            await api.get("TXN0005")
    assert route.call_count == 1
    assert caught.value.status_code == status and caught.value.code == "x" and "no" in str(caught.value)


async def test_retries_back_off_exponentially() -> None:
    router, api = mocked(retries=2, backoff=0.05)
    route = router.get("/v1/transactions/TXN0005").mock(side_effect=[httpx.Response(503)] * 3)
    started = time.monotonic()
    async with api:
        with pytest.raises(MerchantAPIUnavailable):
            await api.get("TXN0005")
    elapsed = time.monotonic() - started
    assert route.call_count == 3
    assert 0.05 + 0.10 <= elapsed < 2 * (0.05 + 0.10) + 0.5


async def test_a_post_keeps_its_idempotency_key_across_retries() -> None:
    router, api = mocked()
    accepted = {"refund_id": "RFD1", "transaction_id": "TXN0005", "amount": "128.50", "status": "accepted"}
    route = router.post("/v1/transactions/TXN0005/refunds").mock(
        side_effect=[httpx.ReadTimeout("read timed out"), httpx.Response(201, json=accepted)]
    )
    async with api:
        refund = await api.request_refund("TXN0005", Decimal("128.50"), "x")
    keys = [call.request.headers["Idempotency-Key"] for call in route.calls]
    assert refund.refund_id == "RFD1"
    assert len(keys) == 2 and keys[0] == keys[1]


async def test_each_call_has_its_own_idempotency_key() -> None:
    router, api = mocked()
    accepted = {"request_id": "RVP1", "transaction_id": "TXN0005", "status": "accepted"}
    route = router.post("/v1/transactions/TXN0005/reversal-push").mock(
        return_value=httpx.Response(202, json=accepted)
    )
    async with api:
        await api.push_reversal("TXN0005")
        await api.push_reversal("TXN0005")
    keys = {call.request.headers["Idempotency-Key"] for call in route.calls}
    assert len(keys) == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>proxy login</html>"),
        httpx.Response(200, json={**SAMPLE, "amount": 128.5}),
        httpx.Response(200, json={**SAMPLE, "created_at": "2025-11-24T15:32:08"}),
        httpx.Response(200, json={**SAMPLE, "network": "amex"}),
        httpx.Response(200, json={key: value for key, value in SAMPLE.items() if key != "terminal_id"}),
        httpx.Response(301, headers={"Location": "http://elsewhere.test/"}),
    ],
)
async def test_a_malformed_answer_is_a_merchant_api_error(answer: httpx.Response) -> None:
    router, api = mocked()
    router.get("/v1/transactions/TXN0005").mock(return_value=answer)
    async with api:
        with pytest.raises(MerchantAPIError) as caught:
            await api.get("TXN0005")
    assert type(caught.value) is MerchantAPIError


async def test_a_search_answer_without_a_list_is_malformed() -> None:
    router, api = mocked()
    router.get("/v1/transactions").mock(return_value=httpx.Response(200, json={"items": []}))
    async with api:
        with pytest.raises(MerchantAPIError):
            await api.search(around(Transaction.from_json(SAMPLE)))


async def test_timeouts_are_explicit() -> None:
    """Every request carries the timeouts it was given (httpx hands them to the transport)."""
    router, api = mocked(connect_timeout=1.5, read_timeout=4)
    route = router.get("/v1/transactions/TXN0005").mock(return_value=httpx.Response(200, json=SAMPLE))
    async with api:
        await api.get("TXN0005")
    sent = route.calls.last.request
    assert sent.extensions["timeout"] == {"connect": 1.5, "read": 4, "write": 4, "pool": 1.5}


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ValueError):
        MerchantAPI(BASE, "k", retries=-1)
