"""action_turn reads each message once: language, facts, QR context, and what it must not change."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rasa_sdk.executor import CollectingDispatcher

from actions.qr import qr_fact_slots
from actions.turn import TakeTurn
from bot.dialogue.state import CaseState
from tests.actions.conftest import make_tracker

SHANGHAI = ZoneInfo("Asia/Shanghai")
TERMINAL = {"kind": "terminal", "merchant_id": "898290054990001", "merchant_name": "全家便利店(徐汇店)",
            "terminal_id": "10293847"}  # fmt: skip


def _slots(events: list[dict], before: dict | None = None) -> dict:
    """The slots after the action: those it had (`before`), changed by the events it returned."""
    return {**(before or {}), **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def _asking(question: str, **slots: object) -> dict:
    return {**slots, "dialogue": CaseState(messages=1).asking(question).to_slot()}


def _texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in dispatcher.messages if m.get("text")]


async def test_one_message_fills_every_fact_and_the_card_ending_is_asked_next(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "昨天下午3点在超市刷了128块5 终端号 1029-3847 显示失败但是扣钱了")
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert slots["language"] == "zh"
    assert slots["amount"] == "128.50"
    assert slots["terminal_id"] == "10293847"
    when = datetime.fromisoformat(slots["transaction_time"])
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    assert when.date() == yesterday and when.hour in (14, 15)
    assert when.utcoffset() == timedelta(hours=8)
    assert slots["dialogue"]["pending_question"] == "card_last4"
    assert "后4位" in _texts(dispatcher)[-1]


async def test_english_message_switches_language(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "it was 88 yuan", slots={"language": "zh"})
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert slots["language"] == "en"
    assert slots["amount"] == "88.00"


async def test_a_chinese_shop_name_in_an_english_sentence_keeps_english(domain, dispatcher) -> None:
    before = {"language": "en"}
    tracker = make_tracker(domain, "I paid at 罗森 下午四点 and it said 失败", slots=before)
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain), before)
    assert slots["language"] == "en"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in text[:8]) for text in _texts(dispatcher))


async def test_bare_number_keeps_language_and_answers_the_question(domain, dispatcher) -> None:
    before = _asking("amount", language="en")
    tracker = make_tracker(domain, "128", slots=before)
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain), before)
    assert slots["language"] == "en"
    assert slots["amount"] == "128.00"


async def test_language_picked_in_the_widget_outranks_the_conversation_so_far(domain, dispatcher) -> None:
    metadata = {"language": "en", "language_chosen": True}
    tracker = make_tracker(domain, "128", slots={"language": "zh"}, metadata=metadata)
    assert _slots(await TakeTurn().run(dispatcher, tracker, domain))["language"] == "en"


async def test_browser_language_is_only_a_guess_after_the_user_has_written(domain, dispatcher) -> None:
    before = {"language": "zh"}
    tracker = make_tracker(domain, "128", slots=before, metadata={"language": "en"})
    assert _slots(await TakeTurn().run(dispatcher, tracker, domain), before)["language"] == "zh"


async def test_zero_amount_is_refused_with_the_reason_and_asked_again(domain, dispatcher) -> None:
    known_time = {
        "transaction_window_start": "2026-12-01T15:00+08:00",
        "transaction_window_end": "2026-12-01T16:00+08:00",
    }
    tracker = make_tracker(domain, "0元", slots=_asking("amount", **known_time))
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert "amount" not in slots
    texts = _texts(dispatcher)
    assert "¥0.00" in texts[0] and "大于0" in texts[0]
    assert slots["dialogue"]["asked"]["amount"] == 2


async def test_future_time_is_refused(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "明天下午3点刷的卡")
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert "transaction_time" not in slots
    assert "还没到" in _texts(dispatcher)[0]


async def test_wrong_length_terminal_id_is_refused(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "TID is 12345", slots={"language": "en"})
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert "terminal_id" not in slots
    assert "12345" in _texts(dispatcher)[0] and "8" in _texts(dispatcher)[0]


async def test_a_correction_while_collecting_is_confirmed(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "不对，是138", slots=_asking("terminal_id", amount="128.00"))
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert Decimal(slots["amount"]) == Decimal("138")
    assert "¥138.00" in _texts(dispatcher)[0]


async def test_after_the_outcome_numbers_in_a_complaint_change_no_fact(domain, dispatcher) -> None:
    done = {"dialogue": CaseState(stage="done").to_slot(), "amount": "45.60", "case_outcome": "refund_ticket",
            "ticket_number": "RF-20261202-0001-G", "expected_by": "2026-12-16", "language": "zh"}  # fmt: skip
    tracker = make_tracker(domain, "要等四个月？？就几十块钱", slots=done)
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert "amount" not in slots and "transaction_time" not in slots
    texts = _texts(dispatcher)
    assert any("RF-20261202-0001-G" in text and "12月16日" in text for text in texts)
    assert not any("改" in text or "更新" in text for text in texts)


async def test_i_dont_know_the_terminal_goes_on_to_the_shop(domain, dispatcher) -> None:
    slots = _asking("terminal_id", transaction_window_start="2026-12-01T15:00+08:00",
                    transaction_window_end="2026-12-01T16:00+08:00", amount="45.60")  # fmt: skip
    tracker = make_tracker(domain, "不知道", slots=slots)
    events = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert events["dialogue"]["unknown"] == ["terminal_id"]
    assert events["dialogue"]["pending_question"] == "merchant_name"
    assert "merchant_name" not in events


async def test_the_answer_to_which_shop_is_the_name(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "楼下那家小超市", slots=_asking("merchant_name"), intent="nlu_fallback")
    assert _slots(await TakeTurn().run(dispatcher, tracker, domain))["merchant_name"] == "楼下那家小超市"


async def test_a_redacted_message_gets_a_warning(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "卡号 [***]", metadata={"redacted": ["card_number"]})
    await TakeTurn().run(dispatcher, tracker, domain)
    assert "卡号" in _texts(dispatcher)[0]


async def test_client_time_zone_is_used(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "yesterday at 11:30pm", metadata={"timezone": "America/New_York"})
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert slots["timezone"] == "America/New_York"
    when = datetime.fromisoformat(slots["transaction_time"])
    assert when.utcoffset() == datetime.now(ZoneInfo("America/New_York")).utcoffset()
    assert (when.hour, when.minute) == (23, 30)


async def test_a_terminal_code_fills_the_terminal_and_greets_with_the_shop(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata={"qr": TERMINAL},
                           slots={"language": "zh"})  # fmt: skip
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert (slots["terminal_id"], slots["merchant_name"]) == ("10293847", "全家便利店(徐汇店)")
    [greeting] = _texts(dispatcher)
    assert "全家便利店(徐汇店)" in greeting and "终端号" in greeting
    assert slots["dialogue"]["messages"] == 0, "the scan is not a customer message"


async def test_a_qr_context_on_the_first_typed_message_is_honoured(domain, dispatcher) -> None:
    # Contract 6: another client sends the code with the customer's first text over REST.
    tracker = make_tracker(domain, "刷卡失败了 扣了45.6", metadata={"qr": TERMINAL})
    slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
    assert slots["terminal_id"] == "10293847" and slots["amount"] == "45.60"
    assert slots["dialogue"]["pending_question"] == "transaction_time"


def test_a_counter_code_fills_every_fact_on_the_customers_clock() -> None:
    qr = {**TERMINAL, "kind": "counter", "amount": "128.50", "transaction_time": "2026-11-26T06:05:00+00:00"}
    filled = qr_fact_slots(qr, SHANGHAI)
    assert filled["amount"] == "128.50" and filled["terminal_id"] == "10293847"
    assert filled["transaction_time"] == "2026-11-26T14:05+08:00", "on the customer's clock"
    start, end = (
        datetime.fromisoformat(filled[k]) for k in ("transaction_window_start", "transaction_window_end")
    )
    assert (end - start).total_seconds() == 600 and filled["transaction_time_exact"] is True


async def test_without_a_verified_code_it_is_an_ordinary_greeting(domain) -> None:
    for metadata in ({}, {"qr": "forged"}, {"qr": {"terminal_id": "not an id!"}}):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(domain, "/qr_scanned", intent="qr_scanned", metadata=metadata)
        slots = _slots(await TakeTurn().run(dispatcher, tracker, domain))
        assert "terminal_id" not in slots
        assert "终端号" in _texts(dispatcher)[0]


def test_a_counter_code_with_broken_facts_only_fills_the_terminal() -> None:
    qr = {**TERMINAL, "kind": "counter", "amount": "-3", "transaction_time": "yesterday"}
    assert set(qr_fact_slots(qr, SHANGHAI)) == {"terminal_id", "merchant_name"}


async def test_a_slot_that_keeps_its_value_is_not_set_again(domain, dispatcher) -> None:
    tracker = make_tracker(domain, "128", slots=_asking("amount", language="en", timezone="Asia/Shanghai"))
    events = await TakeTurn().run(dispatcher, tracker, domain)
    assert [e["name"] for e in events if e["event"] == "slot"] == ["amount", "dialogue"]
