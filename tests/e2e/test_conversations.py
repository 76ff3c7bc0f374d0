"""Whole conversations through the REST channel, the trained model and the action server."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def payloads(replies: list[dict]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]


def outcomes(replies: list[dict]) -> list[str]:
    return [r["custom"]["outcome"] for r in replies if (r.get("custom") or {}).get("type") == "case_result"]


def pending_question(assistant: Client, sender: str) -> str | None:
    return (assistant.tracker(sender)["slots"].get("dialogue") or {}).get("pending_question")


def test_chinese_complaint_one_fact_at_a_time_ends_in_an_outcome(assistant: Client) -> None:
    sender = assistant.new_sender()
    replies = assistant.say(sender, "你好 我刚才在超市刷卡 pos机显示交易失败 但是银行卡被扣钱了")
    assert "多少钱" in texts(replies)
    replies = assistant.say(sender, "128块5")
    assert "终端号" in texts(replies)
    replies = assistant.say(sender, "终端号是 1029-3847")
    assert "后4位" in texts(replies)

    slots = assistant.tracker(sender)["slots"]
    assert slots["language"] == "zh"
    assert slots["amount"] == "128.50"
    assert slots["terminal_id"] == "10293847"
    assert datetime.fromisoformat(slots["transaction_window_start"]).tzinfo is not None

    replies = assistant.say(sender, "不知道")
    assert len(outcomes(replies)) == 1, texts(replies)


def test_english_complaint_everything_in_one_message_then_a_correction(assistant: Client) -> None:
    sender = assistant.new_sender()
    replies = assistant.say(
        sender, "the card machine at 7-eleven said payment failed yesterday around 3pm but 128 yuan was taken"
    )
    assert "last 4 digits" in texts(replies)
    replies = assistant.say(sender, "sorry, it was 138 not 128")
    assert "¥138.00" in texts(replies)

    slots = assistant.tracker(sender)["slots"]
    assert slots["language"] == "en"
    assert slots["amount"] == "138.00"
    assert slots["merchant_name"] == "7-eleven"
    assert datetime.fromisoformat(slots["transaction_time"]).hour in (14, 15)


def test_interruption_is_answered_and_the_question_comes_back(assistant: Client) -> None:
    sender = assistant.new_sender()
    assistant.say(sender, "刷卡失败了但是钱扣了，昨天晚上8点左右，88元")
    replies = assistant.say(sender, "终端号在哪里看啊")
    assert "签购单" in texts(replies)
    assert pending_question(assistant, sender) == "terminal_id"


def test_no_terminal_id_goes_on_with_the_shop_name(assistant: Client) -> None:
    sender = assistant.new_sender()
    assistant.say(sender, "paid 56 yuan yesterday morning, terminal said declined, i got charged")
    replies = assistant.say(sender, "I can't find the terminal id, no receipt")
    assert "shop" in texts(replies).lower()
    assistant.say(sender, "Luckin Coffee Xuhui")
    assert assistant.tracker(sender)["slots"]["merchant_name"] == "Luckin Coffee Xuhui"
    assert pending_question(assistant, sender) == "card_last4"


def test_cancel_forgets_the_complaint(assistant: Client) -> None:
    sender = assistant.new_sender()
    assistant.say(sender, "刷卡显示失败 钱被扣了 200块")
    replies = assistant.say(sender, "算了 不弄了 取消吧")
    assert "不会保留" in texts(replies) or "停止" in texts(replies) or "取消" in texts(replies)
    assert assistant.tracker(sender)["slots"]["amount"] is None


def test_card_number_and_pin_never_reach_the_tracker_store(assistant: Client) -> None:
    sender = assistant.new_sender()
    card, pin = "6222021234567890128", "482915"
    replies = assistant.say(
        sender, f"刷卡失败扣了钱 我的卡号是{card[:4]} {card[4:8]} {card[8:12]} {card[12:]} 密码是{pin}"
    )
    assert "不要" in texts(replies)
    assistant.say(sender, f"my card number is {card} and the cvv is 123")
    rows = assistant.processes.stored_events(sender)
    assert rows, "the conversation was not stored"
    stored = "".join(rows)
    assert card not in stored and card[8:12] + " " + card[12:] not in stored
    assert pin not in stored
    assert "cvv is 123" not in stored
    if assistant.processes.tracker_db.exists():  # the local profile's SQLite file, bytes and all
        raw = assistant.processes.tracker_db.read_bytes()
        assert card.encode() not in raw and pin.encode() not in raw


def test_language_follows_the_user_mid_conversation(assistant: Client) -> None:
    sender = assistant.new_sender()
    replies = assistant.say(sender, "刷卡显示失败 但是钱被扣了")
    assert "时候" in texts(replies)
    replies = assistant.say(sender, "sorry my chinese is bad, it was yesterday at 7pm")
    assert "How much" in texts(replies)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in texts(replies))
    replies = assistant.say(sender, "99")
    assert "terminal ID" in texts(replies)
    assert assistant.tracker(sender)["slots"]["language"] == "en"


def test_after_two_unusable_answers_the_question_changes(assistant: Client) -> None:
    sender = assistant.new_sender()
    assistant.say(sender, "昨天早上9点刷卡失败 扣了300元")
    first = assistant.say(sender, "12345")
    # The second time the question comes with help: where to find it, and a person.
    assert "8位" in texts(first) and "签购单" in texts(first)
    assert "/request_human" in payloads(first)
    second = assistant.say(sender, "ABC123")
    assert pending_question(assistant, sender) == "merchant_name", "never a third time"
    assert "商户名称" in texts(second)


def test_conversation_survives_a_rasa_server_restart(assistant: Client) -> None:
    sender = assistant.new_sender()
    assistant.say(sender, "card payment failed but i was charged 45 yuan yesterday morning")
    assistant.processes.restart_rasa()
    replies = assistant.say(sender, "terminal 5566 7788")
    assert "last 4 digits" in texts(replies)
    slots = assistant.tracker(sender)["slots"]
    assert (slots["amount"], slots["terminal_id"]) == ("45.00", "55667788")
