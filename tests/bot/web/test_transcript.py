from bot.web.transcript import bot_item, client_ids, history

CASE = {
    "type": "case_result",
    "outcome": "refund_ticket",
    "ticket_id": "RF-20261126-0001-V",
    "transaction_id": "TXN0007",
    "expected_by": "2026-12-03",
}


def test_rest_reply_with_buttons_keeps_titles_and_payloads_only() -> None:
    reply = {
        "recipient_id": "x",
        "text": "对吗？",
        "buttons": [
            {"title": "对", "payload": "/affirm", "type": "postback"},
            {"title": "不对", "payload": "/deny"},
            {"title": None, "payload": "/x"},
        ],
    }
    assert bot_item(reply) == {
        "type": "bot",
        "text": "对吗？",
        "buttons": [{"title": "对", "payload": "/affirm"}, {"title": "不对", "payload": "/deny"}],
    }


def test_custom_payload_alone_is_a_message() -> None:
    assert bot_item({"recipient_id": "x", "custom": CASE}) == {"type": "bot", "custom": CASE}


def test_reply_with_nothing_to_show_is_dropped() -> None:
    assert bot_item({"recipient_id": "x", "image": None}) is None


def test_history_is_what_the_customer_saw_in_order() -> None:
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": "扣了钱 卡号 [***]", "metadata": {"client_id": "c1"}},
        {"event": "slot", "name": "amount", "value": "12.00"},
        {
            "event": "bot",
            "text": "是这笔吗？",
            "data": {"buttons": [{"title": "是", "payload": "/affirm"}], "custom": None, "image": None},
        },
        {"event": "user", "text": "/affirm", "metadata": {"client_id": "c2", "display": "是"}},
        {"event": "bot", "text": None, "data": {"custom": CASE}},
        {"event": "user", "text": "/deny", "metadata": {}},
    ]
    assert history(events) == [
        {"type": "user", "id": "c1", "text": "扣了钱 卡号 [***]"},
        {"type": "bot", "text": "是这笔吗？", "buttons": [{"title": "是", "payload": "/affirm"}]},
        {"type": "user", "id": "c2", "text": "是"},
        {"type": "bot", "custom": CASE},
        {"type": "user", "id": None, "text": "/deny"},
    ]
    assert client_ids(events) == {"c1", "c2"}


def test_a_display_title_cannot_disguise_typed_text() -> None:
    events = [{"event": "user", "text": "I was charged twice", "metadata": {"display": "Yes"}}]
    assert history(events)[0]["text"] == "I was charged twice"
