"""The support console of a real gateway process, over loopback, with the session's real rasa server
and action server: who may see the queue, take a conversation and talk in it."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import websockets

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory
from bot.case_store.escalations import EscalationStore
from bot.web.staff.support_console import SESSION_COOKIE
from tests.bot.case_store.support import migrated_sqlite, store_at
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow  # a gateway process and a few argon2 checks: a few seconds
PASSWORD, OTHER_PASSWORD = "a long agent password", "another long password"
CSRF = re.compile(r'data-csrf="([^"]+)"')
START = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
TAKEN = "已被其他客服接手 · Already taken by another agent"
# Conversation ids of this module's run (the rasa server's tracker store outlives it).
RUN = uuid.uuid4().hex[:8]
NEWEST, OLDEST, MIDDLE = f"web-newest-{RUN}", f"web-oldest-{RUN}", f"web-middle-{RUN}"


@pytest.fixture(scope="module")
def case_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_sqlite(tmp_path_factory.mktemp("support-console"))


@pytest.fixture(scope="module")
def escalations(case_store_url: str) -> Iterator[list[int]]:
    """Three waiting escalations, opened (by the clock) newest first, so the queue must sort them."""
    agents = AgentDirectory(CaseDatabase(case_store_url))
    agents.add_agent("li.na", "李娜", PASSWORD)
    agents.add_agent("wang.wei", "王伟", OTHER_PASSWORD)
    agents.database.close()
    ids = []
    for minutes_ago, conversation in ((5, NEWEST), (30, OLDEST), (15, MIDDLE)):
        clock = lambda at=START - timedelta(minutes=minutes_ago): at  # noqa: E731
        with store_at(EscalationStore, case_store_url, clock=clock) as store:
            escalation = store.open(
                conversation_id=conversation,
                reason="customer_asked",
                language="zh",
                facts={"amount": "56.00"},
                lookup=None,
                ticket_number=None,
                summary_customer="客户要求人工。",
                summary_agent=f"客户要求人工（{conversation}）：¥56.00",
            )
            ids.append(escalation.id)
    yield ids


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, case_store_url: str, assistant: Client, escalations: list[int]
) -> Iterator[Gateway]:
    started = start_gateway(
        tmp_path_factory.mktemp("support-gateway"),
        case_store_url,
        "support-gateway",
        GATEWAY_SUPPORT_POLL_SECONDS="0.3",
        RASA_URL=assistant.processes.base_url,
        RASA_TOKEN=assistant.processes.token,
    )
    yield started
    stop_gateway(started)


def sign_in(gateway: Gateway, login: str, password: str) -> httpx.Client:
    client = gateway.client()
    response = client.post("/support/login", data={"login": login, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/support"
    cookie = response.headers["set-cookie"]
    for part in ("HttpOnly", "SameSite=Strict", "Path=/support", "Max-Age=28800"):
        assert part.lower() in cookie.lower(), cookie
    return client


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/support")
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


@pytest.fixture(scope="module")
def li_na(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway, "li.na", PASSWORD)
    yield client
    client.close()


@pytest.fixture(scope="module")
def wang_wei(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway, "wang.wei", OTHER_PASSWORD)
    yield client
    client.close()


async def _socket(url: str, cookie: str | None, origin: str | None) -> dict[str, Any]:
    """The console socket's first frame, or how the handshake was refused."""
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
    try:
        async with websockets.connect(url, extra_headers=headers, origin=origin, open_timeout=10) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))
    except websockets.exceptions.InvalidStatusCode as refused:
        return {"refused": refused.status_code}


def socket_first_frame(gateway: Gateway, cookie: str | None, origin: str | None = "same") -> dict[str, Any]:
    url = gateway.url.replace("http://", "ws://") + "/support/ws"
    return asyncio.run(_socket(url, cookie, gateway.url if origin == "same" else origin))


def test_nobody_signed_out_gets_in(gateway: Gateway, escalations: list[int], case_store_url: str) -> None:
    with gateway.client() as client:
        page = client.get("/support")
        assert page.status_code == 303 and page.headers["location"] == "/support/login"
        login = client.get("/support/login")
        assert (
            login.status_code == 200 and "frame-ancestors 'none'" in login.headers["content-security-policy"]
        )
        assert client.get("/support/api/queue").status_code == 401
        assert client.get(f"/support/api/escalations/{escalations[0]}").status_code == 401
        for action in ("claim", "messages", "ticket", "finish"):
            refused = client.post(f"/support/api/escalations/{escalations[0]}/{action}", json={})
            assert refused.status_code == 401, action
    assert socket_first_frame(gateway, None) == {"refused": 401}
    with store_at(EscalationStore, case_store_url) as store:
        assert store.get(escalations[0]).status == "waiting"


def test_a_wrong_password_or_a_tampered_cookie_opens_nothing(gateway: Gateway, li_na: httpx.Client) -> None:
    with gateway.client() as client:
        wrong = client.post("/support/login", data={"login": "li.na", "password": "not the password"})
        assert wrong.status_code == 403 and SESSION_COOKIE not in wrong.cookies
    good = li_na.cookies[SESSION_COOKIE]
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    with gateway.client() as client:
        client.cookies.set(SESSION_COOKIE, tampered, domain="127.0.0.1", path="/support")
        assert client.get("/support").status_code == 303
        assert client.get("/support/api/queue").status_code == 401
    assert socket_first_frame(gateway, tampered) == {"refused": 401}
    # A signed-in agent's cookie, but the socket opened from another site's page.
    assert socket_first_frame(gateway, good, origin="http://evil.example") == {"refused": 403}


def test_the_queue_lists_waiting_escalations_oldest_first(
    gateway: Gateway, li_na: httpx.Client, escalations: list[int]
) -> None:
    queue = li_na.get("/support/api/queue")
    assert queue.status_code == 200
    waiting = [item for item in queue.json()["items"] if item["id"] in escalations]
    assert [item["summary"].split("（")[1].split("）")[0] for item in waiting] == [OLDEST, MIDDLE, NEWEST]
    assert all(item["reason"] == "customer_asked" and item["language"] == "zh" for item in waiting)
    frame = socket_first_frame(gateway, li_na.cookies[SESSION_COOKIE])
    assert frame["type"] == "queue" and [i["id"] for i in frame["items"]] == [i["id"] for i in waiting]


def test_posts_need_the_sessions_csrf_token(
    li_na: httpx.Client, escalations: list[int], case_store_url: str
) -> None:
    claim = f"/support/api/escalations/{escalations[0]}/claim"
    assert li_na.post(claim).status_code == 403
    assert li_na.post(claim, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    other_site = {"X-CSRF-Token": csrf_of(li_na), "Sec-Fetch-Site": "cross-site"}
    assert li_na.post(claim, headers=other_site).status_code == 403
    logout = li_na.post("/support/logout", data={"csrf": "forged"})
    assert logout.status_code == 403
    with store_at(EscalationStore, case_store_url) as store:
        assert store.get(escalations[0]).status == "waiting"


def test_one_agent_cannot_take_a_conversation_another_holds(
    li_na: httpx.Client,
    wang_wei: httpx.Client,
    escalations: list[int],
    assistant: Client,
    case_store_url: str,
) -> None:
    escalation_id = escalations[2]  # MIDDLE
    mine = li_na.post(
        f"/support/api/escalations/{escalation_id}/claim", headers={"X-CSRF-Token": csrf_of(li_na)}
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["summary"].startswith(f"客户要求人工（{MIDDLE}）")
    assert assistant.tracker(MIDDLE)["paused"] is True
    # The customer is told that a person has joined (once, however often the holder clicks "take").
    again = li_na.post(
        f"/support/api/escalations/{escalation_id}/claim", headers={"X-CSRF-Token": csrf_of(li_na)}
    )
    assert again.status_code == 200, again.text
    joined = [
        e
        for e in assistant.tracker(MIDDLE)["events"]
        if (e.get("metadata") or {}).get("notice") == "agent_joined"
    ]
    assert [e["text"] for e in joined] == ["您好，人工客服李娜已接入，接下来由李娜为您服务。"]
    assert mine.json()["transcript"][-1] == {"type": "bot", "text": joined[0]["text"]}

    headers = {"X-CSRF-Token": csrf_of(wang_wei)}
    theirs = wang_wei.post(f"/support/api/escalations/{escalation_id}/claim", headers=headers)
    assert theirs.status_code == 409 and theirs.json()["message"] == TAKEN
    said = wang_wei.post(
        f"/support/api/escalations/{escalation_id}/messages", headers=headers, json={"text": "hi"}
    )
    assert said.status_code == 409
    finish = wang_wei.post(
        f"/support/api/escalations/{escalation_id}/finish", headers=headers, json={"action": "hand_back"}
    )
    assert finish.status_code == 409
    with store_at(EscalationStore, case_store_url) as store:
        held = store.get(escalation_id)
    assert held.status == "claimed" and held.agent == "li.na"
    queue = wang_wei.get("/support/api/queue").json()
    assert escalation_id not in [item["id"] for item in queue["items"]]


def test_the_holder_talks_and_hands_back(
    li_na: httpx.Client, escalations: list[int], assistant: Client, case_store_url: str
) -> None:
    escalation_id = escalations[2]
    headers = {"X-CSRF-Token": csrf_of(li_na)}
    said = li_na.post(
        f"/support/api/escalations/{escalation_id}/messages",
        headers=headers,
        json={"text": "您好，卡号 4111 1111 1111 1111 不用发给我"},
    )
    assert said.status_code == 200, said.text
    assert "4111 1111 1111 1111" not in said.json()["text"] and said.json()["name"] == "李娜"
    bot_event = assistant.tracker(MIDDLE)["events"][-1]
    assert (
        bot_event["event"] == "bot"
        and {"agent": "李娜", "from": "agent"}.items() <= bot_event["metadata"].items()
    )
    details = li_na.get(f"/support/api/escalations/{escalation_id}").json()
    assert details["transcript"][-1] == {"type": "agent", "text": said.json()["text"], "name": "李娜"}

    finish = f"/support/api/escalations/{escalation_id}/finish"
    resolve = {"action": "resolve", "note": "refund promised, CVN2: 739"}
    done = li_na.post(finish, headers=headers, json=resolve)
    assert done.status_code == 200, done.text
    answer = done.json()
    told = answer["resolution"]
    assert told.startswith("处理结果：refund promised") and "739" not in told and "[***]" in told
    assert answer["closing"].startswith("人工客服已结束本次服务")
    assert {key: answer[key] for key in ("status", "name", "ticket", "message")} == {
        "status": "resolved",
        "name": "李娜",
        "ticket": None,
        "message": "已解决，已交还机器人 · Resolved, back to the bot",
    }
    tracker = assistant.tracker(MIDDLE)
    assert tracker["paused"] is False
    after = [e for e in tracker["events"] if e["event"] in ("resume", "bot")][-3:]
    assert after[0]["text"] == told and after[0]["metadata"]["from"] == "agent"
    assert after[1]["event"] == "resume" and after[2]["text"].startswith("人工客服已结束本次服务")
    with store_at(EscalationStore, case_store_url) as store:
        finished = store.get(escalation_id)
    assert finished.status == "resolved" and finished.note.startswith("refund promised")
    assert "739" not in finished.note

    # A second click changes and says nothing more.
    twice = li_na.post(finish, headers=headers, json=resolve)
    assert twice.status_code == 200 and twice.json()["resolution"] is None and twice.json()["closing"] == ""
    assert assistant.tracker(MIDDLE)["events"] == tracker["events"]
