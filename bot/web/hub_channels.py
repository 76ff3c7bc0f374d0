"""The hub's channels that the chat socket and the support console share."""

from __future__ import annotations


def customer_channel(conversation_id: str) -> str:
    """The customer's open sockets of a conversation."""
    return f"customer:{conversation_id}"


def agents_channel(conversation_id: str) -> str:
    """The console sockets of the agent who holds a conversation."""
    return f"agents:{conversation_id}"
