from actions.confirmation import CancelComplaint, ConfirmFacts, HandleDenial
from tests.actions.conftest import make_tracker

FACTS = {
    "transaction_time": "2026-11-25T15:30+08:00",
    "transaction_window_start": "2026-11-25T15:00+08:00",
    "transaction_window_end": "2026-11-25T16:00+08:00",
    "transaction_time_exact": False,
    "amount": "128.50",
    "terminal_id": "10293847",
}


async def test_read_back_in_chinese_with_yes_no_buttons(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "10293847", slots={**FACTS, "language": "zh"})
    await ConfirmFacts().run(dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    assert "11月25日(周三) 15:00–16:00" in message["text"]
    assert "¥128.50" in message["text"] and "终端号：10293847" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    assert not any(c.isascii() and c.isalpha() for c in message["text"].replace("¥", ""))


async def test_read_back_in_english_names_the_shop_when_there_is_no_terminal_id(domain, dispatcher) -> None:
    slots = {**FACTS, "terminal_id": None, "merchant_name": "Luckin Coffee", "language": "en"}
    await ConfirmFacts().run(dispatcher, make_tracker(domain, "x", slots=slots), domain)
    assert "Shop: Luckin Coffee" in dispatcher.messages[0]["text"]
    assert "Is that correct?" in dispatcher.messages[0]["text"]


async def test_plain_no_asks_which_fact_is_wrong(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "不对", slots=FACTS, intent="deny")
    await HandleDenial().run(dispatcher, tracker, domain)
    assert "哪一项不对" in dispatcher.messages[0]["text"]


async def test_no_with_the_right_value_reads_back_again(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain,
        "不对，是138",
        slots={**FACTS, "amount": "138.00"},
        intent="deny",
        events_after_user=[{"event": "slot", "name": "amount", "value": "138.00"}],
    )
    await HandleDenial().run(dispatcher, tracker, domain)
    assert "¥138.00" in dispatcher.messages[0]["text"]
    assert "/affirm" in [b["payload"] for b in dispatcher.messages[0]["buttons"]]


async def test_cancel_forgets_the_facts_and_stops_the_form(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "算了", slots=FACTS, intent="cancel", active_loop="complaint_form")
    events = await CancelComplaint().run(dispatcher, tracker, domain)
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"transaction_time", "amount", "terminal_id"} <= cleared
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
