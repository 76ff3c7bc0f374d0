"""Two gateways share everything a customer or an agent needs: the conversation, its limits, and the
live hand-over (Redis pub/sub), whichever gateway each of them reached."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
import websockets

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory
from bot.case_store.escalations import EscalationStore
from bot.web.staff.support_console import SESSION_COOKIE
from devtools.chat_socket import ChatSocket, bot_texts
from tests.bot.case_store.support import store_at
from tests.e2e.conftest import Client

CSRF = re.compile(r'data-csrf="([^"]+)"')
PASSWORD = "a long agent password"


async def next_frame_of(socket: Any, kind: str, timeout: float = 30) -> dict[str, Any]:
    """The next frame of one type on a raw socket or a ChatSocket, skipping others."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if isinstance(socket, ChatSocket):
            frame = await socket.receive(timeout=left)
        else:
            frame = json.loads(await asyncio.wait_for(socket.recv(), left))
        if frame.get("type") == kind:
            return frame


async def test_a_message_resent_to_the_other_gateway_reaches_the_bot_once(cluster: Client) -> None:
    first_gateway, second_gateway = cluster.processes.gateway_urls[:2]
    chat, welcome = await ChatSocket.open(first_gateway)
    assert bot_texts(await chat.say("刷卡失败但是扣钱了", client_id="once-1"))
    await chat.close()
    again, replayed = await ChatSocket.open(second_gateway, session=welcome["session"])
    assert [item["text"] for item in replayed["history"] if item["type"] == "user"] == ["刷卡失败但是扣钱了"]
    frames = await again.say("刷卡失败但是扣钱了", client_id="once-1")
    assert frames == [{"type": "ack", "id": "once-1"}]
    await again.close()
    users = [e for e in cluster.tracker(welcome["session"].split(".")[0])["events"] if e["event"] == "user"]
    assert len(users) == 1


async def test_the_per_session_limit_counts_on_every_gateway(cluster: Client) -> None:
    gateways = cluster.processes.gateway_urls[:2]
    chat, welcome = await ChatSocket.open(gateways[0])
    other, _ = await ChatSocket.open(gateways[1], session=welcome["session"])
    answers = []
    for index in range(21):
        answers.append((await (chat if index % 2 else other).say(f"你好 {index}"))[-1])
    await chat.close()
    await other.close()
    assert [a["type"] for a in answers[:20]] == ["ack"] * 20
    assert answers[20]["type"] == "reject" and answers[20]["code"] == "rate_limited"


async def test_an_agent_on_one_gateway_talks_live_with_a_customer_on_the_other(cluster: Client) -> None:
    processes = cluster.processes
    customer_gateway, agent_gateway = processes.gateway_urls[:2]
    login = f"agent-{uuid.uuid4().hex[:8]}"
    agents = AgentDirectory(CaseDatabase(processes.case_store_url))
    agents.add_agent(login, "张敏", PASSWORD)
    agents.database.close()

    chat, welcome = await ChatSocket.open(customer_gateway)
    conversation = welcome["session"].split(".")[0]
    assert bot_texts(await chat.say("我要找人工客服"))
    with store_at(EscalationStore, processes.case_store_url) as store:
        escalation = store.open_for(conversation)
    assert escalation is not None and escalation.status == "waiting"

    async with httpx.AsyncClient(base_url=agent_gateway, timeout=30) as agent:
        signed_in = await agent.post("/support/login", data={"login": login, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        # In production the cookie is Secure (TLS ends at the load balancer): httpx keeps it from a
        # plain-http answer but sends it over https only, so the test sends it itself.
        assert "secure" in signed_in.headers["set-cookie"].lower()
        agent.headers["Cookie"] = f"{SESSION_COOKIE}={agent.cookies[SESSION_COOKIE]}"
        csrf = {"X-CSRF-Token": CSRF.search((await agent.get("/support")).text).group(1)}
        claimed = await agent.post(f"/support/api/escalations/{escalation.id}/claim", headers=csrf)
        assert claimed.status_code == 200, claimed.text
        # The customer, on the other gateway, is told who has joined.
        joined = await next_frame_of(chat, "bot")
        assert joined["text"] == "您好，人工客服张敏已接入，接下来由张敏为您服务。"

        console_url = agent_gateway.replace("http://", "ws://") + "/support/ws"
        cookie = {"Cookie": f"{SESSION_COOKIE}={agent.cookies[SESSION_COOKIE]}"}
        async with websockets.connect(console_url, extra_headers=cookie, origin=agent_gateway) as console:
            await next_frame_of(console, "queue")
            await console.send(json.dumps({"type": "watch", "escalation": escalation.id}))
            await asyncio.sleep(0.5)  # the watch has no answer; let it subscribe

            said = await agent.post(
                f"/support/api/escalations/{escalation.id}/messages",
                headers=csrf,
                json={"text": "您好，我是张敏"},
            )
            assert said.status_code == 200, said.text
            reached = await next_frame_of(chat, "agent")
            assert reached["text"] == "您好，我是张敏" and reached["name"] == "张敏"

            assert (await chat.say("好的，钱是昨天扣的"))[-1]["type"] == "ack"
            relayed = await next_frame_of(console, "customer")
            assert relayed["text"] == "好的，钱是昨天扣的" and relayed["escalation"] == escalation.id

            finished = await agent.post(
                f"/support/api/escalations/{escalation.id}/finish", headers=csrf, json={"action": "hand_back"}
            )
            assert finished.status_code == 200, finished.text
            closing = await next_frame_of(chat, "bot")
            assert closing.get("text")
    await chat.close()

    events = cluster.tracker(conversation)["events"]
    agent_lines = [
        e["text"] for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("from") == "agent"
    ]
    assert agent_lines == ["您好，我是张敏"]
    assert "好的，钱是昨天扣的" in [e["text"] for e in events if e["event"] == "user"]
    assert [e["event"] for e in events if e["event"] in ("pause", "resume")] == ["pause", "resume"]
