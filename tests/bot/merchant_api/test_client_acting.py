"""The client acting on the real sandbox over loopback: reversal pushes, refunds, and a wrong API key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.merchant_api import MerchantAPINotFound, MerchantAPIRejected


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
