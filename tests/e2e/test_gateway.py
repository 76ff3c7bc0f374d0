"""The gateway's chat socket against the real rasa server, action server and sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from devtools.chat_socket import ChatSocket, bot_texts
from devtools.processes import free_port
from tests.e2e.conftest import Client
from tests.e2e.extra_gateway import extra_gateway

pytestmark = pytest.mark.slow


def _user_texts(tracker: dict) -> list[str]:
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


async def test_a_message_is_answered_and_the_conversation_replayed_on_reconnect(assistant: Client) -> None:
    gateway = assistant.processes.gateway_url
    chat, welcome = await ChatSocket.open(gateway)
    assert welcome["type"] == "welcome" and welcome["history"] == []
    session = welcome["session"]
    frames = await chat.say("昨天下午3点刷卡失败了但是扣了128块", client_id="first")
    await chat.close()
    assert frames[0] == {"type": "typing", "on": True}
    assert frames[-1] == {"type": "ack", "id": "first"}
    said = bot_texts(frames)
    assert said and all("终端" in t or "哪" in t or "对" in t for t in said[-1:])

    again, welcome = await ChatSocket.open(gateway, session=session)
    await again.close()
    history = welcome["history"]
    assert history[0] == {"type": "user", "id": "first", "text": "昨天下午3点刷卡失败了但是扣了128块"}
    assert [item["text"] for item in history[1:] if "text" in item] == said


async def test_a_message_sent_twice_reaches_the_bot_once(assistant: Client) -> None:
    chat, welcome = await ChatSocket.open(assistant.processes.gateway_url)
    await chat.say("你好", client_id="same-id")
    frames = await chat.say("你好", client_id="same-id")
    await chat.close()
    assert frames == [{"type": "ack", "id": "same-id"}]
    conversation_id = welcome_conversation(assistant, welcome["session"])
    assert _user_texts(assistant.tracker(conversation_id)) == ["你好"]


async def test_a_message_in_flight_when_the_socket_drops_is_in_the_replay(assistant: Client) -> None:
    gateway = assistant.processes.gateway_url
    chat, welcome = await ChatSocket.open(gateway)
    await chat.send(
        {"type": "message", "id": "in-flight", "text": "前天晚上八点多扣了我66块", "language": "zh"}
    )
    await chat.receive()  # typing: the gateway has it
    await chat.socket.close()
    again, replay = await ChatSocket.open(gateway, session=welcome["session"])
    await again.close()
    assert replay["history"][0]["id"] == "in-flight"
    assert any(item["type"] == "bot" for item in replay["history"])


async def test_a_named_or_altered_session_opens_a_new_conversation(assistant: Client) -> None:
    gateway = assistant.processes.gateway_url
    owner, welcome = await ChatSocket.open(gateway)
    await owner.say("昨天在全家刷卡失败了")
    await owner.close()
    conversation_id = welcome_conversation(assistant, welcome["session"])
    for stolen in (conversation_id, welcome["session"][:-2] + "xx", f"{conversation_id}.forged.sig"):
        thief, other = await ChatSocket.open(gateway, session=stolen)
        frames = await thief.say("我刚才说了什么")
        await thief.close()
        assert other["history"] == [] and other["session"] != welcome["session"]
        assert "全家" not in json.dumps(frames, ensure_ascii=False)
    assert _user_texts(assistant.tracker(conversation_id)) == ["昨天在全家刷卡失败了"]


async def test_card_numbers_are_redacted_before_rasa_and_in_the_ack(assistant: Client) -> None:
    chat, welcome = await ChatSocket.open(assistant.processes.gateway_url)
    frames = await chat.say("我的卡号是 6250 9410 0652 8599 密码是 123456", client_id="card")
    await chat.close()
    ack = frames[-1]
    assert ack["type"] == "ack" and "8599" not in ack["text"] and "123456" not in ack["text"]
    tracker = json.dumps(assistant.tracker(welcome_conversation(assistant, welcome["session"])))
    assert "6250941006528599" not in tracker and "6250 9410" not in tracker and "123456" not in tracker


async def test_bad_frames_get_a_polite_answer_and_the_socket_stays_open(assistant: Client) -> None:
    chat, _ = await ChatSocket.open(assistant.processes.gateway_url)
    await chat.socket.send(b"\x00\xff binary")
    assert (await chat.receive())["code"] == "bad_request"
    await chat.socket.send("{not json")
    assert (await chat.receive())["code"] == "bad_request"
    too_long = await chat.say("扣" * 2001, client_id="long")
    assert too_long == [{"type": "reject", "id": "long", "code": "too_long", "text": too_long[0]["text"]}]
    assert "2000" in too_long[0]["text"]
    empty = await chat.say("   \n ", client_id="empty")
    assert empty[0]["code"] == "empty"
    frames = await chat.say("你好", client_id="after")
    await chat.close()
    assert frames[-1] == {"type": "ack", "id": "after"} and bot_texts(frames)


async def test_pages_of_other_sites_may_not_open_the_socket(assistant: Client) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        await ChatSocket.open(assistant.processes.gateway_url, origin="https://evil.example")
    assert refused.value.status_code == 403


async def test_rate_limits_answer_politely_per_session_and_per_address(assistant: Client, tmp_path) -> None:
    limits = {"GATEWAY_SESSION_MESSAGES_PER_MINUTE": "2", "GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": "3"}
    with extra_gateway(assistant.processes, tmp_path, **limits) as gateway:
        chat, _ = await ChatSocket.open(gateway, language="en")
        assert (await chat.say("hello"))[-1]["type"] == "ack"
        assert (await chat.say("hi"))[-1]["type"] == "ack"
        refused = await chat.say("are you there?", client_id="third", language="en")
        assert refused[-1]["type"] == "reject" and refused[-1]["code"] == "rate_limited"
        assert "wait a minute" in refused[-1]["text"]
        second, _ = await ChatSocket.open(gateway)
        assert (await second.say("你好"))[-1]["type"] == "ack"
        by_address = await second.say("在吗")
        assert by_address[-1]["code"] == "rate_limited" and "稍等" in by_address[-1]["text"]
        assert (await chat.say("still open?"))[-1]["code"] == "rate_limited"  # not a dropped socket
        await chat.close()
        await second.close()


async def test_rasa_down_keeps_the_message_for_a_retry(assistant: Client, tmp_path) -> None:
    dead_rasa = f"http://127.0.0.1:{free_port()}"
    with extra_gateway(assistant.processes, tmp_path, RASA_URL=dead_rasa) as gateway:
        chat, welcome = await ChatSocket.open(gateway, language="en")
        frames = await chat.say("I was charged 50 yuan", client_id="kept", language="en")
        assert frames[-1]["type"] == "retry" and frames[-1]["id"] == "kept"
        assert "saved" in frames[-1]["text"]
        await chat.close()
        # A returning browser is told to come back later, not shown an empty conversation.
        url = gateway.replace("http://", "ws://") + "/ws"
        async with websockets.connect(url, origin=gateway) as socket:
            hello = {"type": "hello", "session": welcome["session"], "language": "zh"}
            await socket.send(json.dumps(hello))
            assert json.loads(await socket.recv())["code"] == "unavailable"
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 10)
            assert closed.value.code == 1013


def test_pages_carry_a_strict_content_security_policy(assistant: Client) -> None:
    page = httpx.get(assistant.processes.gateway_url + "/")
    assert page.status_code == 200 and 'src="/widget.js"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"


def test_only_the_embedded_chat_may_be_framed_and_only_by_the_sites_allowed(
    assistant: Client, tmp_path: Path
) -> None:
    shop = "https://shop.example"
    with extra_gateway(assistant.processes, tmp_path, GATEWAY_ALLOWED_ORIGINS=shop) as gateway:
        embed = httpx.get(gateway + "/embed")
        assert embed.status_code == 200 and 'data-mode="embed"' in embed.text
        assert embed.headers["content-security-policy"].endswith(f"frame-ancestors 'self' {shop}")
        assert "x-frame-options" not in embed.headers
        for path in ("/", "/demo", "/q/" + "A" * 26, "/merchant/login", "/support/login"):
            page = httpx.get(gateway + path)
            assert page.status_code == 200, path
            assert page.headers["content-security-policy"].endswith("frame-ancestors 'none'"), path
            assert page.headers["x-frame-options"] == "DENY", path
    shared = httpx.get(assistant.processes.gateway_url + "/embed")  # no other site is allowed there
    assert shared.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    widget = httpx.get(assistant.processes.gateway_url + "/widget.js", headers={"Accept-Encoding": "gzip"})
    assert (
        widget.headers["content-encoding"] == "gzip" and widget.headers["x-content-type-options"] == "nosniff"
    )
    again = httpx.get(
        assistant.processes.gateway_url + "/widget.js", headers={"If-None-Match": widget.headers["etag"]}
    )
    assert again.status_code == 304


def welcome_conversation(assistant: Client, session: str) -> str:
    """The conversation id inside a session token (the part before the signature)."""
    conversation_id = session.split(".")[0]
    assert conversation_id.startswith("web-")
    return conversation_id
