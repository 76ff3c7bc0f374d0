"""Messages built to make the parsers work hard, over REST and through the widget: answered in their
language, and no action server restarts."""

from __future__ import annotations

import pytest

from benchmarks.scenarios import reply_language
from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client
from tests.e2e.hostile_input.corpus import _LEAKED_ERROR, MAX_CHARS
from tests.e2e.hostile_input.corpus_run import _send_message

pytestmark = pytest.mark.slow


# --- messages built to make the parsers work hard ------------------------------------------------

# Dates, times, amounts and IDs repeated up to the message cap, in both languages: adjacent dates made
# Duckling allocate gigabytes and abort the action server ("11月24日" seven times was enough).
_PARSER_FRAGMENTS = {
    "zh": [
        "11月24日",
        "下午3点",
        "今天下午",
        "晚上",
        "128块5",
        "一百二十八元五角",
        "终端号1029-3847 ",
        "两百十",
    ],
    "en": ["nov 24 ", "yesterday at 3pm ", "noon ", "128.50 yuan ", "TID A1B2C3D4 ", "christmas "],
}
PARSER_HEAVY = [
    (language, (fragment * (MAX_CHARS // len(fragment) + 1))[:MAX_CHARS])
    for language, fragments in _PARSER_FRAGMENTS.items()
    for fragment in fragments
] + [
    ("zh", ("11月24日 15:32 扣了128块5 终端号1029-3847，" * 80)[:MAX_CHARS]),
    ("en", ("charged 128.50 yuan on nov 24 at 3:15pm, tid A1B2C3D4. " * 60)[:MAX_CHARS]),
    ("zh", "11月24日" * 7),
]


def _action_servers(assistant: Client) -> dict[str, int]:
    return {name: pid for name, pid in assistant.processes.pids().items() if name.startswith("actions")}


def test_parser_heavy_messages_over_rest_are_answered_and_no_process_restarts(assistant: Client) -> None:
    before = _action_servers(assistant)
    assert before
    for language, text in PARSER_HEAVY:
        sender = assistant.new_sender()
        # Once as a first message, once as the answer to the question it drew (the parsers' other mode).
        for _ in range(2):
            replies = assistant.say(sender, text, metadata={"language": language})
        said = [r["text"] for r in replies if r.get("text")]
        assert said, (language, text[:40])
        assert all(reply_language(t) == language for t in said), (text[:40], said)
        assert not any(_LEAKED_ERROR.search(t) for t in said), said
    assert _action_servers(assistant) == before


async def test_parser_heavy_messages_through_the_widget_are_answered(gateway: str, assistant: Client) -> None:
    before = _action_servers(assistant)
    for language in ("zh", "en"):
        chat, _ = await ChatSocket.open(gateway, language=language)
        try:
            for text_language, text in PARSER_HEAVY:
                if text_language != language:
                    continue
                frames = await _send_message(chat, text, language)
                assert frames[-1]["type"] == "ack", frames
                said = bot_texts(frames)
                assert said and all(reply_language(t) == language for t in said), (text[:40], said)
        finally:
            await chat.close()
    assert _action_servers(assistant) == before
