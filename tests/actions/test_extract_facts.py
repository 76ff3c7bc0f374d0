from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rasa_sdk.executor import CollectingDispatcher

from actions.extract_facts import ExtractFacts
from tests.actions.conftest import make_tracker

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _slots(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def test_one_message_fills_every_fact(domain, dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(domain, "昨天下午3点在超市刷了128块5 终端号 1029-3847 显示失败但是扣钱了")
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "zh"
    assert slots["amount"] == "128.50"
    assert slots["terminal_id"] == "10293847"
    when = datetime.fromisoformat(slots["transaction_time"])
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    assert when.date() == yesterday and when.hour in (14, 15)
    assert when.utcoffset() == timedelta(hours=8)
    assert dispatcher.messages == []


async def test_english_message_switches_language(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "it was 88 yuan", slots={"language": "zh"})
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "en"
    assert slots["amount"] == "88.00"


async def test_bare_number_keeps_language_and_fills_requested_slot(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain,
        "128",
        slots={"language": "en", "requested_slot": "amount"},
        active_loop="complaint_form",
    )
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "en"
    assert slots["amount"] == "128.00"


async def test_language_picked_in_the_widget_outranks_the_conversation_so_far(domain, dispatcher) -> None:
    metadata = {"language": "en", "language_chosen": True}
    tracker = make_tracker(domain, "128", slots={"language": "zh"}, metadata=metadata)
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "en"


async def test_browser_language_is_only_a_guess_after_the_user_has_written(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "128", slots={"language": "zh"}, metadata={"language": "en"})
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "zh"


async def test_written_chinese_beats_a_picked_english_interface(domain, dispatcher) -> None:
    metadata = {"language": "en", "language_chosen": True}
    tracker = make_tracker(domain, "扣了我128块", slots={"language": "en"}, metadata=metadata)
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["language"] == "zh"


async def test_zero_amount_is_rejected_with_reason_in_users_language(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "0元", slots={"requested_slot": "amount"}, active_loop="complaint_form")
    events = await ExtractFacts().run(dispatcher, tracker, domain)
    slots = _slots(events)
    assert slots["amount"] is None
    assert slots["slot_failures"] == {"amount": 1}
    assert "¥0.00" in dispatcher.messages[0]["text"]
    assert "大于0" in dispatcher.messages[0]["text"]


async def test_amount_over_limit_is_rejected(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "I was charged 999999 yuan")
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["amount"] is None
    assert "999,999.00" in dispatcher.messages[0]["text"]


async def test_future_time_is_rejected(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "明天下午3点刷的卡")
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["transaction_time"] is None
    assert "还没到" in dispatcher.messages[0]["text"]


async def test_wrong_length_terminal_id_is_rejected(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "TID is 12345", slots={"language": "en"})
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["terminal_id"] is None
    assert "12345" in dispatcher.messages[0]["text"]
    assert "8" in dispatcher.messages[0]["text"]


async def test_correction_is_confirmed(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "不对，是138", slots={"amount": "128.00", "requested_slot": "terminal_id"})
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert Decimal(slots["amount"]) == Decimal("138")
    assert "¥138.00" in dispatcher.messages[0]["text"]


async def test_redacted_message_gets_a_warning_once(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "卡号 [***]", metadata={"redacted": ["card_number"]})
    await ExtractFacts().run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 1
    assert "卡号" in dispatcher.messages[0]["text"]


async def test_second_run_in_the_same_turn_does_nothing(domain, dispatcher) -> None:
    tracker = make_tracker(
        domain,
        "0元",
        events_after_user=[{"event": "slot", "name": "language", "value": "zh"}],
    )
    assert await ExtractFacts().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == []


async def test_client_time_zone_is_used(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "yesterday at 11:30pm", metadata={"timezone": "America/New_York"})
    slots = _slots(await ExtractFacts().run(dispatcher, tracker, domain))
    assert slots["timezone"] == "America/New_York"
    when = datetime.fromisoformat(slots["transaction_time"])
    assert when.utcoffset() == datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert (when.hour, when.minute) == (23, 30)
