"""`python -m bot.web.end_conversation <conversation id>...`: end conversations now, for every browser
that holds their token (one that leaked, say): the next message or visit with it starts a new
conversation, with a notice. The ids are the ones the support console shows (`web-...`).

The gateways know which conversations ended through their shared state, so this needs
GATEWAY_REDIS_URL and GATEWAY_REDIS_PREFIX as the gateways have them. A single gateway without Redis
keeps that state in its own memory, which no other process reaches: there, a new GATEWAY_SECRET (and
a restart) ends every conversation at once.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Sequence

from bot.profile import exit_if_unsafe
from bot.web.chat import ENDED_CONVERSATIONS
from bot.web.settings import GatewaySettings
from bot.web.shared_state import SharedState, SharedStateUnavailable, create_shared_state

CONVERSATION_ID = re.compile(r"web-[A-Za-z0-9_-]{1,64}")


async def end_conversations(state: SharedState, conversation_ids: Sequence[str], seconds: float) -> None:
    """Mark the conversations ended for `seconds`: their tokens' whole lifetime, as their starts are
    not known here."""
    await state.open()
    try:
        ended = state.marks(ENDED_CONVERSATIONS)
        for conversation_id in conversation_ids:
            await ended.mark(conversation_id, seconds)
    finally:
        await state.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.web.end_conversation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("conversation_ids", nargs="+", metavar="conversation_id")
    args = parser.parse_args(argv)
    exit_if_unsafe()
    odd = [c for c in args.conversation_ids if not CONVERSATION_ID.fullmatch(c)]
    if odd:
        print(
            f"error: not a conversation id of the chat (web-...): {', '.join(map(repr, odd))}",
            file=sys.stderr,
        )
        return 2
    settings = GatewaySettings.configured()
    if not settings.redis_url:
        print(
            "error: GATEWAY_REDIS_URL is empty: a gateway without Redis keeps ended conversations in its own "
            "memory, out of reach; set a new GATEWAY_SECRET and restart it to end every conversation",
            file=sys.stderr,
        )
        return 2
    try:
        state = create_shared_state(settings)
    except SharedStateUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    asyncio.run(end_conversations(state, args.conversation_ids, settings.session_days * 86400))
    print(f"ended {len(args.conversation_ids)} conversation(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
