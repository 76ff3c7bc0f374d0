"""The support console of a real gateway process with no rasa server behind it, over loopback: the
door (sign-in, its limit, sign-out), who may use the pages, the JSON API and the socket, what the
API says when Rasa cannot be reached, and sessions ended by signing out or by the operators'
commands (the socket too). tests/e2e/test_support_console.py drives the whole
hand-over with a real rasa server."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import websockets

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory
from bot.case_store.escalations import EscalationStore
from bot.handoff.__main__ import main as handoff
from bot.web.staff.support_console import SESSION_COOKIE, SIGNED_OUT
from tests.bot.case_store.support import migrated_sqlite, store_at
from tests.bot.web.gateway import Gateway, start_gateway, stop_gateway

pytestmark = pytest.mark.slow  # a gateway process and a few argon2 checks: a few seconds
PASSWORD, NEW_PASSWORD = "a long agent password", "a new long agent password"
LOGIN_FAILURES = 3
RECHECK_WAIT_SECONDS = 8  # the gateway checks an open console's session every 2 s (the default)
CSRF = re.compile(r'data-csrf="([^"]+)"')


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("support-console")


@pytest.fixture(scope="module")
def case_store_url(workdir: Path) -> str:
    return migrated_sqlite(workdir)


@pytest.fixture(scope="module")
def waiting(case_store_url: str) -> int:
    """One agent, and one escalation waiting for them."""
    agents = AgentDirectory(CaseDatabase(case_store_url))
    agents.add_agent("li.na", "李娜 <b>", PASSWORD)
    agents.database.close()
    with store_at(EscalationStore, case_store_url) as store:
        opened = store.open(
            conversation_id="web-support-console-test",
            reason="customer_asked",
            language="zh",
            facts={"amount": "56.00"},
            lookup=None,
            ticket_number=None,
            summary_customer="客户要求人工。",
            summary_agent="客户要求人工：¥56.00",
        )
    return opened.id


@pytest.fixture(scope="module")
def gateway(workdir: Path, case_store_url: str, waiting: int) -> Iterator[Gateway]:
    started = start_gateway(
        workdir,
        case_store_url,
        "gateway",
        GATEWAY_AGENT_LOGIN_FAILURES=str(LOGIN_FAILURES),
        SANIC_PROXIES_COUNT="1",  # as behind the production load balancer
    )
    yield started
    stop_gateway(started)


def sign_in(gateway: Gateway, login: str = "li.na", password: str = PASSWORD) -> httpx.Client:
    client = gateway.client()
    response = client.post("/support/login", data={"login": login, "password": password})
    assert response.status_code == 303 and response.headers["location"] == "/support"
    return client


@pytest.fixture(scope="module")
def agent(gateway: Gateway) -> Iterator[httpx.Client]:
    client = sign_in(gateway)
    yield client
    client.close()


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/support")
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def socket_first_frame(gateway: Gateway, cookie: str | None, origin: str) -> dict[str, Any]:
    """The console socket's first frame, or how the handshake was refused."""

    async def first_frame() -> dict[str, Any]:
        url = gateway.url.replace("http://", "ws://") + "/support/ws"
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
        try:
            async with websockets.connect(url, extra_headers=headers, origin=origin, open_timeout=10) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 10))
        except websockets.exceptions.InvalidStatusCode as refused:
            return {"refused": refused.status_code}

    return asyncio.run(first_frame())


def test_signed_out_the_pages_send_to_the_sign_in_form_and_the_api_says_401(
    gateway: Gateway, waiting: int
) -> None:
    with gateway.client() as client:
        home = client.get("/support")
        assert home.status_code == 303 and home.headers["location"] == "/support/login"
        login = client.get("/support/login")
        assert login.status_code == 200 and login.headers["cache-control"] == "no-store"
        assert "客服登录" in login.text and "Support sign-in" in login.text
        refused = client.get("/support/api/queue")
        assert refused.status_code == 401
        assert refused.json() == {"error": "signed_out", "message": "请先登录 · Please sign in first"}
        assert client.post(f"/support/api/escalations/{waiting}/claim", json={}).status_code == 401
        logout = client.post("/support/logout", data={"csrf": "x"})
        assert logout.status_code == 403 and "请先登录" in logout.text
    assert socket_first_frame(gateway, None, gateway.url) == {"refused": 401}


def test_a_page_after_a_redirect_carries_no_stray_location(gateway: Gateway) -> None:
    with gateway.client() as client:
        assert client.get("/support").headers["location"] == "/support/login"  # a redirect first
        refused = client.post("/support/logout", data={"csrf": "x"})
        assert refused.status_code == 403 and "location" not in refused.headers
        login = client.get("/support/login")
        assert login.status_code == 200 and "location" not in login.headers
        assert login.headers["cache-control"] == "no-store"


def test_signing_in_sets_the_console_cookie_and_opens_the_console(gateway: Gateway) -> None:
    with gateway.client() as client:
        response = client.post("/support/login", data={"login": "li.na", "password": PASSWORD})
        assert response.status_code == 303 and response.headers["location"] == "/support"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        for part in ("HttpOnly", "SameSite=Strict", "Path=/support", "Max-Age=28800"):
            assert part.lower() in cookie.lower(), cookie
        page = client.get("/support")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "李娜 &lt;b&gt;" in page.text and 'data-agent="li.na"' in page.text
        assert '<script src="/console.js" defer></script>' in page.text
        assert client.get("/support/login").headers["location"] == "/support"


def test_a_wrong_password_fails_and_repeated_failures_are_limited(gateway: Gateway) -> None:
    with gateway.client("127.0.0.4") as guesser:
        for login in ("li.na", "li.na.2", "li.na.3")[:LOGIN_FAILURES]:
            wrong = guesser.post("/support/login", data={"login": login, "password": "not it"})
            assert wrong.status_code == 403 and "set-cookie" not in wrong.headers
            assert "登录名或密码不对" in wrong.text and f'value="{login}"' in wrong.text
        limited = guesser.post("/support/login", data={"login": "li.na", "password": PASSWORD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) == 15 * 60
        assert "Too many failed sign-ins: please try again in 15 minutes." in limited.text


def test_a_name_guessed_at_from_forged_addresses_is_locked(gateway: Gateway, case_store_url: str) -> None:
    """Behind one proxy (SANIC_PROXIES_COUNT=1) the address is the X-Forwarded-For entry the proxy
    added; a guesser who forges a new one each time resets the per-address count, not the name's."""
    add_agent(case_store_url, "zhou.min")
    with gateway.client() as guesser:
        for n in range(LOGIN_FAILURES):
            forged = {"X-Forwarded-For": f"203.0.113.{n}"}
            wrong = guesser.post(
                "/support/login", data={"login": "zhou.min", "password": "guess"}, headers=forged
            )
            assert wrong.status_code == 403
        right = guesser.post(
            "/support/login",
            data={"login": "zhou.min", "password": PASSWORD},
            headers={"X-Forwarded-For": "203.0.113.200"},
        )
        assert right.status_code == 429 and "set-cookie" not in right.headers
        assert int(right.headers["retry-after"]) == 15 * 60
        assert "这个登录名最近登录失败次数过多" in right.text and "请 15 分钟后再试" in right.text
        assert "Too many failed sign-ins with this name lately" in right.text
    # Another agent is not held up, from the same forged addresses either.
    other = gateway.client()
    signed_in = other.post(
        "/support/login",
        data={"login": "li.na", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.0"},
    )
    assert signed_in.status_code == 303
    other.close()


def test_a_sign_in_posted_from_another_site_is_refused(gateway: Gateway) -> None:
    with gateway.client() as client:
        refused = client.post(
            "/support/login",
            data={"login": "li.na", "password": PASSWORD},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
        assert "请从本站登录" in refused.text


def test_the_queue_and_the_socket_show_the_waiting_conversation(
    gateway: Gateway, agent: httpx.Client, waiting: int
) -> None:
    queue = agent.get("/support/api/queue")
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    body = queue.json()
    assert body["type"] == "queue" and body["mine"] == []
    assert [(item["id"], item["status"], item["summary"]) for item in body["items"]] == [
        (waiting, "waiting", "客户要求人工：¥56.00")
    ]
    cookie = agent.cookies[SESSION_COOKIE]
    frame = socket_first_frame(gateway, cookie, gateway.url)
    assert frame["type"] == "queue" and [item["id"] for item in frame["items"]] == [waiting]
    assert socket_first_frame(gateway, cookie, "http://evil.example") == {"refused": 403}


def test_api_posts_need_the_sessions_csrf_token(agent: httpx.Client, waiting: int) -> None:
    claim = f"/support/api/escalations/{waiting}/claim"
    for headers in (
        {},
        {"X-CSRF-Token": "0" * 64},
        {"X-CSRF-Token": csrf_of(agent), "Sec-Fetch-Site": "cross-site"},
    ):
        refused = agent.post(claim, headers=headers)
        assert refused.status_code == 403
        assert refused.json() == {
            "error": "csrf",
            "message": "请刷新页面后再试 · Reload the page and try again",
        }
    expired = agent.post("/support/logout", data={"csrf": "forged"})
    assert expired.status_code == 403 and "表单已失效，请刷新页面后再试。" in expired.text


def test_without_rasa_a_claim_is_refused_and_the_conversation_still_waits(
    agent: httpx.Client, waiting: int, case_store_url: str
) -> None:
    headers = {"X-CSRF-Token": csrf_of(agent)}
    claim = agent.post(f"/support/api/escalations/{waiting}/claim", headers=headers)
    assert claim.status_code == 503 and claim.json()["error"] == "rasa_unavailable"
    with store_at(EscalationStore, case_store_url) as store:
        assert store.get(waiting).status == "waiting"
    not_held = agent.post(
        f"/support/api/escalations/{waiting}/messages", headers=headers, json={"text": "hi"}
    )
    assert not_held.status_code == 409 and not_held.json()["error"] == "not_held"
    assert agent.get(f"/support/api/escalations/{waiting}").status_code == 409
    missing = agent.post("/support/api/escalations/999999/claim", headers=headers)
    assert missing.json() == {"error": "not_found", "message": "没有这个会话 · No such conversation"}
    bad_action = agent.post(
        f"/support/api/escalations/{waiting}/finish", headers=headers, json={"action": "x"}
    )
    assert bad_action.status_code == 400 and bad_action.json()["error"] == "bad_action"


# Path segments that name no escalation: too long for the database, zero, signs, leading zeros,
# other scripts' digits, NUL, control and format characters, unicode, an encoded path.
ODD_IDS = (
    "9" * 30,
    str(2**31),
    "0",
    "-1",
    "+1",
    "01",
    "1.0",
    " 1",
    "1e3",
    "\u0661\u0662",  # Arabic-Indic digits, which int() takes
    "\uff11",  # a full-width 1
    "一",
    "\x00",
    "1\x00",
    "\u202e1",
    "💳",
    "x" * 5000,
    "%2e%2e%2fqueue",
)
ESCALATION_ROUTES = (
    ("GET", ""),
    ("POST", "/claim"),
    ("POST", "/messages"),
    ("POST", "/ticket"),
    ("POST", "/finish"),
)
NOT_FOUND = {"error": "not_found", "message": "没有这个会话 · No such conversation"}


def test_ids_that_cannot_be_an_escalation_are_answered_not_found(
    agent: httpx.Client, waiting: int, case_store_url: str
) -> None:
    headers = {"X-CSRF-Token": csrf_of(agent)}
    body = {"text": "hi", "note": "n", "action": "resolve"}
    for odd in ODD_IDS:
        segment = quote(odd, safe="%")
        for method, tail in ESCALATION_ROUTES:
            path = f"/support/api/escalations/{segment}{tail}"
            answer = agent.request(method, path, headers=headers, json=body)
            assert answer.status_code == 404, (path[:80], answer.status_code, answer.text[:200])
            assert answer.json() == NOT_FOUND, path[:80]
    # A path that climbs out of the route reaches another route or none, never an error.
    for path in (
        "/support/api/escalations/..",
        "/support/api/escalations/../queue",
        f"/support/api/escalations/{waiting}/../../queue",
    ):
        assert agent.get(path).status_code < 500, path
    with store_at(EscalationStore, case_store_url) as store:
        assert store.get(waiting).status == "waiting"


def test_the_console_socket_ignores_an_id_that_cannot_be_an_escalation(
    gateway: Gateway, agent: httpx.Client
) -> None:
    async def still_open_after(frames: list[object]) -> bool:
        url = gateway.url.replace("http://", "ws://") + "/support/ws"
        headers = {"Cookie": f"{SESSION_COOKIE}={agent.cookies[SESSION_COOKIE]}"}
        async with websockets.connect(url, extra_headers=headers, origin=gateway.url, open_timeout=10) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "queue"
            for escalation in frames:
                await ws.send(json.dumps({"type": "watch", "escalation": escalation}))
            try:
                await asyncio.wait_for(ws.recv(), 1.0)
            except asyncio.TimeoutError:
                return True
            except websockets.exceptions.ConnectionClosed:
                return False
            return True  # a queue update: still open

    assert asyncio.run(still_open_after([10**30, -1, 0, True, "1", None]))


def test_signing_out_clears_the_cookie(gateway: Gateway) -> None:
    client = sign_in(gateway)  # a session of its own: the module's agent stays signed in
    response = client.post("/support/logout", data={"csrf": csrf_of(client)})
    assert response.status_code == 303 and response.headers["location"] == "/support/login?done=out"
    assert "Max-Age=0" in response.headers["set-cookie"] and "Path=/support" in response.headers["set-cookie"]
    assert client.get("/support").status_code == 303
    assert "已退出" in client.get("/support/login?done=out").text
    client.close()


def test_a_cookie_kept_after_signing_out_opens_nothing(gateway: Gateway, waiting: int) -> None:
    client = sign_in(gateway)
    kept, csrf = client.cookies[SESSION_COOKIE], csrf_of(client)
    assert client.post("/support/logout", data={"csrf": csrf}).status_code == 303
    client.close()
    with gateway.client() as replay:
        replay.cookies.set(SESSION_COOKIE, kept, domain="127.0.0.1", path="/support")
        assert replay.get("/support").status_code == 303
        assert replay.get("/support/api/queue").status_code == 401
        claim = replay.post(f"/support/api/escalations/{waiting}/claim", headers={"X-CSRF-Token": csrf})
        assert claim.status_code == 401
        assert replay.get("/support/login").status_code == 200  # the form, not the console
    assert socket_first_frame(gateway, kept, gateway.url) == {"refused": 401}


def add_agent(case_store_url: str, login: str) -> None:
    with store_at(AgentDirectory, case_store_url) as agents:
        agents.add_agent(login, login, PASSWORD)


def close_code_after(gateway: Gateway, client: httpx.Client, ending: Callable[[], object]) -> int | None:
    """Open the console socket with the client's session, end the session with `ending`, and say
    with which code the gateway closed the socket (None: still open after RECHECK_WAIT_SECONDS)."""

    async def watch() -> int | None:
        url = gateway.url.replace("http://", "ws://") + "/support/ws"
        headers = {"Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"}
        async with websockets.connect(url, extra_headers=headers, origin=gateway.url, open_timeout=10) as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "queue"
            await asyncio.to_thread(ending)
            deadline = asyncio.get_running_loop().time() + RECHECK_WAIT_SECONDS
            try:
                while (left := deadline - asyncio.get_running_loop().time()) > 0:
                    await asyncio.wait_for(ws.recv(), left)  # queue pushes meanwhile
            except websockets.exceptions.ConnectionClosed as closed:
                return closed.code
            except asyncio.TimeoutError:
                return None
        return None

    return asyncio.run(watch())


def test_an_open_console_closes_soon_after_its_agent_signs_out(gateway: Gateway) -> None:
    client = sign_in(gateway)
    csrf = csrf_of(client)
    code = close_code_after(gateway, client, lambda: client.post("/support/logout", data={"csrf": csrf}))
    assert code == SIGNED_OUT
    client.close()


def test_disabling_an_agent_closes_their_console_and_ends_their_sessions(
    gateway: Gateway, case_store_url: str
) -> None:
    add_agent(case_store_url, "zhao.lei")
    client = sign_in(gateway, "zhao.lei")
    code = close_code_after(
        gateway, client, lambda: handoff(["--url", case_store_url, "disable-agent", "zhao.lei"])
    )
    assert code == SIGNED_OUT
    assert client.get("/support").status_code == 303
    assert client.get("/support/api/queue").status_code == 401
    refused = gateway.client().post("/support/login", data={"login": "zhao.lei", "password": PASSWORD})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert handoff(["--url", case_store_url, "enable-agent", "zhao.lei"]) == 0
    sign_in(gateway, "zhao.lei").close()
    client.close()


def test_a_new_password_closes_the_agents_console_and_ends_their_sessions(
    gateway: Gateway, case_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_agent(case_store_url, "sun.li")
    client, other_device = sign_in(gateway, "sun.li"), sign_in(gateway, "sun.li")
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    reset = ["--url", case_store_url, "reset-agent-password", "sun.li", "--password-stdin"]
    assert close_code_after(gateway, client, lambda: handoff(reset)) == SIGNED_OUT
    assert client.get("/support/api/queue").status_code == 401
    assert other_device.get("/support/api/queue").status_code == 401
    sign_in(gateway, "sun.li", NEW_PASSWORD).close()
    client.close()
    other_device.close()
