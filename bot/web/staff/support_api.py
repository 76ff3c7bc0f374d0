"""The support console's JSON API under /support/api/: the queue, one conversation, claiming it,
talking to the customer, the ticket, and handing the conversation back to the bot. POSTs carry the
session's CSRF token in the X-CSRF-Token header."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from bot.case_store import InvalidTransition
from bot.case_store.agents import Agent
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import AlreadyClaimed, EscalationClosed, EscalationNotFound, NotHolder
from bot.case_store.handover_ticket import SETTLED
from bot.case_store.models import STATUSES
from bot.text.typed_text import well_formed
from bot.web.rasa_client import RasaUnavailable
from bot.web.staff.door import Refusals, SignedIn, StaffDoor
from bot.web.staff.html import NO_STORE
from bot.web.staff.support_service import SupportService, agent_frame, queue_item
from bot.web.staff.texts import joined

logger = logging.getLogger(__name__)

CSRF_HEADER = "x-csrf-token"
MAX_AGENT_MESSAGE_CHARS = 2000
MAX_NOTE_CHARS = 1000
# Any one path segment reaches the route, which answers the API's own 404 for an id it cannot be.
ESCALATION = "/support/api/escalations/<escalation_id:str>"
ESCALATION_ID = re.compile(r"[1-9][0-9]{0,9}")  # ASCII digits only: `\d` and int() take any script's
MAX_ESCALATION_ID = 2**31 - 1  # the case store's INTEGER column (PostgreSQL's int4)

SignedInAgent = SignedIn[Agent]
ByNumber = Callable[[Request, SignedInAgent, int], Awaitable[HTTPResponse]]


def api_error(status: int, code: str, message: str) -> HTTPResponse:
    return json_response({"error": code, "message": message}, status=status, headers=NO_STORE)


API_REFUSALS = Refusals(
    signed_out=lambda _request, _cookie: api_error(401, "signed_out", joined("api_signed_out")),
    forged=lambda: api_error(403, "csrf", joined("api_csrf")),
    csrf_of=lambda request: request.headers.get(CSRF_HEADER),
)


def add_api_routes(bp: Blueprint, door: StaffDoor[Agent]) -> None:
    signed_in = door.signed_in(API_REFUSALS)

    def one(handler: ByNumber) -> Any:
        return signed_in(by_number(handler))

    bp.add_route(signed_in(queue), "/support/api/queue", methods=["GET"], name="api_queue")
    bp.add_route(one(escalation), ESCALATION, methods=["GET"], name="api_escalation")
    bp.add_route(one(claim), f"{ESCALATION}/claim", methods=["POST"], name="api_claim")
    bp.add_route(one(message), f"{ESCALATION}/messages", methods=["POST"], name="api_message")
    bp.add_route(one(ticket), f"{ESCALATION}/ticket", methods=["POST"], name="api_ticket")
    bp.add_route(one(finish), f"{ESCALATION}/finish", methods=["POST"], name="api_finish")


def escalation_number(value: object) -> int | None:
    """The escalation an id names as the API's path or the console socket gives it: a whole number the
    case store can hold, in ASCII digits without a sign or leading zero. Anything else (too long,
    another script's digits, NUL, a path) names none, and must not reach the database."""
    if isinstance(value, str) and ESCALATION_ID.fullmatch(value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        return None
    return number if 0 < number <= MAX_ESCALATION_ID else None


def by_number(handler: ByNumber) -> Callable[..., Awaitable[HTTPResponse]]:
    """The handler called with the path's escalation id as a number; an id that cannot be one is
    answered like an escalation that does not exist."""

    @wraps(handler)
    async def parsed(request: Request, staff: SignedInAgent, escalation_id: str) -> HTTPResponse:
        number = escalation_number(escalation_id)
        if number is None:
            return not_found()
        return await handler(request, staff, number)

    return parsed


def service(request: Request) -> SupportService:
    return request.app.ctx.support


def not_found() -> HTTPResponse:
    return api_error(404, "not_found", joined("api_not_found"))


def already_taken() -> HTTPResponse:
    return api_error(409, "already_claimed", joined("api_already_taken"))


def closed() -> HTTPResponse:
    return api_error(409, "closed", joined("api_closed"))


async def queue(request: Request, staff: SignedInAgent) -> HTTPResponse:
    frame = await service(request).queue()
    mine = await asyncio.to_thread(service(request).escalations.held_by, staff.who.login)
    return json_response({**frame, "mine": [queue_item(e) for e in mine]}, headers=NO_STORE)


async def escalation(request: Request, staff: SignedInAgent, escalation_id: int) -> HTTPResponse:
    held = await held_escalation(request, staff.who, escalation_id)
    if isinstance(held, HTTPResponse):
        return held
    return json_response(await service(request).details(held), headers=NO_STORE)


async def claim(request: Request, staff: SignedInAgent, escalation_id: int) -> HTTPResponse:
    support, agent = service(request), staff.who
    found = await asyncio.to_thread(support.escalations.get, escalation_id)
    if found is None:
        return not_found()
    if found.status == "claimed" and found.agent != agent.login:
        return already_taken()
    if found.status == "waiting":
        # The bot stops first: a claim that Rasa did not hear of would leave both answering. Two
        # agents racing both pause (harmless); the store lets exactly one of them claim.
        try:
            await support.tracker.append(found.conversation_id, {"event": "pause"})
        except RasaUnavailable as error:
            logger.warning("%s", error)
            return api_error(503, "rasa_unavailable", joined("api_claim_unavailable"))
    try:
        change = await asyncio.to_thread(support.escalations.claim_change, found.id, agent.login)
    except AlreadyClaimed:
        return already_taken()
    except EscalationNotFound:
        return not_found()
    except EscalationClosed:
        return closed()
    claimed = change.escalation
    if change.made:  # not again on the holder's second click
        await support.announce_agent(claimed, agent)
    await support.refresh_queue(force=True)
    return json_response(await support.details(claimed), headers=NO_STORE)


async def message(request: Request, staff: SignedInAgent, escalation_id: int) -> HTTPResponse:
    held = await held_escalation(request, staff.who, escalation_id)
    if isinstance(held, HTTPResponse):
        return held
    typed = text_field(json_body(request), "text", MAX_AGENT_MESSAGE_CHARS + 1)
    if typed is None or len(typed) > MAX_AGENT_MESSAGE_CHARS:
        return api_error(400, "bad_text", joined("api_bad_text", limit=MAX_AGENT_MESSAGE_CHARS))
    try:
        said = await service(request).say_to_customer(held, staff.who, typed)
    except RasaUnavailable as error:
        logger.warning("%s", error)
        return api_error(503, "rasa_unavailable", joined("api_not_sent"))
    return json_response(agent_frame(staff.who, said), headers=NO_STORE)


async def ticket(request: Request, staff: SignedInAgent, escalation_id: int) -> HTTPResponse:
    held = await held_escalation(request, staff.who, escalation_id)
    if isinstance(held, HTTPResponse):
        return held
    if not held.ticket_number:
        return api_error(409, "no_ticket", joined("api_no_ticket"))
    body = json_body(request)
    status = body.get("status") or None
    note = text_field(body, "note", MAX_NOTE_CHARS)
    if status is not None and status not in STATUSES:
        return api_error(400, "bad_status", joined("api_bad_status"))
    if status is None and note is None:
        return api_error(400, "empty", joined("api_empty"))
    try:
        changed = await asyncio.to_thread(
            service(request).cases.add_event,
            held.ticket_number,
            actor=f"agent:{staff.who.login}",
            note=note,
            to_status=status,
        )
    except InvalidTransition:
        return api_error(409, "transition", joined("api_transition"))
    return json_response({"number": changed.number, "status": changed.status}, headers=NO_STORE)


async def finish(request: Request, staff: SignedInAgent, escalation_id: int) -> HTTPResponse:
    """Resolve (with a note) or just hand back; either way the bot takes the conversation again.
    Resolving also settles the ticket as `bot/case_store/handover_ticket.py` says, and the customer
    sees the note; handing back leaves the ticket as it is."""
    support, login = service(request), staff.who.login
    body = json_body(request)
    action = body.get("action")
    if action not in ("resolve", "hand_back"):
        return api_error(400, "bad_action", "action: resolve | hand_back")
    note = text_field(body, "note", MAX_NOTE_CHARS)
    try:
        if action == "resolve":
            change = await asyncio.to_thread(support.escalations.resolve_change, escalation_id, login, note)
        else:
            change = await asyncio.to_thread(support.escalations.hand_back_change, escalation_id, login)
    except EscalationNotFound:
        return not_found()
    except NotHolder:
        return already_taken()
    except EscalationClosed:
        return closed()
    done = change.escalation
    resolution = (staff.who, done.note) if done.status == "resolved" and done.note else None
    try:
        farewell = await support.back_to_bot(done, resolution, again=not change.made)
    except RasaUnavailable as error:
        logger.warning("%s", error)
        return api_error(503, "rasa_unavailable", joined("api_not_back"))
    ticket = await support.ticket_state(done)
    answer = {
        "status": done.status,
        "resolution": farewell.resolution,
        "name": staff.who.display_name,
        "closing": farewell.closing,
        "ticket": ticket,
        "message": finished_message(done, ticket),
    }
    return json_response(answer, headers=NO_STORE)


def finished_message(done: Escalation, ticket: dict[str, str] | None) -> str:
    """The console's line for a finished hand-over: what became of it and of its ticket."""
    if done.status != "resolved":
        return joined("finished_handed_back")
    if ticket is None:
        return joined("finished_resolved")
    if ticket["status"] == SETTLED:
        return joined("finished_ticket_settled", ticket=ticket["number"])
    return joined("finished_ticket_kept", ticket=ticket["number"], status=ticket["status"])


async def held_escalation(request: Request, agent: Agent, escalation_id: int) -> Escalation | HTTPResponse:
    """The escalation, if this agent holds it; otherwise the API's refusal."""
    found = await asyncio.to_thread(service(request).escalations.get, escalation_id)
    if found is None:
        return not_found()
    if found.status != "claimed" or found.agent != agent.login:
        if found.status == "claimed":
            return already_taken()
        return api_error(409, "not_held", joined("api_not_held"))
    return found


def json_body(request: Request) -> dict[str, Any]:
    try:
        body = request.json
    except Exception:  # Sanic raises its own error for malformed JSON
        return {}
    return body if isinstance(body, dict) else {}


def text_field(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if not isinstance(value, str):
        return None
    value = well_formed(value).strip()
    return value[:limit] if value else None
