"""What the support console's requests and sockets share in one gateway process: the queue of
escalations (pushed to this process's consoles when it changes), a conversation's details, and the
two things an agent does to a conversation that the customer sees.

While an agent holds an escalation, Rasa's tracker is paused: the customer's messages still go
through the REST channel (so they are redacted and recorded, and the paused bot does not answer)
and the chat socket relays each one to the agent; the agent's messages are written into the tracker
as bot events with metadata {"from": "agent", "agent": <name>} and pushed to the customer's socket.
Who listens to what lives in the shared state's `LiveHub` (bot/web/shared_state/in_memory.py, and
bot/web/shared_state/redis_hub.py across processes): the sockets stay in their gateway process, and
what is published to a conversation's customer or agent reaches them whichever gateway process
publishes it. The queue is the exception: each process reads it from the database for its own
consoles.

The customer is told, in their language, when an agent takes the conversation (a bot message, in
the tracker with metadata {"from": "gateway", "notice": "agent_joined"}, so that a reload shows it
again), and sees the agent's resolution note as the agent's last message before the bot closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.agents import Agent, AgentDirectory
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.text.catalogue import support_text
from bot.text.redaction import redact
from bot.text.typed_text import printable
from bot.web.hub_channels import agents_channel, customer_channel
from bot.web.rasa_client import RasaClient, RasaUnavailable
from bot.web.settings import GatewaySettings
from bot.web.shared_state import LiveHub
from bot.web.transcript import bot_item, history

logger = logging.getLogger(__name__)

QUEUE_CHANNEL = "queue"
BACK_TO_BOT_ACTION = "action_back_to_bot"


@dataclass(frozen=True)
class Farewell:
    """What the customer was told as the agent left: the resolution note as shown (None: nothing
    this time), and the bot's closing."""

    resolution: str | None
    closing: str


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
        ticket = await self.ticket_state(escalation)
        return {**queue_item(escalation), "transcript": transcript, "ticket_state": ticket}

    async def ticket_state(self, escalation: Escalation) -> dict[str, str] | None:
        """The number and status of the ticket carrying the escalation's case, if it has one."""
        if not escalation.ticket_number:
            return None
        found = await asyncio.to_thread(self.cases.get, escalation.ticket_number, follow_merges=True)
        return None if found is None else {"number": found.number, "status": found.status}

    async def say_to_customer(self, escalation: Escalation, agent: Agent, typed: str) -> str:
        """The agent's message: redacted, into the tracker, to the customer's open sockets."""
        said = agent_text(typed)
        async with self._turn(escalation.conversation_id):
            await self.tracker.append(escalation.conversation_id, agent_event(agent, said))
        await self.hub.publish(customer_channel(escalation.conversation_id), agent_frame(agent, said))
        return said

    async def announce_agent(self, escalation: Escalation, agent: Agent) -> str:
        """Tell the customer, in their language, that a person has joined and answers from now on.
        The customer hears it even when Rasa cannot record it now: the claim has happened."""
        said = joined_text(agent.display_name, escalation.language)
        event = {"event": "bot", "text": said, "metadata": {"from": "gateway", "notice": "agent_joined"}}
        try:
            async with self._turn(escalation.conversation_id):
                await self.tracker.append(escalation.conversation_id, event)
        except RasaUnavailable as error:
            logger.warning("agent's arrival not recorded: %s", error)
        await self.hub.publish(customer_channel(escalation.conversation_id), {"type": "bot", "text": said})
        return said

    async def back_to_bot(
        self, escalation: Escalation, resolution: tuple[Agent, str] | None = None, *, again: bool = False
    ) -> Farewell:
        """Resume the bot, which closes politely in the customer's language. A resolution note
        (the agent, the note) is the agent's last message to the customer, just before that.

        `again`: the agent's request was made before (a double click, or a retry after Rasa failed).
        What the tracker already holds is not said twice; a bot that has closed already says nothing."""
        conversation_id = escalation.conversation_id
        async with self._turn(conversation_id):
            last_word = None
            if resolution is not None:
                agent, note = resolution
                last_word = agent, agent_text(support_text("resolution", escalation.language, note=note))
            if again:
                events = await self.tracker.events(conversation_id)
                if closed_since_pause(events):
                    return Farewell(None, "")
                if last_word is not None and any(agent_said(event, last_word[1]) for event in events):
                    last_word = None
            told = None
            if last_word is not None:
                agent, told = last_word
                await self.tracker.append(conversation_id, agent_event(agent, told))
                await self.hub.publish(customer_channel(conversation_id), agent_frame(agent, told))
            await self.tracker.append(conversation_id, {"event": "resume"})
            said = await self.tracker.execute(conversation_id, BACK_TO_BOT_ACTION)
            # Rasa's execute endpoint runs the action and stops there. The bot then listens, as after
            # any turn of its own: without it the customer's next message has no action_listen
            # before it, no rule applies, and the policies run action_turn until Rasa's breaker.
            await self.tracker.append(conversation_id, {"event": "action", "name": "action_listen"})
        for item in filter(None, map(bot_item, said)):
            await self.hub.publish(customer_channel(escalation.conversation_id), item)
        closing = "\n".join(item["text"] for item in filter(None, map(bot_item, said)) if "text" in item)
        await self.hub.publish(
            agents_channel(escalation.conversation_id),
            {"type": "closed", "escalation": escalation.id, "status": escalation.status},
        )
        return Farewell(told, closing)


def agent_text(typed: str) -> str:
    """What an agent wrote, as the customer may see it and the tracker keep it: printable, and with
    card numbers, PINs and CVVs removed."""
    return redact(printable(typed)).text


def agent_event(agent: Agent, said: str) -> dict[str, Any]:
    """The tracker's record of an agent's message (the transcript shows it as the agent's)."""
    return {"event": "bot", "text": said, "metadata": {"agent": agent.display_name, "from": "agent"}}


def agent_frame(agent: Agent, said: str) -> dict[str, Any]:
    """The customer's socket frame for an agent's message (docs/widget-protocol.md)."""
    return {"type": "agent", "text": said, "name": agent.display_name}


def joined_text(display_name: str, language: str) -> str:
    """The customer-language line saying that the agent (by name, or "a support agent") has joined."""
    name = printable(display_name).strip()
    if not name:
        return support_text("agent_joined_unnamed", language)
    return support_text("agent_joined", language, name=name)


def closed_since_pause(events: list[dict[str, Any]]) -> bool:
    """Whether the bot was resumed after the tracker's last pause and then ran its closing."""
    resumed = closed = False
    for event in events:
        kind = event.get("event")
        if kind == "pause":
            resumed = closed = False
        elif kind == "resume":
            resumed = True
        elif resumed and kind == "action" and event.get("name") == BACK_TO_BOT_ACTION:
            closed = True
    return closed


def agent_said(event: dict[str, Any], text: str) -> bool:
    return (
        event.get("event") == "bot"
        and (event.get("metadata") or {}).get("from") == "agent"
        and event.get("text") == text
    )
