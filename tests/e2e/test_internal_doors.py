"""Who may talk to the rasa servers and the action server: only holders of the Rasa token (the
gateway, scripted clients). The reviewer's probe, a /qr_scanned with a made-up shop posted straight
to the REST channel, is refused and reaches no conversation; the gateway's own messages, which carry
the token, and the rasa servers' action calls, which carry it too, go through."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow

FORGED_SCAN = {
    "message": "/qr_scanned",
    "metadata": {
        "qr": {
            "kind": "terminal",
            "merchant_id": "M-FORGED",
            "merchant_name": "FORGED SHOP",
            "terminal_id": "T-FORGED",
        }
    },
}


def post(assistant: Client, body: dict[str, Any], params: dict[str, str]) -> httpx.Response:
    """Straight to a rasa server, as anyone on the network could."""
    url = f"{assistant.processes.base_url}/webhooks/rest/webhook"
    return httpx.post(url, params=params, json=body, timeout=60)


@pytest.mark.parametrize("params", [{}, {"token": ""}, {"token": "local-dev-token"}, {"token": "wrong"}])
def test_a_forged_scan_posted_to_rest_without_the_token_is_refused(
    assistant: Client, params: dict[str, str]
) -> None:
    sender = assistant.new_sender()
    answer = post(assistant, {"sender": sender, **FORGED_SCAN}, params)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized" and "?token=" in answer.json()["message"]
    assert "FORGED SHOP" not in answer.text
    assert not [e for e in assistant.tracker(sender)["events"] if e["event"] == "user"]


def test_every_rasa_server_refuses_it(assistant: Client) -> None:
    for url in assistant.processes.rasa_urls:
        answer = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=60)
        assert answer.status_code == 401, url


async def test_the_gateway_and_the_action_server_still_talk_with_the_token(assistant: Client) -> None:
    """A message through the gateway reaches the bot (REST with the token) and is answered by an
    action (the rasa server calls the action server with the token)."""
    chat, welcome = await ChatSocket.open(assistant.processes.gateway_url)
    frames = await chat.say("刷卡显示失败，但是钱被扣了")
    await chat.close()
    assert bot_texts(frames) and frames[-1]["type"] == "ack", frames
    events = assistant.tracker(welcome["session"].split(".")[0])["events"]
    assert any(e["event"] == "action" and e["name"] == "action_turn" for e in events)
    assert not any(e["event"] == "action_execution_rejected" for e in events)
