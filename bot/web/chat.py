"""The chat socket: one browser session's messages to Rasa and its replies back, nothing lost."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sanic.exceptions import WebsocketClosed
from websockets.exceptions import ConnectionClosed

from bot.case_store import CaseDatabase
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.case_store.merchants import MerchantDirectory
from bot.text.catalogue import notice
from bot.text.language import LANGUAGES, detect_language
from bot.text.payloads import BUTTON_PAYLOADS, QR_SCANNED, as_typed_text
from bot.text.redaction import Redaction, redact
from bot.text.typed_text import printable, well_formed
from bot.web.hub_channels import agents_channel, customer_channel
from bot.web.rasa_client import RasaClient, RasaUnavailable
from bot.web.sessions import Conversation, ConversationSessions
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedState
from bot.web.transcript import MAX_DISPLAY_CHARS, bot_item, client_ids, history, user_item

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_SECONDS = 30
MAX_CLIENT_ID_CHARS = 64
REMEMBERED_IDS_PER_CONVERSATION = 100
# A customer starts a new conversation now and then; each one ended is remembered until its token
# would have expired, so one address may not make them by the thousand.
NEW_CONVERSATIONS_PER_MINUTE = 5
ENDED_CONVERSATIONS = "ended-conversations"  # the shared state's marks (bot.web.end_conversation too)
# How long the digits of a card number that ended a message wait for the rest in the next one.
UNFINISHED_CARD_SECONDS = 600


class Socket(Protocol):
    async def recv(self, timeout: float | None = None) -> str | bytes | None: ...
    async def send(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class Closed(Exception):
    """The browser went away."""


@dataclass
class Visitor:
    """What one open socket knows about its browser."""

    conversation: Conversation
    address: str
    language: str
    timezone: str | None

    @property
    def conversation_id(self) -> str:
        return self.conversation.id


class ChatService:
    """Everything the sockets of one gateway process share; what other gateway processes must see
    too (limits, turns, answered ids, the hub) is in the shared state."""

    def __init__(self, settings: GatewaySettings, shared: SharedState, database: CaseDatabase) -> None:
        self.settings = settings
        self.rasa = RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds)
        self.sessions = ConversationSessions(settings.secret, settings.session_days)
        self.per_session = shared.limiter("session-messages", settings.session_messages_per_minute)
        self.per_address = shared.limiter("address-messages", settings.address_messages_per_minute)
        self.scans = shared.limiter("scans", settings.scans_per_minute)
        self.failed_scans = shared.limiter(
            "failed-scans", settings.failed_scans_per_hour, window_seconds=3600
        )
        self.new_conversations = shared.limiter("new-conversations", NEW_CONVERSATIONS_PER_MINUTE)
        # Conversations ended before their tokens expired ("new conversation", or an operator).
        self._ended = shared.marks(ENDED_CONVERSATIONS)
        self.directory = MerchantDirectory(database)
        self.escalations = EscalationStore(database)
        # Customers' sockets by conversation, agents' consoles by the conversation they hold.
        self.hub = shared.hub
        self._turns = shared.locks("conversation")
        self._answered = shared.remembered("answered", REMEMBERED_IDS_PER_CONVERSATION)
        # Per conversation, Redaction.unfinished_card of its last message delivered.
        self._unfinished_cards = shared.notes("unfinished-card", UNFINISHED_CARD_SECONDS)
        self._forwards: set[asyncio.Task[Any]] = set()

    def conversation(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """One conversation's turn: a reconnecting browser waits for a message still on its way."""
        return self._turns.hold(conversation_id)

    async def end(self, conversation: Conversation) -> None:
        """End a conversation for every browser that holds its token: the next message or visit with
        it starts a new one. Remembered until the token would have expired anyway."""
        await self._ended.mark(conversation.id, self.sessions.remaining_seconds(conversation))

    async def has_ended(self, conversation: Conversation) -> bool:
        return self.sessions.expired(conversation) or await self._ended.marked(conversation.id)

    async def serve(self, socket: Socket, address: str) -> None:
        """Run one browser's socket until it closes."""
        visitor = None
        try:
            visitor = await self._greet(socket, address)
            if visitor is not None:
                # An agent's messages reach every open socket of the conversation.
                self.hub.subscribe(customer_channel(visitor.conversation_id), socket)
            while visitor is not None:
                await self._handle(socket, visitor, await _receive(socket))
        except Closed:
            return
        finally:
            if visitor is not None:
                self.hub.unsubscribe(customer_channel(visitor.conversation_id), socket)

    async def _greet(self, socket: Socket, address: str) -> Visitor | None:
        hello = await _receive(socket, timeout=HELLO_TIMEOUT_SECONDS)
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await _notify(socket, "bad_request", "zh")
            await socket.close(1008, "hello expected")
            return None
        language = _language(hello.get("language"))
        timezone = _timezone(hello.get("timezone"))
        if hello.get("qr") is not None:
            return await self._greet_scan(
                socket, Visitor(self.sessions.start(), address, language, timezone), hello["qr"]
            )
        conversation = self.sessions.opened(hello.get("session"))
        ended = conversation is not None and await self.has_ended(conversation)
        events: list[dict[str, Any]] = []
        if conversation is None or ended:
            conversation = self.sessions.start()
        else:
            try:
                async with self.conversation(conversation.id):
                    events = await self.rasa.events(conversation.id)
            except RasaUnavailable as error:
                logger.warning("transcript of %s unavailable: %s", conversation.id, error)
                await _notify(socket, "unavailable", language)
                await socket.close(1013, "try again later")
                return None
        await self._answered.remember(conversation.id, client_ids(events))
        await self._welcome(socket, conversation, history(events))
        if ended:
            await _notify(socket, "session_ended", language)
        return Visitor(conversation, address, language, timezone)

    async def _welcome(self, socket: Socket, conversation: Conversation, items: list[dict[str, Any]]) -> None:
        await _send(
            socket,
            {
                "type": "welcome",
                # The token the conversation began with, never a new one: coming back does not
                # extend its life.
                "session": conversation.token,
                "history": items,
                "max_chars": self.settings.max_message_chars,
            },
        )

    async def _start_over(self, socket: Socket, visitor: Visitor) -> None:
        """The customer asked for a new conversation: the old one ends for every browser holding its
        token, and this socket goes on in a new one."""
        if not await self.new_conversations.allow(visitor.address):
            await _notify(socket, "new_conversation_later", visitor.language)
            return
        await self.end(visitor.conversation)
        self.hub.unsubscribe(customer_channel(visitor.conversation_id), socket)
        visitor.conversation = self.sessions.start()
        self.hub.subscribe(customer_channel(visitor.conversation_id), socket)
        await self._welcome(socket, visitor.conversation, [])

    async def _greet_scan(self, socket: Socket, visitor: Visitor, token: object) -> Visitor:
        """A scanned code starts a new conversation; a good one hands the bot its verified facts."""
        status, context = await self._scan(token, visitor.address)
        await self._welcome(socket, visitor.conversation, [])
        if context is None:
            await _notify(socket, f"qr_{status}", visitor.language)
            return visitor
        metadata = {**self._metadata(visitor, f"scan-{visitor.conversation_id}"), "qr": context}
        await self._converse(socket, visitor, f"scan-{visitor.conversation_id}", QR_SCANNED, metadata)
        return visitor

    async def _scan(self, token: object, address: str) -> tuple[str, dict[str, str] | None]:
        if await self.failed_scans.exhausted(address) or not await self.scans.allow(address):
            return "rate_limited", None
        scan = await asyncio.to_thread(self.directory.scan, token)
        if scan.status != "ok":
            await self.failed_scans.allow(address)
        return scan.status, scan.context()

    async def _handle(self, socket: Socket, visitor: Visitor, frame: Any) -> None:
        if await self.has_ended(visitor.conversation):
            # Ended elsewhere (or its time is up) while this socket was open: the browser reconnects,
            # and its hello starts a new conversation with a notice.
            await socket.close(1008, "conversation ended")
            raise Closed
        if isinstance(frame, dict) and frame.get("type") == "new_conversation":
            await self._start_over(socket, visitor)
            return
        if not isinstance(frame, dict) or frame.get("type") != "message":
            await _notify(socket, "bad_request", visitor.language)
            return
        client_id = frame.get("id")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
            await _notify(socket, "bad_request", visitor.language)
            return
        language = _language(frame.get("language"), default=visitor.language)
        visitor.language = language
        # The id is kept (in the tracker, in the answered ids) as redacted as any text.
        kept_id = redact(client_id).text
        text = frame.get("text")
        text = text.strip() if isinstance(text, str) else ""
        problem = None
        if not _visible(text):
            problem = "empty"
        elif len(text) > self.settings.max_message_chars:
            problem = "too_long"
        elif await self._answered.known(visitor.conversation_id, kept_id):
            await _send(socket, {"type": "ack", "id": client_id})
            return
        elif not await self._within_limits(visitor):
            problem = "rate_limited"
        if problem:
            text_of_notice = notice(problem, language, max_chars=self.settings.max_message_chars)
            await _send(socket, {"type": "reject", "id": client_id, "code": problem, "text": text_of_notice})
            return

        # Only the gateway itself may send its payloads; typed, they are text.
        removal = redact(text, unfinished_card=await self._unfinished_card(visitor.conversation_id))
        redacted = as_typed_text(removal.text, BUTTON_PAYLOADS)
        metadata = self._metadata(visitor, kept_id, language_chosen=frame.get("language_chosen") is True)
        display = _display(frame.get("display")) if text.startswith("/") else None
        if display is not None and display.text:
            metadata["display"] = display.text
        held = await self._held_by_agent(visitor.conversation_id)
        if held is not None:
            delivered = await self._relay_to_agent(socket, visitor, client_id, redacted, metadata, held)
        else:
            delivered = await self._converse(socket, visitor, client_id, redacted, metadata)
        if delivered:
            await self._unfinished_cards.put(
                visitor.conversation_id, str(removal.unfinished_card) if removal.unfinished_card else None
            )
            ack: dict[str, Any] = {"type": "ack", "id": client_id}
            if redacted != text:
                ack["text"] = redacted  # the widget shows, and keeps, only what the bot was given
            if removal.removed or (display is not None and display.removed):
                # The bot (or the agent) never sees what was removed, so the gateway says why, in the
                # language of the message; the ack stays the turn's last frame.
                told_in = detect_language(redacted, previous=language) or language
                await _notify(socket, "card_data_removed", told_in)
            await _send(socket, ack)

    async def _unfinished_card(self, conversation_id: str) -> int:
        """Digits of a card number, hidden, that the conversation's last message ended with."""
        kept = await self._unfinished_cards.get(conversation_id)
        return int(kept) if kept is not None and kept.isdigit() else 0

    @staticmethod
    def _metadata(visitor: Visitor, client_id: str, *, language_chosen: bool = False) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "channel": "web",
            "client_id": client_id,
            "language": visitor.language,
            "language_chosen": language_chosen,
        }
        if visitor.timezone:
            metadata["timezone"] = visitor.timezone
        return metadata

    async def _converse(
        self, socket: Socket, visitor: Visitor, client_id: str, text: str, metadata: dict[str, Any]
    ) -> bool:
        """One turn: the message to Rasa, its replies to the browser. False if Rasa did not answer."""
        await _send(socket, {"type": "typing", "on": True})
        try:
            replies = await self._forward(visitor.conversation_id, text, metadata)
        except RasaUnavailable as error:
            logger.warning("message of %s not answered: %s", visitor.conversation_id, error)
            await _send(socket, {"type": "typing", "on": False})
            await _send(
                socket, {"type": "retry", "id": client_id, "text": notice("unavailable", visitor.language)}
            )
            return False
        items = [item for item in map(bot_item, replies or []) if item is not None]
        for item in items:
            await _send(socket, item)
        await _send(socket, {"type": "typing", "on": False})
        if replies is not None and not items:
            # The bot always answers a message unless it is paused (not here: an agent would hold it).
            # Silence means its actions failed (the action server down): the message is recorded,
            # and the facts so far are kept, so the customer is asked to send it again later.
            logger.warning("message of %s recorded but not answered", visitor.conversation_id)
            await _notify(socket, "busy", visitor.language)
        return True

    async def _held_by_agent(self, conversation_id: str) -> Escalation | None:
        """The conversation's escalation while an agent holds it (the bot is paused then)."""
        try:
            escalation = await asyncio.to_thread(self.escalations.open_for, conversation_id)
        except Exception:  # the case store is down: the bot answers, as before any hand-over
            logger.exception("escalation of %s unknown", conversation_id)
            return None
        return escalation if escalation is not None and escalation.status == "claimed" else None

    async def _relay_to_agent(
        self,
        socket: Socket,
        visitor: Visitor,
        client_id: str,
        text: str,
        metadata: dict[str, Any],
        escalation: Escalation,
    ) -> bool:
        """A message for the agent: recorded in the tracker through Rasa (paused, so it does not
        answer), then relayed to the agent's console. False if Rasa did not take it."""
        try:
            replies = await self._forward(visitor.conversation_id, text, metadata)
        except RasaUnavailable as error:
            logger.warning("message of %s not recorded: %s", visitor.conversation_id, error)
            await _send(
                socket, {"type": "retry", "id": client_id, "text": notice("unavailable", visitor.language)}
            )
            return False
        for reply in replies or ():  # none from a paused bot; whatever comes is still the customer's to see
            item = bot_item(reply)
            if item is not None:
                await _send(socket, item)
        shown = user_item(text, metadata)["text"]
        await self.hub.publish(
            agents_channel(visitor.conversation_id),
            {"type": "customer", "escalation": escalation.id, "id": metadata["client_id"], "text": shown},
        )
        return True

    async def _forward(
        self, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """Send a message to Rasa exactly once (by its metadata's client_id), even if the browser goes
        away meanwhile: its replies, or None when it had already been sent."""
        client_id = metadata["client_id"]

        async def forward() -> list[dict[str, Any]] | None:
            async with self.conversation(conversation_id):
                if await self._answered.known(conversation_id, client_id):
                    return None
                replies = await self.rasa.send(conversation_id, text, metadata)
                await self._answered.remember(conversation_id, {client_id})
                return replies

        task = asyncio.ensure_future(forward())
        self._forwards.add(task)
        task.add_done_callback(self._forwards.discard)
        # Shielded: a closing socket cancels its handler, but not the message already under way.
        return await asyncio.shield(task)

    async def _within_limits(self, visitor: Visitor) -> bool:
        if not await self.per_session.allow(visitor.conversation_id):
            return False
        return await self.per_address.allow(visitor.address)

    async def close(self) -> None:
        if self._forwards:
            await asyncio.gather(*self._forwards, return_exceptions=True)
        await self.rasa.close()


async def _receive(socket: Socket, timeout: float | None = None) -> Any:
    """The next frame as JSON; a frame that is not JSON text becomes None."""
    try:
        frame = await socket.recv(timeout=timeout)
    except (ConnectionClosed, WebsocketClosed) as closed:
        raise Closed from closed
    if frame is None and timeout is not None:
        raise Closed  # no hello in time
    if not isinstance(frame, str):
        return None
    try:
        parsed = json.loads(frame)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than any real frame
        return None
    if isinstance(parsed, dict):
        return {key: well_formed(v) if isinstance(v, str) else v for key, v in parsed.items()}
    return parsed


async def _send(socket: Socket, message: dict[str, Any]) -> None:
    try:
        await socket.send(json.dumps(message, ensure_ascii=False))
    except (ConnectionClosed, WebsocketClosed) as closed:
        raise Closed from closed


async def _notify(socket: Socket, code: str, language: str) -> None:
    await _send(socket, {"type": "notice", "code": code, "text": notice(code, language)})


def _display(value: object) -> Redaction | None:
    """A button's title as the transcript may keep it: printable, redacted, bounded."""
    if not isinstance(value, str):
        return None
    redaction = redact(printable(value).strip())
    return Redaction(redaction.text[:MAX_DISPLAY_CHARS], redaction.removed)


def _visible(text: str) -> bool:
    """Whether a message shows anything (what the REST channel would not turn into nothing)."""
    return bool(printable(text).strip())


def _language(value: object, default: str = "zh") -> str:
    return value if isinstance(value, str) and value in LANGUAGES else default


def _timezone(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value
