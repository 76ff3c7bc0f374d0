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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from typing import Any

from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.agents import Agent, AgentDirectory
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
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
        ticket = None
        if escalation.ticket_number:
            found = await asyncio.to_thread(self.cases.get, escalation.ticket_number, follow_merges=True)
            if found is not None:
                ticket = {"number": found.number, "status": found.status}
        return {**queue_item(escalation), "transcript": transcript, "ticket_state": ticket}

    async def say_to_customer(self, escalation: Escalation, agent: Agent, typed: str) -> str:
        """The agent's message: redacted, into the tracker, to the customer's open sockets."""
        said = redact(printable(typed)).text
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
            # Rasa's execute endpoint runs the action and stops there. The bot then listens, as after
            # any turn of its own: without it the customer's next message has no action_listen
            # before it, no rule applies, and the policies run action_turn until Rasa's breaker.
            await self.tracker.append(
                escalation.conversation_id, {"event": "action", "name": "action_listen"}
            )
        for item in filter(None, map(bot_item, said)):
            await self.hub.publish(customer_channel(escalation.conversation_id), item)
        closing = "\n".join(item["text"] for item in filter(None, map(bot_item, said)) if "text" in item)
        await self.hub.publish(
            agents_channel(escalation.conversation_id),
            {"type": "closed", "escalation": escalation.id, "status": escalation.status},
        )
        return closing
