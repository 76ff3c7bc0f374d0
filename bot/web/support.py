"""The agents' side of the gateway: sign-in, the live queue of escalations, taking a conversation
over from the bot, talking to the customer, updating the ticket, and handing the conversation back.

Routes (all under /support; the cookie's path): GET/POST /support/login, POST /support/logout,
GET /support (the console), a JSON API under /support/api/ (POSTs carry the session's CSRF token in
the X-CSRF-Token header) and the console socket /support/ws, which pushes the queue and the
customers' messages of the conversations the agent holds.

While an agent holds an escalation, Rasa's tracker is paused: the customer's messages still go
through the REST channel (so they are redacted and recorded, and the paused bot does not answer)
and the chat socket relays each one to the agent; the agent's messages are written into the tracker
as bot events with metadata {"from": "agent", "agent": <name>} and pushed to the customer's socket.
Who listens to what lives in the shared state's `LiveHub` (bot/web/shared_state.py): the sockets
stay in their gateway process, and what is published to a conversation's customer or agent reaches
them whichever gateway process publishes it (through Redis when several run). The queue is the
exception: each process reads it from the database for its own consoles.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from functools import wraps
from typing import Any

from sanic import Sanic
from sanic.exceptions import WebsocketClosed
from sanic.request import Request
from sanic.response import HTTPResponse, redirect, text
from sanic.response import html as html_response
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

from bot.case_store import CaseDatabase, CaseStore, InvalidTransition
from bot.case_store.agents import Agent, AgentDirectory
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import (
    AlreadyClaimed,
    EscalationClosed,
    EscalationNotFound,
    EscalationStore,
    NotHolder,
)
from bot.case_store.models import STATUSES
from bot.text.redaction import redact
from bot.text.typed_text import well_formed
from bot.web.merchant_pages import message_page
from bot.web.rasa_client import RasaClient, RasaUnavailable
from bot.web.settings import GatewaySettings
from bot.web.shared_state import LiveHub, SharedState
from bot.web.staff_auth import (
    NO_STORE,
    SignedSessions,
    SignInGuard,
    StaffDoor,
    clear_session_cookie,
    same_origin,
    secure,
)
from bot.web.support_pages import HOME_PATH, LOGIN_PATH, console_page
from bot.web.support_pages import login_page as support_login_page
from bot.web.transcript import bot_item, history

logger = logging.getLogger(__name__)

SESSION_COOKIE = "agent_session"
COOKIE_PATH = "/support"
SOCKET_PATH = "/support/ws"
CSRF_HEADER = "x-csrf-token"
MAX_AGENT_MESSAGE_CHARS = 2000
MAX_NOTE_CHARS = 1000
QUEUE_CHANNEL = "queue"
ALREADY_TAKEN = "已被其他客服接手 · Already taken by another agent"
BACK_TO_BOT_ACTION = "action_back_to_bot"

Handler = Callable[..., Awaitable[HTTPResponse]]


# --- who listens to what ------------------------------------------------------------------------


def customer_channel(conversation_id: str) -> str:
    """The customer's open sockets of a conversation."""
    return f"customer:{conversation_id}"


def agents_channel(conversation_id: str) -> str:
    """The console sockets of the agent who holds a conversation."""
    return f"agents:{conversation_id}"


# --- Rasa's tracker -----------------------------------------------------------------------------


# --- what the console is sent -------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def queue_item(escalation: Escalation) -> dict[str, Any]:
    return {
        "id": escalation.id,
        "status": escalation.status,
        "reason": escalation.reason,
        "language": escalation.language,
        "ticket": escalation.ticket_number,
        "summary": escalation.summary_agent,
        "created_at": _iso(escalation.created_at),
        "claimed_at": _iso(escalation.claimed_at),
    }


def queue_frame(waiting: list[Escalation]) -> dict[str, Any]:
    return {
        "type": "queue",
        "now": _iso(datetime.now(timezone.utc)),
        "items": [queue_item(escalation) for escalation in waiting],
    }


# --- the service ----------------------------------------------------------------------------------


class SupportService:
    """Everything the console's requests and sockets share in one gateway process."""

    def __init__(
        self,
        settings: GatewaySettings,
        hub: LiveHub,
        conversation_turn: Callable[[str], AbstractAsyncContextManager[None]],
        database: CaseDatabase,
    ) -> None:
        self.settings = settings
        self.hub = hub
        # The customer's messages and the agent's writes into one conversation take turns, so that
        # two rasa servers never change its tracker at once (the local profile has no shared lock).
        self._turn = conversation_turn
        self.agents = AgentDirectory(database)
        self.escalations = EscalationStore(database)
        self.cases = CaseStore(database)
        self.tracker = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)
        self._last_queue: list[dict[str, Any]] | None = None
        self._poller: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._poller = asyncio.ensure_future(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.tracker.close()

    async def queue(self) -> dict[str, Any]:
        return queue_frame(await asyncio.to_thread(self.escalations.waiting))

    async def refresh_queue(self, *, force: bool = False) -> None:
        """Push the queue to this process's consoles when it changed (or when asked to). Each gateway
        process reads the queue for its own consoles, so it is not published to the others."""
        if not self.hub.listening(QUEUE_CHANNEL):
            self._last_queue = None
            return
        frame = await self.queue()
        if force or frame["items"] != self._last_queue:
            self._last_queue = frame["items"]
            await self.hub.publish_here(QUEUE_CHANNEL, frame)

    async def _poll(self) -> None:
        while True:
            try:
                await self.refresh_queue()
            except Exception:  # a database hiccup must not end the consoles' updates
                logger.exception("support queue not refreshed")
            await asyncio.sleep(self.settings.support_poll_seconds)

    async def details(self, escalation: Escalation) -> dict[str, Any]:
        """An escalation with its whole transcript, as the console shows it."""
        try:
            transcript = history(await self.tracker.events(escalation.conversation_id))
        except RasaUnavailable as error:
            logger.warning("%s", error)
            transcript = None
        ticket = None
        if escalation.ticket_number:
            found = await asyncio.to_thread(self.cases.get, escalation.ticket_number, follow_merges=True)
            if found is not None:
                ticket = {"number": found.number, "status": found.status}
        return {**queue_item(escalation), "transcript": transcript, "ticket_state": ticket}

    async def say_to_customer(self, escalation: Escalation, agent: Agent, typed: str) -> str:
        """The agent's message: redacted, into the tracker, to the customer's open sockets."""
        said = redact(typed).text
        async with self._turn(escalation.conversation_id):
            await self.tracker.append(
                escalation.conversation_id,
                {"event": "bot", "text": said, "metadata": {"agent": agent.display_name, "from": "agent"}},
            )
        frame = {"type": "agent", "text": said, "name": agent.display_name}
        await self.hub.publish(customer_channel(escalation.conversation_id), frame)
        return said

    async def back_to_bot(self, escalation: Escalation) -> str:
        """Resume the bot, which closes politely in the customer's language."""
        async with self._turn(escalation.conversation_id):
            await self.tracker.append(escalation.conversation_id, {"event": "resume"})
            said = await self.tracker.execute(escalation.conversation_id, BACK_TO_BOT_ACTION)
        for item in filter(None, map(bot_item, said)):
            await self.hub.publish(customer_channel(escalation.conversation_id), item)
        closing = "\n".join(item["text"] for item in filter(None, map(bot_item, said)) if "text" in item)
        await self.hub.publish(
            agents_channel(escalation.conversation_id),
            {"type": "closed", "escalation": escalation.id, "status": escalation.status},
        )
        return closing


# --- routes ---------------------------------------------------------------------------------------


def _api_error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": code, "message": message}, status=status, headers=NO_STORE)


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # Sanic raises its own error for malformed JSON
        return {}
    return body if isinstance(body, dict) else {}


def _text_field(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        return None
    value = well_formed(value).strip()
    return value[:limit] if value else None


def add_support_routes(
    app: Sanic, settings: GatewaySettings, shared: SharedState, database: CaseDatabase
) -> None:
    """The console under /support (its script and style are /console.js and /console.css)."""
    sessions = SignedSessions(settings.secret, settings.agent_session_hours, purpose="agent")
    guard = SignInGuard(
        shared, "agent", settings.agent_login_failures, settings.agent_login_window_minutes * 60
    )

    @app.after_server_start
    async def start_support(app: Sanic, _loop: object) -> None:
        app.ctx.support = SupportService(settings, app.ctx.chat.hub, app.ctx.chat.conversation, database)
        app.ctx.support.start()

    @app.before_server_stop
    async def stop_support(app: Sanic, _loop: object) -> None:
        await app.ctx.support.close()

    def service(request: Request) -> SupportService:
        return request.app.ctx.support

    async def agent_of(request: Request) -> Agent | None:
        login = sessions.subject_of(request.cookies.get(SESSION_COOKIE))
        if login is None:
            return None
        return await asyncio.to_thread(service(request).agents.agent, login)

    def clear(response: HTTPResponse, request: Request) -> HTTPResponse:
        clear_session_cookie(response, secure=secure(request), name=SESSION_COOKIE, path=COOKIE_PATH)
        return response

    def signed_in_page(handler: Handler) -> Handler:
        """Pages: a signed-in agent, or a redirect to the sign-in form; forms carry the CSRF token."""

        @wraps(handler)
        async def checked(request: Request, **params: str) -> HTTPResponse:
            value = request.cookies.get(SESSION_COOKIE)
            agent = await agent_of(request)
            if agent is None or not isinstance(value, str):
                if request.method == "GET":
                    response = redirect(LOGIN_PATH, status=303, headers=NO_STORE)
                    return clear(response, request) if value else response
                return message_page(403, "请先登录。", "Please sign in first.", link=LOGIN_PATH)
            if request.method != "GET" and (
                not same_origin(request) or not sessions.csrf_ok(value, request.form.get("csrf"))
            ):
                return message_page(
                    403, "表单已失效，请刷新页面后再试。", "This form has expired: reload and try again.",
                    link=HOME_PATH,
                )  # fmt: skip
            return await handler(request, agent, sessions.csrf_token(value), **params)

        return checked

    def signed_in_api(handler: Handler) -> Handler:
        """The JSON API: 401 without a session, 403 for a POST without the session's CSRF token."""

        @wraps(handler)
        async def checked(request: Request, **params: str) -> HTTPResponse:
            value = request.cookies.get(SESSION_COOKIE)
            agent = await agent_of(request)
            if agent is None or not isinstance(value, str):
                return _api_error(401, "signed_out", "请先登录 · Please sign in first")
            if request.method != "GET" and (
                not same_origin(request) or not sessions.csrf_ok(value, request.headers.get(CSRF_HEADER))
            ):
                return _api_error(403, "csrf", "请刷新页面后再试 · Reload the page and try again")
            return await handler(request, agent, **params)

        return checked

    async def held_escalation(
        request: Request, agent: Agent, escalation_id: str
    ) -> Escalation | HTTPResponse:
        """The escalation, if this agent holds it; otherwise the API's refusal."""
        escalation = await asyncio.to_thread(service(request).escalations.get, int(escalation_id))
        if escalation is None:
            return _api_error(404, "not_found", "没有这个会话 · No such conversation")
        if escalation.status != "claimed" or escalation.agent != agent.login:
            if escalation.status == "claimed":
                return _api_error(409, "already_claimed", ALREADY_TAKEN)
            return _api_error(409, "not_held", "请先接手此会话 · Take the conversation first")
        return escalation

    # --- sign-in ---

    @app.get(LOGIN_PATH)
    async def support_login_form(request: Request) -> HTTPResponse:
        if await agent_of(request) is not None:
            return redirect(HOME_PATH, status=303, headers=NO_STORE)
        page = support_login_page(signed_out=request.args.get("done") == "out")
        return html_response(page, headers=NO_STORE)

    async def agent_login_of(login: str, password: str) -> str | None:
        agent = await asyncio.to_thread(app.ctx.support.agents.sign_in, login, password)
        return agent.login if agent else None

    door = StaffDoor(
        home_path=HOME_PATH,
        cookie_name=SESSION_COOKIE,
        cookie_path=COOKIE_PATH,
        sessions=sessions,
        guard=guard,
        check=agent_login_of,
        login_page=support_login_page,
        refuse=lambda: message_page(
            403, "请从本站登录。", "Please sign in on this site's own page.", link=LOGIN_PATH
        ),
    )

    @app.post(LOGIN_PATH)
    async def support_login(request: Request) -> HTTPResponse:
        return await door.sign_in(request)

    @app.post("/support/logout")
    @signed_in_page
    async def support_logout(request: Request, _agent: Agent, _csrf: str) -> HTTPResponse:
        return clear(redirect(f"{LOGIN_PATH}?done=out", status=303, headers=NO_STORE), request)

    # --- the console ---

    @app.get(HOME_PATH)
    @signed_in_page
    async def support_console(request: Request, agent: Agent, csrf: str) -> HTTPResponse:
        return html_response(console_page(agent.display_name, agent.login, csrf), headers=NO_STORE)

    @app.get("/support/api/queue")
    @signed_in_api
    async def support_queue(request: Request, agent: Agent) -> HTTPResponse:
        frame = await service(request).queue()
        mine = await asyncio.to_thread(service(request).escalations.held_by, agent.login)
        return json_response({**frame, "mine": [queue_item(e) for e in mine]}, headers=NO_STORE)

    @app.get("/support/api/escalations/<escalation_id:int>")
    @signed_in_api
    async def support_escalation(request: Request, agent: Agent, escalation_id: str) -> HTTPResponse:
        held = await held_escalation(request, agent, escalation_id)
        if isinstance(held, HTTPResponse):
            return held
        return json_response(await service(request).details(held), headers=NO_STORE)

    @app.post("/support/api/escalations/<escalation_id:int>/claim")
    @signed_in_api
    async def support_claim(request: Request, agent: Agent, escalation_id: str) -> HTTPResponse:
        support = service(request)
        found = await asyncio.to_thread(support.escalations.get, int(escalation_id))
        if found is None:
            return _api_error(404, "not_found", "没有这个会话 · No such conversation")
        if found.status == "claimed" and found.agent != agent.login:
            return _api_error(409, "already_claimed", ALREADY_TAKEN)
        if found.status == "waiting":
            # The bot stops first: a claim that Rasa did not hear of would leave both answering. Two
            # agents racing both pause (harmless); the store lets exactly one of them claim.
            try:
                await support.tracker.append(found.conversation_id, {"event": "pause"})
            except RasaUnavailable as error:
                logger.warning("%s", error)
                return _api_error(503, "rasa_unavailable", "暂时无法接手，请稍后再试 · Try again in a moment")
        try:
            escalation = await asyncio.to_thread(support.escalations.claim, found.id, agent.login)
        except AlreadyClaimed:
            return _api_error(409, "already_claimed", ALREADY_TAKEN)
        except EscalationNotFound:
            return _api_error(404, "not_found", "没有这个会话 · No such conversation")
        except EscalationClosed:
            return _api_error(409, "closed", "此会话已结束 · This conversation is over")
        await support.refresh_queue(force=True)
        return json_response(await support.details(escalation), headers=NO_STORE)

    @app.post("/support/api/escalations/<escalation_id:int>/messages")
    @signed_in_api
    async def support_message(request: Request, agent: Agent, escalation_id: str) -> HTTPResponse:
        held = await held_escalation(request, agent, escalation_id)
        if isinstance(held, HTTPResponse):
            return held
        typed = _text_field(_body(request), "text", MAX_AGENT_MESSAGE_CHARS + 1)
        if typed is None or len(typed) > MAX_AGENT_MESSAGE_CHARS:
            return _api_error(
                400, "bad_text", f"消息应为 1 到 {MAX_AGENT_MESSAGE_CHARS} 字 · 1 to 2000 characters"
            )
        try:
            said = await service(request).say_to_customer(held, agent, typed)
        except RasaUnavailable as error:
            logger.warning("%s", error)
            return _api_error(503, "rasa_unavailable", "消息未发出，请重试 · Not sent: try again")
        return json_response({"type": "agent", "text": said, "name": agent.display_name}, headers=NO_STORE)

    @app.post("/support/api/escalations/<escalation_id:int>/ticket")
    @signed_in_api
    async def support_ticket(request: Request, agent: Agent, escalation_id: str) -> HTTPResponse:
        held = await held_escalation(request, agent, escalation_id)
        if isinstance(held, HTTPResponse):
            return held
        if not held.ticket_number:
            return _api_error(409, "no_ticket", "此会话没有工单 · This conversation has no ticket")
        body = _body(request)
        status = body.get("status") or None
        note = _text_field(body, "note", MAX_NOTE_CHARS)
        if status is not None and status not in STATUSES:
            return _api_error(400, "bad_status", "状态无效 · Not a ticket status")
        if status is None and note is None:
            return _api_error(400, "empty", "请填写状态或备注 · Give a status or a note")
        try:
            ticket = await asyncio.to_thread(
                service(request).cases.add_event,
                held.ticket_number,
                actor=f"agent:{agent.login}",
                note=note,
                to_status=status,
            )
        except InvalidTransition:
            return _api_error(409, "transition", "工单不能改为该状态 · The ticket cannot take that status")
        return json_response({"number": ticket.number, "status": ticket.status}, headers=NO_STORE)

    @app.post("/support/api/escalations/<escalation_id:int>/finish")
    @signed_in_api
    async def support_finish(request: Request, agent: Agent, escalation_id: str) -> HTTPResponse:
        """Resolve (with a note) or just hand back; either way the bot takes the conversation again."""
        support = service(request)
        body = _body(request)
        action = body.get("action")
        if action not in ("resolve", "hand_back"):
            return _api_error(400, "bad_action", "action: resolve | hand_back")
        note = _text_field(body, "note", MAX_NOTE_CHARS)
        try:
            if action == "resolve":
                escalation = await asyncio.to_thread(
                    support.escalations.resolve, int(escalation_id), agent.login, note
                )
            else:
                escalation = await asyncio.to_thread(
                    support.escalations.hand_back, int(escalation_id), agent.login
                )
        except EscalationNotFound:
            return _api_error(404, "not_found", "没有这个会话 · No such conversation")
        except NotHolder:
            return _api_error(409, "already_claimed", ALREADY_TAKEN)
        except EscalationClosed:
            return _api_error(409, "closed", "此会话已结束 · This conversation is over")
        try:
            closing = await support.back_to_bot(escalation)
        except RasaUnavailable as error:
            logger.warning("%s", error)
            return _api_error(
                503, "rasa_unavailable", "已结束，但机器人暂未恢复 · Finished; the bot is not back yet"
            )
        return json_response({"status": escalation.status, "closing": closing}, headers=NO_STORE)

    # --- the console socket ---

    @app.on_request
    async def guard_support_socket(request: Request) -> HTTPResponse | None:
        if request.path != SOCKET_PATH:
            return None
        origin = (request.headers.get("origin") or "").strip().rstrip("/")
        if origin not in (f"http://{request.host}", f"https://{request.host}"):
            return text("Only the console may open this socket.", status=403)
        if await agent_of(request) is None:
            return text("Please sign in first.", status=401)
        return None

    @app.websocket(SOCKET_PATH)
    async def support_socket(request: Request, ws: Any) -> None:
        agent = await agent_of(request)
        if agent is None:  # the middleware refused already; belt and braces
            await ws.close(1008, "sign in first")
            return
        support = service(request)
        watched: set[str] = set()
        support.hub.subscribe(QUEUE_CHANNEL, ws)
        try:
            await ws.send(json.dumps(await support.queue(), ensure_ascii=False))
            while True:
                frame = await ws.recv()
                try:
                    command = json.loads(frame) if isinstance(frame, str) else None
                except (ValueError, RecursionError):
                    command = None
                if not isinstance(command, dict) or command.get("type") != "watch":
                    continue
                escalation_id = command.get("escalation")
                if not isinstance(escalation_id, int):
                    continue
                escalation = await asyncio.to_thread(support.escalations.get, escalation_id)
                if (
                    escalation is not None
                    and escalation.status == "claimed"
                    and escalation.agent == agent.login
                ):
                    channel = agents_channel(escalation.conversation_id)
                    support.hub.subscribe(channel, ws)
                    watched.add(channel)
        except (ConnectionClosed, WebsocketClosed):
            pass
        finally:
            support.hub.unsubscribe(QUEUE_CHANNEL, ws)
            for channel in watched:
                support.hub.unsubscribe(channel, ws)
