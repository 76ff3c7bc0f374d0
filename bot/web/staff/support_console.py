"""The support console under /support, a blueprint: agents sign in, see the live queue of
escalations, take a conversation over from the bot, talk to the customer, update the ticket, and
hand the conversation back (the JSON API is in `support_api`, the pages in `support_html`).

Routes (all under /support; the cookie's path): GET/POST /support/login, POST /support/logout,
GET /support (the console), the JSON API under /support/api/, and the console socket /support/ws,
which pushes the queue and the customers' messages of the conversations the agent holds. The
console's script and style are /console.js and /console.css.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Blueprint, Sanic
from sanic.exceptions import WebsocketClosed
from sanic.request import Request
from sanic.response import HTTPResponse, text
from sanic.response import html as html_response
from websockets.exceptions import ConnectionClosed

from bot.case_store import CaseDatabase, CaseStoreUnavailable
from bot.case_store.agents import Agent
from bot.case_store.staff_sessions import StaffSessions
from bot.web.hub_channels import agents_channel
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedState
from bot.web.staff.door import SignedIn, SignInGuard, StaffDoor, route
from bot.web.staff.html import NO_STORE
from bot.web.staff.signed_sessions import SignedSessions
from bot.web.staff.support_api import add_api_routes, escalation_number, service
from bot.web.staff.support_html import HOME_PATH, LOGIN_PATH, console_page, login_page
from bot.web.staff.support_service import QUEUE_CHANNEL, SupportService
from bot.web.staff.texts import pair

logger = logging.getLogger(__name__)

SESSION_COOKIE = "agent_session"
SOCKET_PATH = "/support/ws"
SIGNED_OUT = 4401  # the console socket's close code once its session has ended


def support_blueprint(settings: GatewaySettings, shared: SharedState, database: CaseDatabase) -> Blueprint:
    door = agent_door(settings, shared, StaffSessions(database))
    bp = Blueprint("support_console")

    @bp.after_server_start
    async def start_support(app: Sanic, _loop: object) -> None:
        app.ctx.support = SupportService(settings, app.ctx.chat.hub, app.ctx.chat.conversation, database)
        app.ctx.support.start()

    @bp.before_server_stop
    async def stop_support(app: Sanic, _loop: object) -> None:
        await app.ctx.support.close()

    async def console(request: Request, staff: SignedIn[Agent]) -> HTTPResponse:
        page = console_page(staff.who.display_name, staff.who.login, staff.csrf)
        return html_response(page, headers=NO_STORE)

    async def socket(request: Request, ws: Any) -> None:
        async def still_signed_in() -> bool:
            return await door.who(request) is not None

        agent = await door.who(request)
        await serve_console_socket(request, ws, agent, still_signed_in, settings.support_poll_seconds)

    async def guard_socket(request: Request) -> HTTPResponse | None:
        return await refuse_foreign_socket(request, door)

    signed_in = door.signed_in(door.page_refusals())
    bp.add_route(route(door.login_form), LOGIN_PATH, methods=["GET"], name="login_form")
    bp.add_route(route(door.sign_in), LOGIN_PATH, methods=["POST"], name="login")
    bp.add_route(signed_in(door.sign_out), "/support/logout", methods=["POST"], name="logout")
    bp.add_route(signed_in(console), HOME_PATH, methods=["GET"], name="console")
    add_api_routes(bp, door)
    bp.on_request(guard_socket)
    bp.add_websocket_route(socket, SOCKET_PATH, name="socket")
    return bp


def agent_door(settings: GatewaySettings, shared: SharedState, records: StaffSessions) -> StaffDoor[Agent]:
    async def agent_login_of(request: Request, login: str, password: str) -> str | None:
        agent = await asyncio.to_thread(service(request).agents.sign_in, login, password)
        return agent.login if agent else None

    async def agent_named(request: Request, login: str) -> Agent | None:
        return await asyncio.to_thread(service(request).agents.agent, login)

    window_seconds = settings.agent_login_window_minutes * 60
    return StaffDoor(
        login_path=LOGIN_PATH,
        home_path=HOME_PATH,
        cookie_name=SESSION_COOKIE,
        sessions=SignedSessions(settings.secret, settings.agent_session_hours, kind="agent", records=records),
        guard=SignInGuard(shared, "agent", settings.agent_login_failures, window_seconds),
        check_password=agent_login_of,
        find=agent_named,
        login_page=login_page,
        form_expired=pair("support_form_expired"),
        refusals_say_sign_in=False,
        secure_cookies=settings.staff_cookies_secure,
    )


async def refuse_foreign_socket(request: Request, door: StaffDoor[Agent]) -> HTTPResponse | None:
    """Only the console's own page, signed in, may open the console socket: refused before the
    handshake, so another site's page cannot even try."""
    if request.path != SOCKET_PATH:
        return None
    origin = (request.headers.get("origin") or "").strip().rstrip("/")
    if origin not in (f"http://{request.host}", f"https://{request.host}"):
        return text("Only the console may open this socket.", status=403)
    if await door.who(request) is None:
        return text("Please sign in first.", status=401)
    return None


async def serve_console_socket(
    request: Request,
    ws: Any,
    agent: Agent | None,
    still_signed_in: Callable[[], Awaitable[bool]],
    recheck_seconds: float,
) -> None:
    """The queue, then the customers' messages of each conversation the agent asks to watch and holds.

    The session is checked again on every message from the console and after every
    `recheck_seconds` without one: once it has ended (signed out, the agent disabled or given a new
    password), the socket closes with SIGNED_OUT and the console goes to the sign-in page."""
    if agent is None:  # the middleware refused already; belt and braces
        await ws.close(1008, "sign in first")
        return
    support = service(request)
    watched: set[str] = set()
    support.hub.subscribe(QUEUE_CHANNEL, ws)
    try:
        await ws.send(json.dumps(await support.queue(), ensure_ascii=False))
        while True:
            frame = await ws.recv(timeout=recheck_seconds)  # None: no message in that time
            if not await _session_live(still_signed_in):
                await ws.close(SIGNED_OUT, "signed out")
                return
            channel = None if frame is None else await watch_request(support, agent, frame)
            if channel is not None:
                support.hub.subscribe(channel, ws)
                watched.add(channel)
    except (ConnectionClosed, WebsocketClosed):
        pass
    finally:
        support.hub.unsubscribe(QUEUE_CHANNEL, ws)
        for channel in watched:
            support.hub.unsubscribe(channel, ws)


async def _session_live(still_signed_in: Callable[[], Awaitable[bool]]) -> bool:
    """Whether the console's session is live; while the case store cannot tell, it is taken to be
    (checked again shortly, and every API call needs the case store meanwhile anyway)."""
    try:
        return await still_signed_in()
    except CaseStoreUnavailable as error:
        logger.warning("console session not checked: %s", error)
        return True


async def watch_request(support: SupportService, agent: Agent, frame: object) -> str | None:
    """The channel a `{"type": "watch", "escalation": id}` frame asks for, if the agent holds it."""
    try:
        command = json.loads(frame) if isinstance(frame, str) else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(command, dict) or command.get("type") != "watch":
        return None
    requested = command.get("escalation")
    escalation_id = escalation_number(requested) if isinstance(requested, int) else None
    if escalation_id is None:
        return None
    escalation = await asyncio.to_thread(support.escalations.get, escalation_id)
    if escalation is None or escalation.status != "claimed" or escalation.agent != agent.login:
        return None
    return agents_channel(escalation.conversation_id)
