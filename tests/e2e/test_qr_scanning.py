"""Scanning over the chat socket: bad codes get a notice and an ordinary chat; guessing is limited."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.case_store.merchants import MerchantDirectory
from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client, sandbox_transaction
from tests.e2e.extra_gateway import extra_gateway

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "altered"])
async def test_a_bad_code_says_so_and_gives_an_ordinary_chat(
    assistant: Client, merchants: MerchantDirectory, state: str
) -> None:
    terminal_id = sandbox_transaction(assistant, "TXN0005")["terminal_id"]
    if state == "unknown":
        token = "A" * 26
    elif state == "revoked":
        token = merchants.issue_terminal_code(terminal_id).token
        merchants.issue_terminal_code(terminal_id)
    elif state == "expired":
        paid = datetime.now(SHANGHAI) - timedelta(hours=3)
        token = merchants.issue_counter_code(terminal_id, Decimal("12"), paid, timedelta(seconds=-1)).token
    else:
        good = merchants.issue_terminal_code(terminal_id).token
        token = good[:-1] + ("B" if good[-1] != "B" else "C")
    chat, welcome = await ChatSocket.open_scan(assistant.processes.gateway_url, token)
    assert welcome["type"] == "welcome" and welcome["history"] == []
    notice = await chat.receive()
    expected = {"altered": "unknown"}.get(state, state)
    assert notice["type"] == "notice" and notice["code"] == f"qr_{expected}"
    assert re.search(r"[\u4e00-\u9fff]", notice["text"])
    frames = await chat.say("你好")
    await chat.close()
    assert bot_texts(frames) and frames[-1]["type"] == "ack"
    tracker = assistant.tracker(welcome["session"].split(".")[0])
    assert tracker["slots"]["terminal_id"] is None
    assert all("qr" not in (e.get("metadata") or {}) for e in tracker["events"] if e["event"] == "user")


async def test_guessing_codes_is_rate_limited(
    assistant: Client, merchants: MerchantDirectory, tmp_path
) -> None:
    terminal_id = sandbox_transaction(assistant, "TXN0005")["terminal_id"]
    good = merchants.issue_terminal_code(terminal_id).token
    with extra_gateway(assistant.processes, tmp_path, GATEWAY_FAILED_SCANS_PER_HOUR="3") as gateway:
        for guess in ("A" * 26, "B" * 26, "C" * 26):
            chat, _ = await ChatSocket.open_scan(gateway, guess)
            assert (await chat.receive())["code"] == "qr_unknown"
            await chat.close()
        chat, _ = await ChatSocket.open_scan(gateway, good)
        refused = await chat.receive()
        await chat.close()
    assert refused["code"] == "qr_rate_limited", json.dumps(refused, ensure_ascii=False)
    assert merchants.code(good).scans == 0
