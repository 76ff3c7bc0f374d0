from datetime import datetime

from rasa_sdk.executor import CollectingDispatcher

from actions.qr import StartFromQr
from tests.actions.conftest import make_tracker

TERMINAL = {"kind": "terminal", "merchant_id": "898290054990001", "merchant_name": "全家便利店(徐汇店)",
            "terminal_id": "10293847"}  # fmt: skip


def _slots(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_a_terminal_code_fills_the_terminal_and_greets_with_the_shop(domain) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata={"qr": TERMINAL},
                           slots={"language": "zh"})  # fmt: skip
    events = await StartFromQr().run(dispatcher, tracker, domain)
    assert _slots(events) == {"terminal_id": "10293847", "merchant_name": "全家便利店(徐汇店)"}
    assert not any(e["event"] == "followup" for e in events)
    [greeting] = dispatcher.messages
    assert "全家便利店(徐汇店)" in greeting["text"] and "终端号" in greeting["text"]


async def test_a_counter_code_fills_every_fact_and_goes_to_the_read_back(domain) -> None:
    dispatcher = CollectingDispatcher()
    qr = {**TERMINAL, "kind": "counter", "amount": "128.50", "transaction_time": "2026-11-26T06:05:00+00:00"}
    tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata={"qr": qr},
                           slots={"language": "en"})  # fmt: skip
    events = await StartFromQr().run(dispatcher, tracker, domain)
    slots = _slots(events)
    assert slots["amount"] == "128.50" and slots["terminal_id"] == "10293847"
    assert datetime.fromisoformat(slots["transaction_time"]) == datetime.fromisoformat(qr["transaction_time"])
    assert slots["transaction_time"] == "2026-11-26T14:05+08:00", "on the customer's clock"
    start, end = (
        datetime.fromisoformat(slots[k]) for k in ("transaction_window_start", "transaction_window_end")
    )
    assert (end - start).total_seconds() == 600 and slots["transaction_time_exact"] is True
    assert events[-1] == {"event": "followup", "name": "action_confirm_facts", "timestamp": None}
    assert (
        "全家便利店(徐汇店)" in dispatcher.messages[0]["text"] and "staff" in dispatcher.messages[0]["text"]
    )


async def test_without_a_verified_code_it_is_an_ordinary_greeting(domain) -> None:
    for metadata in ({}, {"qr": "forged"}, {"qr": {"terminal_id": "not an id!"}}):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata=metadata)
        assert await StartFromQr().run(dispatcher, tracker, domain) == []
        assert "终端号" in dispatcher.messages[0]["text"]


async def test_a_counter_code_with_broken_facts_only_fills_the_terminal(domain) -> None:
    dispatcher = CollectingDispatcher()
    qr = {**TERMINAL, "kind": "counter", "amount": "-3", "transaction_time": "yesterday"}
    tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata={"qr": qr})
    events = await StartFromQr().run(dispatcher, tracker, domain)
    assert set(_slots(events)) == {"terminal_id", "merchant_name"}
