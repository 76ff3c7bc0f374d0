"""The client reading from the real sandbox over loopback: a transaction's fields, searches by
terminal, window, amount and merchant name, narrowing by card keys, bad keys refused.
"""

from __future__ import annotations

import time
from datetime import timedelta, timezone
from decimal import Decimal

import pytest

from bot.merchant_api import MerchantAPINotFound, MerchantAPIRejected, SearchQuery
from tests.bot.merchant_api.searches import MINUTES, around, ids


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
