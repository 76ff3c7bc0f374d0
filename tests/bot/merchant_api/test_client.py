"""The client against the real sandbox over loopback; respx only for faults a real server cannot make."""

from __future__ import annotations

import time
from datetime import timedelta, timezone
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
    SearchQuery,
    Transaction,
)
from devtools.processes import free_port

MINUTES = timedelta(minutes=1)


def around(transaction: Transaction, minutes: int = 30, **keys: object) -> SearchQuery:
    """A search window of ± minutes around a transaction, with the given keys."""
    start = transaction.created_at - minutes * MINUTES
    end = transaction.created_at + minutes * MINUTES
    return SearchQuery(start=start, end=end, **keys)  # type: ignore[arg-type]


def ids(transactions: list[Transaction]) -> list[str]:
    return [t.transaction_id for t in transactions]


# --- reading -----------------------------------------------------------------------------------------


async def test_get_parses_every_field(make_api) -> None:
    async with make_api() as api:
        t = await api.get("TXN0005")
    assert t.merchant_name == "全家便利店(徐汇店)" and t.merchant_id == "898290054990001"
    assert (t.terminal_id, t.card_last4, t.card_type, t.network) == ("10293847", "3821", "debit", "unionpay")
    assert t.amount == Decimal("128.50") and str(t.amount) == "128.50" and t.currency == "CNY"
    assert t.created_at.utcoffset() == timedelta(hours=8)
    assert (t.response_code, t.terminal_result, t.reversal_status, t.settlement_status) == (
        "00",
        "failed",
        "pending",
        "unsettled",
    )
    assert t.rrn is not None and len(t.rrn) == 12 and t.voucher_no is not None and len(t.voucher_no) == 6


async def test_seed_times_are_recent(make_api) -> None:
    async with make_api() as api:
        newest = await api.get("TXN0033")
    age = time.time() - newest.created_at.timestamp()
    assert 50 * 60 <= age <= 70 * 60 + 60


async def test_unknown_fields_become_none(make_api) -> None:
    async with make_api() as api:
        t = await api.get("TXN0014")
    assert t.rrn is None and t.voucher_no is None and t.response_code == "98"


async def test_not_found(make_api, sandbox) -> None:
    async with make_api() as api:
        with pytest.raises(MerchantAPINotFound) as caught:
            await api.get("TXN9999")
    assert caught.value.status_code == 404 and caught.value.code == "not_found"
    assert len(sandbox.requests()) == 1  # a 4xx is never retried


async def test_an_id_cannot_escape_its_path(make_api) -> None:
    async with make_api() as api:
        with pytest.raises(MerchantAPINotFound):
            await api.get("../transactions/TXN0005")
        with pytest.raises(ValueError):
            await api.get("")


async def test_search_by_terminal_window_and_amount(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0005")
        found = await api.search(around(target, terminal_id="10293847", amount=Decimal("128.50")))
        assert found == [target]
        # the amount is exact to the fen, however it is written
        assert await api.search(around(target, terminal_id="10293847", amount=Decimal("128.5"))) == [target]
        assert await api.search(around(target, terminal_id="10293847", amount=Decimal("128.00"))) == []
        assert target in await api.search(around(target, terminal_id="10293847"))


async def test_search_window_is_inclusive_and_zone_independent(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0005")
        at = target.created_at.astimezone(timezone.utc)
        exact = SearchQuery(start=at, end=at, terminal_id="10293847")
        assert await api.search(exact) == [target]
        later = SearchQuery(start=at + MINUTES, end=at + 60 * MINUTES, terminal_id="10293847")
        assert target not in await api.search(later)


async def test_terminal_id_is_case_insensitive(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0030")
        assert ids(await api.search(around(target, terminal_id="p9004521", amount=Decimal(20)))) == [
            "TXN0030"
        ]


@pytest.mark.parametrize(
    "typed",
    ["全家", "全家便利店(徐汇店)", "全家便利店（徐汇店）", "全家便利店(徐汇店)收银台", " 全家 便利店 "],
)
async def test_search_by_merchant_name_either_way(make_api, typed: str) -> None:
    async with make_api() as api:
        target = await api.get("TXN0005")
        found = await api.search(around(target, merchant_name=typed, amount=Decimal("128.50")))
    assert ids(found) == ["TXN0005"]


async def test_merchant_name_is_case_insensitive(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0028")
        found = await api.search(around(target, merchant_name="7-eleven", amount=Decimal(35)))
    assert ids(found) == ["TXN0028"]


async def test_merchant_name_that_matches_nothing(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0005")
        assert await api.search(around(target, merchant_name="罗森", amount=Decimal("128.50"))) == []


async def test_window_alone_finds_several(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0018")
        found = await api.search(around(target, minutes=10))
    assert {"TXN0017", "TXN0018", "TXN0019", "TXN0020"} <= set(ids(found))
    assert [t.created_at for t in found] == sorted(t.created_at for t in found)


async def test_candidates_narrowed_by_last4_rrn_or_voucher(make_api) -> None:
    async with make_api() as api:
        target = await api.get("TXN0018")
        wide = around(target, minutes=10, terminal_id="31570043", amount=Decimal(50))
        assert ids(await api.search(wide)) == ["TXN0017", "TXN0018", "TXN0019", "TXN0020"]
        assert len({t.card_last4 for t in await api.search(wide)}) == 4
        for key in ({"card_last4": "9035"}, {"rrn": target.rrn}, {"voucher_no": target.voucher_no}):
            narrowed = around(target, minutes=10, terminal_id="31570043", amount=Decimal(50), **key)
            assert await api.search(narrowed) == [target], key
        by_merchant = around(
            target, minutes=10, merchant_name="联华超市", amount=Decimal(50), card_last4="9035"
        )
        assert await api.search(by_merchant) == [target]
        assert await api.search(around(target, minutes=10, terminal_id="31570043", card_last4="0000")) == []


async def test_bad_search_keys_are_rejected_without_retry(make_api, sandbox) -> None:
    async with make_api() as api:
        target = await api.get("TXN0005")
        sandbox.clear_requests()
        with pytest.raises(MerchantAPIRejected) as caught:
            await api.search(around(target, card_last4="38"))
    assert caught.value.status_code == 400 and caught.value.code == "bad_request"
    assert len(sandbox.requests()) == 1


# --- acting ------------------------------------------------------------------------------------------


async def test_push_reversal(make_api) -> None:
    async with make_api() as api:
        pending = await api.push_reversal("TXN0005")
        failed = await api.push_reversal("TXN0006")
        with pytest.raises(MerchantAPIRejected) as caught:
            await api.push_reversal("TXN0012")  # completed normally: no reversal to push
        with pytest.raises(MerchantAPINotFound):
            await api.push_reversal("TXN9999")
    assert pending.status == failed.status == "accepted" and pending.transaction_id == "TXN0005"
    assert pending.request_id != failed.request_id
    assert caught.value.status_code == 409 and caught.value.code == "no_pending_reversal"


async def test_request_refund(make_api) -> None:
    async with make_api() as api:
        refund = await api.request_refund("TXN0007", Decimal("100.00"), "终端显示失败但已扣款")
        with pytest.raises(MerchantAPIRejected) as too_much:
            await api.request_refund("TXN0007", Decimal("386.01"), "the rest and a fen")
        rest = await api.request_refund("TXN0007", Decimal("386"), "the rest")
        with pytest.raises(MerchantAPIRejected) as declined:
            await api.request_refund("TXN0001", Decimal("86.40"), "declined")
        with pytest.raises(MerchantAPINotFound):
            await api.request_refund("TXN9999", Decimal("1.00"), "no such")
    assert (
        refund.status == "accepted"
        and refund.amount == Decimal("100.00")
        and refund.transaction_id == "TXN0007"
    )
    assert rest.amount == Decimal("386.00") and rest.refund_id != refund.refund_id
    assert too_much.value.status_code == 422 and too_much.value.code == "amount_exceeds_transaction"
    assert declined.value.status_code == 409 and declined.value.code == "not_charged"


async def test_refund_above_the_transaction_amount(make_api) -> None:
    async with make_api() as api:
        with pytest.raises(MerchantAPIRejected) as caught:
            await api.request_refund("TXN0015", Decimal("7000.00"), "more than was paid")
    assert caught.value.status_code == 422


async def test_fractions_of_a_fen_never_leave_the_client(make_api, sandbox) -> None:
    async with make_api() as api:
        with pytest.raises(ValueError):
            await api.request_refund("TXN0015", Decimal("1.005"), "x")
    assert sandbox.requests() == []


async def test_wrong_api_key_is_rejected_once(make_api, sandbox) -> None:
    async with make_api(api_key="not-the-key") as api:
        with pytest.raises(MerchantAPIRejected) as caught:
            await api.get("TXN0005")
    assert caught.value.status_code == 401 and caught.value.code == "unauthorized"
    assert len(sandbox.requests()) == 1


# --- faults of the real server -----------------------------------------------------------------------


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
    api = MerchantAPI(BASE, "k", connect_timeout=1.5, read_timeout=4)
    try:
        assert api._http.timeout == httpx.Timeout(connect=1.5, read=4, write=4, pool=1.5)
    finally:
        await api.aclose()


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ValueError):
        MerchantAPI(BASE, "k", retries=-1)
