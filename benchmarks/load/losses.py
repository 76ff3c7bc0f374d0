"""The loss check: every message a customer sent in the tracker store exactly once, every ticket a
conversation ended in in the case store."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.conversation import SHANGHAI
from benchmarks.load.phases import Conversation
from benchmarks.load.servers import Servers
from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.pending_lookups import CASE_KIND_FOR_OUTCOME


@dataclass
class LossCheck:
    conversations: int = 0
    lost_conversations: int = 0
    messages: int = 0
    tickets: int = 0  # conversations that ended in a ticket
    lost_tickets: int = 0
    ticket_numbers: set[str] = field(default_factory=set)
    unexpected_tickets: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"lost: {self.lost_conversations} of {self.conversations} conversations, "
            f"{self.lost_tickets} of {self.tickets} tickets"
        )

    def figures(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "lost_conversations": self.lost_conversations,
            "messages": self.messages,
            "tickets": self.tickets,
            "lost_tickets": self.lost_tickets,
            "distinct_tickets": len(self.ticket_numbers),
            "unexpected_tickets": self.unexpected_tickets,
            "problems": self.problems,
        }


def message_problems(conversation: Conversation, events: list[dict[str, Any]]) -> list[str]:
    """What the tracker lacks or holds twice of the customer's messages (matched by client id)."""
    stored: Counter[str] = Counter()
    texts: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "user":
            client_id = (event.get("metadata") or {}).get("client_id")
            stored[client_id] += 1
            texts[client_id] = event.get("text")
    problems = []
    for number, sent in enumerate(conversation.sent, start=1):
        times = stored[sent.client_id]
        if sent.answered and times != 1:
            problems.append(f"message {number} (acked) is in the tracker {times} times")
        elif times > 1:
            problems.append(f"message {number} (not acked) is in the tracker {times} times")
        elif sent.answered and texts[sent.client_id] != sent.as_stored:
            problems.append(
                f"message {number} is stored as {texts[sent.client_id]!r}, not {sent.as_stored!r}"
            )
    return problems


def ticket_problem(store: CaseStore, conversation: Conversation, number: str | None) -> str | None:
    """What is wrong with the ticket a conversation ended in, or None."""
    conversation_id = conversation.conversation_id
    assert conversation_id is not None
    if not number:
        return "its case_result names no ticket"
    ticket = store.get(number)
    if ticket is None:
        return f"ticket {number} is not in the case store"
    if ticket.transaction_id != conversation.transaction_id:
        return f"ticket {number} is for {ticket.transaction_id}, not {conversation.transaction_id}"
    opened = [t.number for t in store.find_by_conversation(conversation_id)]
    if ticket.conversation_id == conversation_id:
        return None if opened == [number] else f"it opened {opened}, not just {number}"
    if opened:
        return f"it opened {opened} beside {number}"
    # The payment's active ticket came from another conversation: it must record this one too.
    if not any(conversation_id in (event.note or "") for event in ticket.history):
        return f"ticket {number} (from {ticket.conversation_id}) does not mention it"
    return None


def check_losses(conversations: list[Conversation], servers: Servers) -> LossCheck:
    """Every conversation's messages in the tracker store, every ticket in the case store."""
    check = LossCheck()
    database = CaseDatabase(servers.case_store_url)
    store = CaseStore(database, business_timezone=SHANGHAI)
    try:
        with httpx.Client(base_url=servers.rasa_url, timeout=60) as rasa:
            for conversation in conversations:
                conversation_id = conversation.conversation_id
                if conversation_id is None:
                    continue  # no socket, nothing sent
                check.conversations += 1
                check.messages += len(conversation.sent)
                response = rasa.get(
                    f"/conversations/{conversation_id}/tracker",
                    params={"token": servers.token, "include_events": "ALL"},
                )
                response.raise_for_status()
                problems = message_problems(conversation, response.json().get("events") or [])
                if problems:
                    check.lost_conversations += 1
                    check.problems += [f"{conversation_id}: {problem}" for problem in problems]
                if not conversation.completed:
                    continue  # it may or may not have got as far as a ticket
                case = conversation.case or {}
                if case.get("outcome") in CASE_KIND_FOR_OUTCOME or case.get("ticket_id"):
                    check.tickets += 1
                    problem = ticket_problem(store, conversation, case.get("ticket_id"))
                    if problem:
                        check.lost_tickets += 1
                        check.problems.append(f"{conversation_id}: {problem}")
                    else:
                        check.ticket_numbers.add(case["ticket_id"])
                elif opened := store.find_by_conversation(conversation_id):
                    check.unexpected_tickets += len(opened)
                    numbers = [t.number for t in opened]
                    check.problems.append(f"{conversation_id}: tickets {numbers} without a ticket outcome")
    finally:
        database.close()
    return check
