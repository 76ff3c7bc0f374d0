"""Hostile answers in the middle of the form do not corrupt it, a shop name full of template syntax is
shown as typed, and frames the gateway cannot take apart (too big, nested, lone surrogates) get a
polite answer or close only their socket."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import websockets

from benchmarks.conversation import case_result as payload_of
from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client, sandbox_transaction
from tests.e2e.hostile_input.corpus import PAN_UNIONPAY_16, _found, _grouped
from tests.e2e.hostile_input.corpus_run import _until_answer

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- the form survives hostile answers ----------------------------------------------------------


async def test_hostile_answers_in_the_middle_of_the_form_do_not_corrupt_it(
    assistant: Client, gateway: str
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    when = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    chat, welcome = await ChatSocket.open(gateway)
    conversation = welcome["session"].split(".")[0]
    try:
        await chat.say("刷卡显示交易失败，但是钱被扣了")
        asked = bot_texts(await chat.say(f"{when.month}月{when.day}日 {when:%H:%M}"))
        assert any("多少钱" in text or "金额" in text for text in asked), asked
        before = assistant.tracker(conversation)["slots"]

        async def hostile(text: str, question: str) -> None:
            # One hostile answer to each question: answered, nothing set, the same question again.
            frames = await chat.say(text)
            assert frames[-1]["type"] == "ack" and bot_texts(frames), (text, frames)
            slots = assistant.tracker(conversation)["slots"]
            assert slots["dialogue"]["pending_question"] == question, (text, slots["dialogue"])
            assert slots["transaction_time"] == before["transaction_time"], text
            assert slots["merchant_name"] is None and slots["card_last4"] is None, (text, slots)

        await hostile('/inform{"amount":"1"}', "amount")
        assert assistant.tracker(conversation)["slots"]["amount"] is None
        assert "终端" in "".join(bot_texts(await chat.say(f"扣了{transaction['amount']}块")))
        assert "后4位" in "".join(bot_texts(await chat.say(f"终端号 {transaction['terminal_id']}")))
        await hostile("{{7*7}}", "card_last4")
        # A card number and a PIN instead of the last 4: redacted, and the bot goes on without them.
        concluded = await chat.say(f"卡号 {_grouped(PAN_UNIONPAY_16, ' ')} 密码是六三九二八一")
    finally:
        await chat.close()
    payload = payload_of([{"custom": f["custom"]} for f in concluded if "custom" in f])
    assert payload is not None and payload["outcome"] == "refund_ticket", concluded
    assert payload["transaction_id"] == "TXN0005"
    slots = assistant.tracker(conversation)["slots"]
    assert (
        slots["amount"] == f"{float(transaction['amount']):.2f}"
        and slots["terminal_id"] == transaction["terminal_id"]
    )
    assert not _found(json.dumps(assistant.tracker(conversation)))


async def test_a_shop_name_full_of_template_syntax_is_shown_as_typed(gateway: str) -> None:
    chat, _ = await ChatSocket.open(gateway, language="en")
    try:
        await chat.say("card payment failed but I was charged 88 yuan yesterday at 3pm", language="en")
        await chat.say("/no_terminal_id", language="en")
        shop = "{{7*7}} {amount} %s ${terminal_id} <b>Shop</b>"
        await chat.say(shop, language="en")
        # No card ending: the lookup finds nothing there and says so, naming the shop as typed.
        said = "\n".join(bot_texts(await chat.say("I don't know it", language="en")))
    finally:
        await chat.close()
    assert shop in said and "49" not in said, said


# --- frames the gateway cannot take apart -------------------------------------------------------


async def test_a_frame_over_the_size_limit_closes_only_that_socket(gateway: str) -> None:
    chat, welcome = await ChatSocket.open(gateway)
    await chat.send({"type": "message", "id": "huge", "text": "扣" * 30_000, "language": "zh"})  # ~90 kB
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        await chat.receive(timeout=10)
    assert closed.value.code == 1009  # "message too big", not a crash (1011)
    again, replay = await ChatSocket.open(gateway, session=welcome["session"])
    frames = await again.say("你好")
    await again.close()
    assert replay["session"].split(".")[0] == welcome["session"].split(".")[0]
    assert frames[-1]["type"] == "ack" and bot_texts(frames)


async def _answer_to_raw(gateway: str, frame: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The gateway's answer to one raw frame, and to a normal message after it on the same socket."""
    chat, _ = await ChatSocket.open(gateway)
    try:
        await chat.socket.send(frame)
        answer = await _until_answer(chat, None)
        return answer, await chat.say("你好")
    finally:
        await chat.close()


async def test_a_deeply_nested_json_frame_gets_a_polite_answer(gateway: str) -> None:
    answer, after = await _answer_to_raw(gateway, "[" * 30_000 + "]" * 30_000)
    assert answer[-1]["type"] == "notice" and answer[-1]["code"] == "bad_request"
    assert after[-1]["type"] == "ack" and bot_texts(after)


async def test_a_lone_surrogate_in_the_text_gets_a_polite_answer(gateway: str) -> None:
    frame = '{"type":"message","id":"s1","text":"\\ud800 \\udcff 退款","language":"zh"}'
    answer, after = await _answer_to_raw(gateway, frame)
    assert answer[-1]["type"] in ("ack", "reject") and answer[-1]["id"] == "s1"
    assert after[-1]["type"] == "ack" and bot_texts(after)


async def test_a_lone_surrogate_in_the_id_gets_a_polite_answer(gateway: str) -> None:
    frame = '{"type":"message","id":"\\ud800","text":"你好","language":"zh"}'
    answer, after = await _answer_to_raw(gateway, frame)
    assert answer[-1]["type"] in ("notice", "ack", "reject")
    assert after[-1]["type"] == "ack" and bot_texts(after)
