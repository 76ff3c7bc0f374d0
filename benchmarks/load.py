"""Load benchmark: simulated customers completing whole complaints over the gateway's chat socket,
bounded in count and duration, on loopback only; for the embedded default profile ("local": one of
each server, SQLite) and the production profile (two gateways, rasa servers and action servers on
PostgreSQL and Redis), beside a vanilla `rasa init` bot's REST figures measured in the same run.

    .venv/bin/python -m benchmarks.load            # 20 customers, 10 at a time: both profiles, and
                                                   # the vanilla bot (trained once, first)
    .venv/bin/python -m benchmarks.load --smoke    # 2 customers, local profile, no vanilla bot
    .venv/bin/python -m benchmarks.load --gateway-url http://127.0.0.1:8000 \\
        --sandbox-url http://127.0.0.1:8090 --sandbox-key KEY --case-store-url URL \\
        --rasa-url http://127.0.0.1:5005 --token TOKEN   # against running servers (the tests do)

A customer opens the chat socket (`/ws`), says hello and completes a complaint about a sandbox
transaction, in Chinese or English in rotation: the complaint with its facts typed, then the
card's last 4 digits, and for a payment that went through "/affirm", sent as a click (the payload
as text, the button's title as display), until the bot frame whose custom payload is the
`case_result` with the transaction's outcome. Customers are spread over the gateways round robin.
Each message is timed from its frame to the gateway's ack. A reject, a retry, a closed socket, a
message not acked within --message-timeout, or a wrong reply counts as an error, and that customer
gives up. At most --concurrency customers talk at once, and none starts after --duration-limit
seconds. Warm-up conversations (not counted) run first. The vanilla bot's customers run its happy
path (hello, "I am sad", yes) over REST, with the same counts and bounds.

The benchmark's own gateways get much higher rate limits than the defaults (20 messages a minute a
session, 60 an address; every customer here comes from 127.0.0.1). Peak memory is each server
process's VmHWM from /proc after the load (with its child processes, if it has any).

After the load every conversation is checked for loss: each message the customer sent is in the
tracker store exactly once (found by its client id, through rasa's tracker API), and each
conversation that ended in a ticket has that ticket in the case store, for its transaction, opened
from it (or, as one payment has one active ticket, noting it), and opened no other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import websockets

from benchmarks.conversation import (
    LANGUAGES,
    SHANGHAI,
    TRANSACTIONS,
    WEBHOOK,
    Step,
    VanillaBot,
    case_result,
    complaint_script,
    fetch_transactions,
    vanilla_script,
)
from benchmarks.nlu import percentile
from benchmarks.procfs import status_kb
from bot.case_store import CaseStore
from bot.case_store.store import CASE_KIND_FOR_OUTCOME
from bot.config import PROJECT_ROOT
from bot.processes import AssistantProcesses
from bot.profile import LOCAL, PRODUCTION

# Customer i complains about ROTATION[i % len(ROTATION)]: every transaction in both languages; three
# of them end in a ticket each (two refunds and an escalation), and the first customer's conversation
# ends in one (so the smoke run checks a ticket too).
ROTATION = (
    ("TXN0005", "zh"),
    ("TXN0001", "en"),
    ("TXN0006", "zh"),
    ("TXN0004", "zh"),
    ("TXN0012", "en"),
    ("TXN0015", "en"),
    ("TXN0005", "en"),
    ("TXN0001", "zh"),
    ("TXN0006", "en"),
    ("TXN0004", "en"),
    ("TXN0012", "zh"),
    ("TXN0015", "zh"),
)
# Warm-up conversations, two per gateway, that open no ticket.
WARM_UP = (("TXN0001", "zh"), ("TXN0012", "en"))
RAISED_LIMIT = "1000000"
RAISED_LIMITS = {
    "GATEWAY_SESSION_MESSAGES_PER_MINUTE": RAISED_LIMIT,
    "GATEWAY_ADDRESS_MESSAGES_PER_MINUTE": RAISED_LIMIT,
}
EXTERNAL = "external"
VANILLA = "vanilla"
WEBSOCKET = "websocket"
REST = "REST"


# --- the customer's side of the chat socket ---------------------------------------------------------


class ChatClient:
    """The widget's side of the gateway's chat socket, as much as a customer needs of it
    (docs/widget-protocol.md)."""

    def __init__(self, socket: websockets.WebSocketClientProtocol) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, gateway_url: str, language: str) -> tuple[ChatClient, dict[str, Any]]:
        """Connect and say hello as a first visit does; the gateway's welcome."""
        url = "ws" + gateway_url.removeprefix("http") + "/ws"
        socket = await websockets.connect(url, origin=gateway_url, open_timeout=30)
        chat = cls(socket)
        try:
            hello = {"type": "hello", "session": None, "language": language, "timezone": "Asia/Shanghai"}
            await chat.send(hello)
            welcome = await chat.receive()
            if welcome.get("type") != "welcome" or not isinstance(welcome.get("session"), str):
                raise RuntimeError(f"no welcome but {welcome}")
        except BaseException:
            await socket.close()
            raise
        return chat, welcome

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame, ensure_ascii=False))

    async def receive(self) -> dict[str, Any]:
        frame = json.loads(await self.socket.recv())
        if not isinstance(frame, dict):
            raise ValueError(f"not a frame: {frame!r}")
        return frame

    async def say(
        self, client_id: str, text: str, language: str, display: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Send a message; the frames before its ack, reject or retry, and that last frame."""
        frame: dict[str, Any] = {
            "type": "message",
            "id": client_id,
            "text": text,
            "language": language,
            "language_chosen": False,
        }
        if display:
            frame["display"] = display  # a button click: the transcript shows its title
        await self.send(frame)
        frames = []
        while True:
            reply = await self.receive()
            if reply.get("type") in ("ack", "reject", "retry") and reply.get("id") == client_id:
                return frames, reply
            frames.append(reply)

    async def close(self) -> None:
        await self.socket.close()


def conversation_of(session: str) -> str:
    """The conversation id a gateway session token names: the token is itsdangerous's
    `value.timestamp.signature`, readable by anyone though only the gateway can sign it."""
    return session.rsplit(".", 2)[0]


def button_title(bot_frames: list[dict[str, Any]], payload: str) -> str | None:
    """The title of the button that carries this payload, as the widget sends it on a click."""
    for frame in bot_frames:
        for button in frame.get("buttons") or []:
            if button.get("payload") == payload:
                return button.get("title")
    return None


def script_index(transaction_id: str, language: str) -> int:
    """The number of `complaint_script`'s conversation about that transaction in that language."""
    return list(TRANSACTIONS).index(transaction_id) + len(TRANSACTIONS) * LANGUAGES.index(language)


# --- one target's load ------------------------------------------------------------------------------


@dataclass
class Sent:
    """One message a customer sent."""

    client_id: str
    text: str
    answered: bool = False
    as_stored: str | None = None  # what the bot got (the ack's text, when the gateway masked some)


@dataclass
class Conversation:
    """One simulated customer's conversation."""

    customer: int
    transaction_id: str | None
    language: str
    conversation_id: str | None = None
    sent: list[Sent] = field(default_factory=list)
    completed: bool = False
    case: dict[str, Any] | None = None


@dataclass
class Load:
    """What happened to one target's customers."""

    target: str
    transport: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    conversations: list[Conversation] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(problem)

    def figures(self) -> dict[str, Any]:
        latencies = self.latencies_ms
        completed = sum(c.completed for c in self.conversations)
        wall = self.wall_s or float("inf")
        return {
            "transport": self.transport,
            "conversations_started": len(self.conversations),
            "conversations_completed": completed,
            "messages": len(latencies),
            "conversations_per_s": completed / wall,
            "messages_per_s": len(latencies) / wall,
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
            "p99_ms": percentile(latencies, 0.99) if latencies else 0.0,
            "errors": self.errors,
            "wall_s": self.wall_s,
        }


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, asyncio.TimeoutError):
        return f"no answer within {timeout:g} s"
    return f"{type(error).__name__}: {error}"


async def drive(
    customers: int, concurrency: int, duration_limit: float, customer: Callable[[int], Awaitable[None]]
) -> float:
    """customer(i) for each i below `customers`, `concurrency` at a time, none started after the
    duration limit; the wall time in seconds."""
    started = time.perf_counter()
    deadline = started + duration_limit
    numbers = count()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            i = next(numbers)
            if i >= customers:
                return
            await customer(i)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, customers)))))
    return time.perf_counter() - started


async def complain(
    load: Load,
    customer: int,
    gateway_url: str,
    steps: list[Step],
    transaction_id: str,
    language: str,
    timeout: float,
) -> None:
    """One customer's complaint over the chat socket, every message timed. Never raises."""
    conversation = Conversation(customer, transaction_id, language)
    load.conversations.append(conversation)
    label = f"customer {customer} ({transaction_id}/{language}, {gateway_url})"
    try:
        chat, welcome = await asyncio.wait_for(ChatClient.open(gateway_url, language), timeout)
    except Exception as error:
        load.fail(f"{label}: no welcome: {_describe(error, timeout)}")
        return
    conversation.conversation_id = conversation_of(welcome["session"])
    try:
        bot_frames: list[dict[str, Any]] = []
        for number, (text, check) in enumerate(steps, start=1):
            sent = Sent(uuid.uuid4().hex, text)
            conversation.sent.append(sent)
            display = button_title(bot_frames, text) if text.startswith("/") else None
            started = time.perf_counter()
            try:
                frames, end = await asyncio.wait_for(
                    chat.say(sent.client_id, text, language, display), timeout
                )
            except Exception as error:
                load.fail(f"{label}, message {number}: {_describe(error, timeout)}")
                return
            elapsed_ms = (time.perf_counter() - started) * 1000
            if end["type"] != "ack":
                load.fail(
                    f"{label}, message {number}: {end['type']} {end.get('code', '')} {end.get('text')!r}"
                )
                return
            sent.answered, sent.as_stored = True, end.get("text", text)
            load.latencies_ms.append(elapsed_ms)
            bot_frames = [frame for frame in frames if frame.get("type") == "bot"]
            problem = check(bot_frames)
            if problem:
                load.fail(f"{label}, message {number}: {problem}")
                return
        conversation.completed = True
        conversation.case = case_result(bot_frames)
    finally:
        with contextlib.suppress(Exception):  # a socket that does not close politely is the gateway's
            await asyncio.wait_for(chat.close(), 10)


async def chat_over_rest(load: Load, client: httpx.AsyncClient, customer: int, timeout: float) -> None:
    """One vanilla bot customer's happy path over REST, every message timed. Never raises."""
    conversation = Conversation(customer, None, "en", conversation_id=f"load-{uuid.uuid4().hex[:12]}")
    load.conversations.append(conversation)
    for number, (text, check) in enumerate(vanilla_script(customer), start=1):
        sent = Sent(uuid.uuid4().hex, text)
        conversation.sent.append(sent)
        started = time.perf_counter()
        try:
            response = await client.post(
                WEBHOOK, json={"sender": conversation.conversation_id, "message": text}, timeout=timeout
            )
            response.raise_for_status()
            replies = response.json()
        except Exception as error:
            load.fail(f"customer {customer}, message {number}: {_describe(error, timeout)}")
            return
        load.latencies_ms.append((time.perf_counter() - started) * 1000)
        sent.answered = True
        problem = check(replies)
        if problem:
            load.fail(f"customer {customer}, message {number}: {problem}")
            return
    conversation.completed = True


@dataclass
class Settings:
    customers: int
    concurrency: int
    duration_limit: float
    message_timeout: float
    warm_up: bool


@dataclass
class Servers:
    """Where one target's servers listen: started here (`processes`) or given on the command line."""

    gateway_urls: list[str]
    sandbox_url: str
    sandbox_key: str
    case_store_url: str
    rasa_url: str
    token: str
    processes: AssistantProcesses | None = None

    @classmethod
    def of(cls, processes: AssistantProcesses) -> Servers:
        return cls(
            gateway_urls=processes.gateway_urls,
            sandbox_url=processes.sandbox_url,
            sandbox_key=processes.sandbox_key,
            case_store_url=processes.case_store_url,
            rasa_url=processes.base_url,
            token=processes.token,
            processes=processes,
        )


async def load_assistant(target: str, servers: Servers, settings: Settings) -> Load:
    """Warm-up conversations (two a gateway, uncounted), then the customers."""
    script = complaint_script(fetch_transactions(servers.sandbox_url, servers.sandbox_key))
    gateways = servers.gateway_urls
    timeout = settings.message_timeout
    if settings.warm_up:
        warm = Load(target, WEBSOCKET)
        for gateway in gateways:
            for transaction_id, language in WARM_UP:
                steps = script(script_index(transaction_id, language))
                await complain(warm, -1, gateway, steps, transaction_id, language, timeout)
        if warm.errors:
            raise RuntimeError(f"{target}: warm-up conversation failed: {warm.error_samples[0]}")

    load = Load(target, WEBSOCKET)

    async def customer(i: int) -> None:
        transaction_id, language = ROTATION[i % len(ROTATION)]
        steps = script(script_index(transaction_id, language))
        await complain(load, i, gateways[i % len(gateways)], steps, transaction_id, language, timeout)

    load.wall_s = await drive(settings.customers, settings.concurrency, settings.duration_limit, customer)
    return load


async def load_vanilla(url: str, settings: Settings) -> Load:
    load = Load(VANILLA, REST)
    limits = httpx.Limits(max_connections=max(settings.concurrency, 1) * 2)
    async with httpx.AsyncClient(base_url=url, timeout=settings.message_timeout, limits=limits) as client:
        if settings.warm_up:
            warm = Load(VANILLA, REST)
            await chat_over_rest(warm, client, -1, settings.message_timeout)
            if warm.errors:
                raise RuntimeError(f"vanilla: warm-up conversation failed: {warm.error_samples[0]}")

        async def customer(i: int) -> None:
            await chat_over_rest(load, client, i, settings.message_timeout)

        load.wall_s = await drive(settings.customers, settings.concurrency, settings.duration_limit, customer)
    return load


# --- memory -----------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # "pid (name) state ppid ..."
        children[parent].append(int(entry.name))
    return children


def peak_memory(pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Each named process's peak resident memory (VmHWM, MB), with its descendants' added."""
    children = _children()
    peaks = {}
    for name, pid in pids.items():
        family = [pid]
        for member in family:
            family.extend(children.get(member, []))
        peaks[name] = {"mb": sum(status_kb(p, "VmHWM") for p in family) / 1024, "processes": len(family)}
    return peaks


# --- the loss check ---------------------------------------------------------------------------------


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
    store = CaseStore(servers.case_store_url, business_timezone=SHANGHAI)
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
        store.close()
    return check


# --- targets ------------------------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    load: Load
    memory: dict[str, dict[str, float]] | None = None
    loss: LossCheck | None = None
    load_average: float = 0.0
    started_s: float = 0.0  # starting (and for the vanilla bot, training) its servers
    training_s: float | None = None  # the vanilla bot's `rasa init` with its training

    def figures(self) -> dict[str, Any]:
        return {
            **self.load.figures(),
            "peak_memory": self.memory,
            "loss_check": self.loss.figures() if self.loss else None,
            "load_average_1min_before": self.load_average,
            "servers_start_s": self.started_s,
        }


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Child processes' output to stderr meanwhile, so that stdout holds the report alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _progress(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


def measure_assistant(target: str, servers: Servers, settings: Settings) -> Result:
    load_average = os.getloadavg()[0]
    _progress(f"{target}: {settings.customers} customers over {len(servers.gateway_urls)} gateway(s)")
    load = asyncio.run(load_assistant(target, servers, settings))
    memory = peak_memory(servers.processes.pids()) if servers.processes is not None else None
    _progress(f"{target}: checking {len(load.conversations)} conversations for loss")
    loss = check_losses(load.conversations, servers)
    return Result(target, load, memory, loss, load_average)


def measure_profile(profile: str, workdir: Path, settings: Settings, model: Path) -> Result:
    processes = AssistantProcesses(
        workdir=workdir,
        model=model,
        profile=profile,
        copies=2 if profile == PRODUCTION else 1,
        gateway_environment=dict(RAISED_LIMITS),
    )
    _progress(f"{profile}: starting its servers (logs in {workdir})")
    started = time.perf_counter()
    try:
        with _stdout_to_stderr():  # the case store's migration prints its revision
            processes.start()
        started_s = time.perf_counter() - started
        result = measure_assistant(profile, Servers.of(processes), settings)
        result.started_s = started_s
        return result
    finally:
        processes.stop()


def measure_vanilla(workdir: Path, settings: Settings) -> Result:
    vanilla = VanillaBot(workdir=workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    _progress(f"vanilla: `rasa init` (it trains the moodbot), then `rasa run` (logs in {workdir})")
    started = time.perf_counter()
    try:
        vanilla.start()
        started_s = time.perf_counter() - started
        load_average = os.getloadavg()[0]
        _progress(f"vanilla: {settings.customers} customers over REST")
        load = asyncio.run(load_vanilla(vanilla.base_url, settings))
        memory = peak_memory({"rasa": vanilla.pid}) if vanilla.pid is not None else None
        return Result(VANILLA, load, memory, None, load_average, started_s, vanilla.training_s)
    finally:
        vanilla.stop()
        shutil.rmtree(vanilla.project, ignore_errors=True)  # its model; the logs stay


# --- output -------------------------------------------------------------------------------------------


HEADER = (
    f"{'target':<12}{'transport':<11}{'conv done/started':>18}{'msgs':>6}{'conv/s':>8}{'msg/s':>8}"
    f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'wall s':>8}"
)


def table_row(target: str, figures: dict[str, Any]) -> str:
    conversations = f"{figures['conversations_completed']}/{figures['conversations_started']}"
    return (
        f"{target:<12}{figures['transport']:<11}{conversations:>18}{figures['messages']:>6}"
        f"{figures['conversations_per_s']:>8.2f}{figures['messages_per_s']:>8.2f}"
        f"{figures['p50_ms']:>9.0f}{figures['p95_ms']:>9.0f}{figures['p99_ms']:>9.0f}"
        f"{figures['errors']:>8}{figures['wall_s']:>8.1f}"
    )


PROCESS_KINDS = ("gateway", "rasa", "actions", "sandbox")


def _process_order(name: str) -> tuple[int, str]:
    """gateway, gateway2, rasa, rasa2, actions, actions2, sandbox."""
    kind = name.rstrip("0123456789")
    return (PROCESS_KINDS.index(kind) if kind in PROCESS_KINDS else len(PROCESS_KINDS), name)


def print_report(results: list[Result], settings: Settings, external: bool, training_s: float | None) -> None:
    print("\nLoad benchmark: whole complaints over the gateway's websocket (/ws); vanilla: its happy path")
    print("over REST (POST /webhooks/rest/webhook); every server on loopback, every customer from 127.0.0.1")
    print(
        f"{settings.customers} customers, at most {settings.concurrency} at once, none started after "
        f"{settings.duration_limit:g} s, {settings.message_timeout:g} s per message; "
        + ("warm-up conversations first (not counted)" if settings.warm_up else "no warm-up")
    )
    if external:
        print(
            "gateway rate limits: the running gateway's own (by default 20 a session, 60 an address a minute)"
        )
    else:
        limits = " ".join(f"{name}={value}" for name, value in RAISED_LIMITS.items())
        print(f"gateway rate limits raised for this run: {limits}")
    averages = ", ".join(f"{r.target} {r.load_average:.1f}" for r in results)
    print(f"machine: {os.cpu_count()} cores; 1-min load average before each target's load: {averages}")
    print("latency: a message's frame to its ack (websocket), request to response (REST)\n")
    print(HEADER)
    for result in results:
        print(table_row(result.target, result.load.figures()))
    for result in results:
        for sample in result.load.error_samples:
            print(f"   error [{result.target}] {sample}")

    print("\nPeak resident memory, MB (VmHWM from /proc after the load; children of a server included)")
    measured = [r for r in results if r.memory is not None]
    if measured:
        names = sorted({name for result in measured for name in result.memory or {}}, key=_process_order)
        print(f"{'process':<12}" + "".join(f"{r.target:>12}" for r in measured))
        for name in names:
            cells = []
            for result in measured:
                peak = (result.memory or {}).get(name)
                cell = "-" if peak is None else f"{peak['mb']:.0f}"
                if peak is not None and peak["processes"] > 1:
                    cell += f" ({peak['processes']:.0f} proc)"
                cells.append(f"{cell:>12}")
            print(f"{name:<12}" + "".join(cells))
        totals = [sum(p["mb"] for p in (r.memory or {}).values()) for r in measured]
        print(f"{'total':<12}" + "".join(f"{total:>12.0f}" for total in totals))
    for result in results:
        if result.memory is None:
            print(f"{result.target}: memory not measured (servers not started by the benchmark)")

    print("\nLoss check (every message sent in the tracker store exactly once, by its client id;")
    print("every ticket a conversation ended in in the case store, for its transaction and conversation)")
    for result in results:
        loss = result.loss
        if loss is None:
            continue
        print(
            f"{result.target:<12}{loss.line()} ({loss.messages} messages checked; {loss.tickets} "
            f"conversation(s) ended in a ticket, on {len(loss.ticket_numbers)} distinct ticket(s): one "
            f"active ticket per payment; {loss.unexpected_tickets} unexpected tickets)"
        )
        for problem in loss.problems[:10]:
            print(f"   problem [{result.target}] {problem}")
    if training_s is not None:
        print(f"\nvanilla bot: `rasa init` with its training took {training_s:.0f} s (not in the figures)")
    starts = [f"{r.target} {r.started_s:.0f} s" for r in results if r.started_s and r.target != VANILLA]
    if starts:
        print("servers started in: " + ", ".join(starts))


# --- main ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, help="simulated customers per target (20; smoke 2)")
    parser.add_argument("--concurrency", type=int, help="customers talking at once (10; smoke 2)")
    parser.add_argument("--duration-limit", type=float, default=300, help="seconds; no customer starts later")
    parser.add_argument("--message-timeout", type=float, default=60, help="seconds a message may take")
    parser.add_argument("--profiles", help="comma-separated: local,production (smoke: local)")
    parser.add_argument(
        "--vanilla",
        action=argparse.BooleanOptionalAction,
        help="the vanilla `rasa init` bot (default: not in smoke)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="2 customers, 2 at once, no vanilla bot, no warm-up"
    )
    parser.add_argument("--json", type=Path, help="write the figures there")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    running = parser.add_argument_group("running servers (instead of starting them; memory is not measured)")
    running.add_argument("--gateway-url", help="gateway(s), comma-separated; customers go round robin")
    running.add_argument("--sandbox-url", help="the sandbox merchant API")
    running.add_argument("--sandbox-key", help="its X-API-Key")
    running.add_argument("--case-store-url", help="the case store's database URL")
    running.add_argument("--rasa-url", help="a rasa server (its tracker API, for the loss check)")
    running.add_argument("--token", help="the rasa server's auth token")
    args = parser.parse_args(argv)

    settings = Settings(
        customers=args.customers or (2 if args.smoke else 20),
        concurrency=args.concurrency or (2 if args.smoke else 10),
        duration_limit=args.duration_limit,
        message_timeout=args.message_timeout,
        warm_up=not args.smoke,
    )
    with_vanilla = args.vanilla if args.vanilla is not None else not args.smoke
    external = args.gateway_url is not None
    if external:
        given = ("sandbox_url", "sandbox_key", "case_store_url", "rasa_url", "token")
        missing = [f"--{name.replace('_', '-')}" for name in given if getattr(args, name) is None]
        if missing:
            parser.error(f"--gateway-url needs {', '.join(missing)} too")
        if args.profiles:
            parser.error("--profiles starts servers; it does not go with --gateway-url")
        profiles: list[str] = []
    else:
        profiles = [
            p.strip() for p in (args.profiles or (LOCAL if args.smoke else "local,production")).split(",")
        ]
        unknown = [p for p in profiles if p not in (LOCAL, PRODUCTION)]
        if unknown:
            parser.error(f"unknown profile(s): {', '.join(unknown)}")

    scratch = Path(tempfile.mkdtemp(prefix="load-bench-"))
    results: list[Result] = []
    training_s = None
    if with_vanilla:
        # Trained and measured first, before any of the assistant's servers run.
        vanilla = measure_vanilla(scratch / "vanilla", settings)
        training_s = vanilla.training_s
        results.append(vanilla)
    if external:
        servers = Servers(
            gateway_urls=[url.strip().rstrip("/") for url in args.gateway_url.split(",")],
            sandbox_url=args.sandbox_url,
            sandbox_key=args.sandbox_key,
            case_store_url=args.case_store_url,
            rasa_url=args.rasa_url,
            token=args.token,
        )
        results.append(measure_assistant(EXTERNAL, servers, settings))
    for profile in profiles:
        results.append(measure_profile(profile, scratch / profile, settings, args.model))
    # The assistant's rows first, then the vanilla bot's.
    results.sort(key=lambda r: r.target == VANILLA)

    print_report(results, settings, external, training_s)
    print(f"logs and scratch files: {scratch}")
    summary: dict[str, Any] = {
        "settings": {
            "customers": settings.customers,
            "concurrency": settings.concurrency,
            "duration_limit_s": settings.duration_limit,
            "message_timeout_s": settings.message_timeout,
            "warm_up": settings.warm_up,
            "gateway_rate_limits": None if external else RAISED_LIMITS,
            "cores": os.cpu_count(),
        },
        "targets": {result.target: result.figures() for result in results},
        "vanilla_training_s": training_s,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return summary


if __name__ == "__main__":
    main()
