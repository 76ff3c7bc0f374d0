"""The chat socket client's reading of the protocol (docs/widget-protocol.md) that needs no gateway:
the socket's URL, a clicked button's title, the conversation a session token names."""

from __future__ import annotations

from bot.text.redaction import redact
from devtools.chat_socket import bot_texts, button_title, conversation_of, new_client_id, socket_url


def test_the_socket_url_follows_the_gateway_scheme_as_the_widget_derives_it() -> None:
    assert socket_url("http://127.0.0.1:8000") == "ws://127.0.0.1:8000/ws"
    assert socket_url("https://chat.example.cn") == "wss://chat.example.cn/ws"


def test_a_click_sends_the_title_of_the_button_with_that_payload() -> None:
    frames = [
        {"type": "bot", "text": "收到货了吗？"},
        {
            "type": "bot",
            "buttons": [{"title": "是", "payload": "/affirm"}, {"title": "否", "payload": "/deny"}],
        },
    ]
    assert button_title(frames, "/deny") == "否"
    assert button_title(frames, "/restart") is None
    assert bot_texts([*frames, {"type": "ack", "id": "x"}]) == ["收到货了吗？"]


def test_a_session_token_names_its_conversation_before_timestamp_and_signature() -> None:
    assert conversation_of("web-3f2a.ZxY12a.c2lnbmF0dXJl") == "web-3f2a"


def test_a_message_id_is_kept_as_sent_whatever_its_random_letters() -> None:
    # The gateway stores a message's id redacted like any text (bot/web/chat.py); a hex id with a
    # Luhn-valid run of digits came back masked and could not be found by the id the client knew.
    ids = [new_client_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(len(client_id) == 24 and redact(client_id).text == client_id for client_id in ids)


def test_a_hex_id_can_be_masked_which_is_why_ids_are_letters() -> None:
    assert redact("4e0ecc51efa4111111111111111cdef").text != "4e0ecc51efa4111111111111111cdef"
