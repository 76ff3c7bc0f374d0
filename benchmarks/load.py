"""Load benchmark: simulated customers completing whole complaints over the gateway's chat socket,
bounded in count and duration, on loopback only, beside a vanilla `rasa init` bot trained and served
in the same run. The targets:

    local        the embedded default profile with one rasa server: one gateway, rasa server and
                 action server, SQLite
    local-2      the same with two rasa servers behind the gateway, sharing its action server (the
                 default profile as scripts/run.sh starts it on 2 cores)
    production   two gateways, rasa servers and action servers, on PostgreSQL and Redis
    vanilla      the moodbot of `rasa init`, over REST (trained once, first)

    .venv/bin/python -m benchmarks.load            # all four: 6 customers one at a time, then 120,
                                                   # 20 at a time
    .venv/bin/python -m benchmarks.load --smoke    # local only, no vanilla bot: 1, then 2 customers
    .venv/bin/python -m benchmarks.load --gateway-url http://127.0.0.1:8000 \\
        --sandbox-url http://127.0.0.1:8090 --sandbox-key KEY --case-store-url URL \\
        --rasa-url http://127.0.0.1:5005 --token TOKEN \\
        --pids gateway=PID,rasa=PID,actions=PID     # against running servers (the tests do)

A customer opens the chat socket (`/ws`), says hello and completes a complaint about a sandbox
transaction, in Chinese or English in rotation: the complaint with its facts typed, then the
card's last 4 digits, and for a payment that went through "/affirm", sent as a click (the payload
as text, the button's title as display), until the bot frame whose custom payload is the
`case_result` with the transaction's outcome. Customers are spread over the gateways round robin.
Each message is timed from its frame to the gateway's ack. A reject, a retry, a closed socket, a
message not acked within --message-timeout, or a wrong reply counts as an error, and that customer
gives up. The vanilla bot's customers run its happy path (hello, "I am sad", yes) over REST, each
message timed from request to response.

Each target runs warm-up conversations first (not counted), then two phases: "1 user",
--single-customers customers one after the other (latency without contention), then "N users",
--customers customers with at most N = --concurrency talking at once (latency under load and
throughput). Customers are numbered on from one phase to the next, so the rotation of transactions
goes on. No customer starts more than --duration-limit seconds into a phase.

The benchmark's own gateways get much higher rate limits than the defaults (20 messages a minute a
session, 60 an address; every customer here comes from 127.0.0.1).

What it prints, in order:

- One row per target and phase: conversations completed/started, messages, conversations/s and
  messages/s (over the phase's wall time), p50/p95/p99 ms per message, errors, wall time.
- The comparison with the vanilla bot, one column per target of ours. "p50 @1 user" and "p50 @N
  users" are ours ÷ vanilla's median latency in each phase. "throughput @N users" is ours ÷
  vanilla's messages/s in the N-user phase. "CPU/msg" is ours ÷ vanilla's total CPU per message.
  "largest rasa RSS, MB" is the peak memory of our biggest rasa server. "servers' start, s" is from
  a cold start until every server answers its health check. "lost" counts conversations and tickets
  the loss check found lost. Each cell also gives the bound from issue 13 in brackets, with ✓ if
  the figure meets it and ✗ if not: p50 ≤ 1.5×; throughput ≥ 0.8× for each rasa server of the default
  profile (the production profile, twice the processes on the same cores, has none); RSS ≤ 1536
  MB (1.5 GB); start ≤ 45 s; nothing lost. Those bounds are meant for a 2-core machine, and nothing
  fails on them. Without the vanilla bot (--smoke, --no-vanilla), the ratio cells show `-`.
- CPU per message, in ms. This is each server process's utime+stime from /proc/PID/stat, counting
  its descendants (such as the action server's Duckling helper). It is read just before and just
  after the N-user phase and divided by the messages answered in that phase. There is one row per
  process and one column per target. The total includes the sandbox, the stand-in for the merchant
  API. Under the table come the totals' ratios to the vanilla bot's.
- The peak resident memory of each server process: VmHWM from /proc after the load, counting its
  children.
- The loss check. After the load, every conversation of both phases is checked. Each message the
  customer sent must be in the tracker store exactly once, found by its client id through rasa's
  tracker API. Each conversation that ended in a ticket must have that ticket in the case store,
  for its transaction, and must have opened no other. The ticket must have been opened from that
  conversation, or, since a payment has only one active ticket, must mention it.

Servers that were already running (--gateway-url ...) keep their own rate limits. Their CPU time and
memory are measured only if --pids gives their process ids on this machine; otherwise the output
says they were not measured.
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
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import count
from pathlib import Path
from typing import Any

import httpx

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
from benchmarks.procfs import CLOCK_TICKS_PER_SECOND, children, cpu_ticks, family, status_kb
from benchmarks.stats import percentile
from bot.case_store import CaseStore
from bot.case_store.store import CASE_KIND_FOR_OUTCOME
from bot.config import PROJECT_ROOT
from bot.profile import LOCAL, PRODUCTION
from devtools.chat_socket import ChatSocket, button_title, conversation_of
from devtools.processes import AssistantProcesses

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
TOTAL = "total"
NOT_STARTED = "not measured (servers not started by the benchmark, and no --pids)"

# Issue 13's bounds (for 2 cores): our p50 at most 1.5× the vanilla bot's, at 1 user and at N users;
# our throughput at least 0.8× the vanilla bot's for each rasa server; a rasa server's peak RSS at
# most 1.5 GB (MiB, as /proc counts); every server answering within 45 s of a cold start.
P50_BOUND = 1.5
THROUGHPUT_BOUND_PER_RASA_SERVER = 0.8
RASA_RSS_BOUND_MB = 1536
START_BOUND_S = 45


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
    users: int = 1  # customers at once
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
            "users": self.users,
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
        chat, welcome = await asyncio.wait_for(ChatSocket.open_welcomed(gateway_url, language), timeout)
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
            clicked = {"display": display} if display else {}  # the transcript shows the button's title
            started = time.perf_counter()
            try:
                *frames, end = await asyncio.wait_for(
                    chat.say(
                        text,
                        sent.client_id,
                        language=language,
                        frame_timeout=None,
                        language_chosen=False,
                        **clicked,
                    ),
                    timeout,
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
    single_customers: int  # the 1-user phase's, one at a time
    customers: int  # the N-user phase's
    concurrency: int  # N
    duration_limit: float
    message_timeout: float
    warm_up: bool


@dataclass
class Servers:
    """Where one target's servers listen, and their process ids when known (on this machine)."""

    gateway_urls: list[str]
    sandbox_url: str
    sandbox_key: str
    case_store_url: str
    rasa_url: str
    token: str
    pids: dict[str, int] | None = None  # gateway, gateway2, rasa, rasa2, actions, ..., sandbox

    @classmethod
    def of(cls, processes: AssistantProcesses) -> Servers:
        return cls(
            gateway_urls=processes.gateway_urls,
            sandbox_url=processes.sandbox_url,
            sandbox_key=processes.sandbox_key,
            case_store_url=processes.case_store_url,
            rasa_url=processes.base_url,
            token=processes.token,
            pids=processes.pids(),
        )


@dataclass
class Phases:
    """One target's two measured phases, and its processes' CPU time over the N-user one."""

    single: Load  # one customer at a time
    concurrent: Load  # N customers at a time
    cpu_s: dict[str, float] | None = None  # CPU seconds by process name; None: not measured

    @property
    def conversations(self) -> list[Conversation]:
        return self.single.conversations + self.concurrent.conversations

    def cpu_ms_per_message(self) -> dict[str, float] | None:
        """Each process's CPU milliseconds per message answered in the N-user phase, and their total."""
        messages = len(self.concurrent.latencies_ms)
        if self.cpu_s is None or not messages:
            return None
        per_message = {name: seconds * 1000 / messages for name, seconds in self.cpu_s.items()}
        return {**per_message, TOTAL: sum(per_message.values())}


# A customer: customer(load, i) has customer number i talk, recording what happens in `load`.
Customer = Callable[[Load, int], Awaitable[None]]


async def run_phases(
    target: str, transport: str, settings: Settings, customer: Customer, pids: dict[str, int] | None
) -> Phases:
    """The 1-user phase's customers one at a time, then the N-user phase's (numbered on from there),
    with the CPU time of the processes in `pids` read right before and right after the latter."""
    limit = settings.duration_limit
    single = Load(target, transport, users=1)
    _progress(f"{target}: 1 user, {settings.single_customers} customer(s) one at a time")
    single.wall_s = await drive(settings.single_customers, 1, limit, partial(customer, single))

    users = max(1, min(settings.concurrency, settings.customers))
    concurrent = Load(target, transport, users=users)
    first = settings.single_customers
    _progress(f"{target}: {users} users, {settings.customers} customers")
    before = family_cpu_ticks(pids or {})
    concurrent.wall_s = await drive(
        settings.customers, users, limit, lambda i: customer(concurrent, first + i)
    )
    cpu_s = cpu_seconds(before, family_cpu_ticks(pids)) if pids else None
    return Phases(single, concurrent, cpu_s)


async def load_assistant(target: str, servers: Servers, settings: Settings) -> Phases:
    """Warm-up conversations (two a gateway, uncounted), then the two phases."""
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

    async def customer(load: Load, i: int) -> None:
        transaction_id, language = ROTATION[i % len(ROTATION)]
        steps = script(script_index(transaction_id, language))
        await complain(load, i, gateways[i % len(gateways)], steps, transaction_id, language, timeout)

    return await run_phases(target, WEBSOCKET, settings, customer, servers.pids)


async def load_vanilla(url: str, settings: Settings, pids: dict[str, int] | None) -> Phases:
    """A warm-up conversation (uncounted), then the two phases."""
    timeout = settings.message_timeout
    limits = httpx.Limits(max_connections=max(settings.concurrency, 1) * 2)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        if settings.warm_up:
            warm = Load(VANILLA, REST)
            await chat_over_rest(warm, client, -1, timeout)
            if warm.errors:
                raise RuntimeError(f"vanilla: warm-up conversation failed: {warm.error_samples[0]}")

        async def customer(load: Load, i: int) -> None:
            await chat_over_rest(load, client, i, timeout)

        return await run_phases(VANILLA, REST, settings, customer, pids)


# --- processes: CPU time and peak memory -------------------------------------------------------------


def family_cpu_ticks(pids: dict[str, int]) -> dict[str, dict[int, int]]:
    """Each named process's CPU time in clock ticks, and each of its descendants', by process id."""
    children_of = children()
    return {
        name: {member: cpu_ticks(member) for member in family(pid, children_of)} for name, pid in pids.items()
    }


def cpu_seconds(before: dict[str, dict[int, int]], after: dict[str, dict[int, int]]) -> dict[str, float]:
    """Each named process's CPU seconds between two readings, its descendants' included (those started
    meanwhile too; one that ended meanwhile is missed)."""
    return {
        name: sum(max(0, ticks - before.get(name, {}).get(pid, 0)) for pid, ticks in members.items())
        / CLOCK_TICKS_PER_SECOND
        for name, members in after.items()
    }


def peak_memory(pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """Each named process's peak resident memory (VmHWM, MB), with its descendants' added."""
    children_of = children()
    peaks = {}
    for name, pid in pids.items():
        members = family(pid, children_of)
        peaks[name] = {"mb": sum(status_kb(p, "VmHWM") for p in members) / 1024, "processes": len(members)}
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


@dataclass(frozen=True)
class Setup:
    """How a target's servers are started."""

    profile: str
    copies: int = 1  # gateways and action servers
    rasa_servers: int = 1


SETUPS = {
    "local": Setup(LOCAL),
    "local-2": Setup(LOCAL, rasa_servers=2),
    "production": Setup(PRODUCTION, copies=2, rasa_servers=2),
}


@dataclass
class Result:
    target: str
    phases: Phases
    memory: dict[str, dict[str, float]] | None = None
    loss: LossCheck | None = None
    load_average: float = 0.0
    started_s: float | None = None  # cold start to every server healthy (the vanilla bot: with training)
    training_s: float | None = None  # the vanilla bot's `rasa init` with its training
    rasa_servers: int | None = None  # as far as known

    def figures(self) -> dict[str, Any]:
        return {
            "one_user": self.phases.single.figures(),
            "concurrent": self.phases.concurrent.figures(),
            "cpu_s": self.phases.cpu_s,
            "cpu_ms_per_message": self.phases.cpu_ms_per_message(),
            "peak_memory": self.memory,
            "loss_check": self.loss.figures() if self.loss else None,
            "load_average_1min_before": self.load_average,
            "servers_start_s": self.started_s,
            "rasa_servers": self.rasa_servers,
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


def _kind(name: str) -> str:
    """gateway2 → gateway."""
    return name.rstrip("0123456789")


def measure_assistant(target: str, servers: Servers, settings: Settings) -> Result:
    load_average = os.getloadavg()[0]
    _progress(f"{target}: customers over {len(servers.gateway_urls)} gateway(s)")
    phases = asyncio.run(load_assistant(target, servers, settings))
    pids = servers.pids
    memory = peak_memory(pids) if pids else None
    _progress(f"{target}: checking {len(phases.conversations)} conversations for loss")
    loss = check_losses(phases.conversations, servers)
    rasa_servers = sum(_kind(name) == "rasa" for name in pids) if pids else None
    return Result(target, phases, memory, loss, load_average, rasa_servers=rasa_servers)


def measure_profile(target: str, setup: Setup, workdir: Path, settings: Settings, model: Path) -> Result:
    processes = AssistantProcesses(
        workdir=workdir,
        model=model,
        profile=setup.profile,
        copies=setup.copies,
        rasa_servers=setup.rasa_servers,
        gateway_environment=dict(RAISED_LIMITS),
    )
    _progress(f"{target}: starting its servers (logs in {workdir})")
    started = time.perf_counter()
    try:
        with _stdout_to_stderr():  # the case store's migration prints its revision
            processes.start()
        started_s = time.perf_counter() - started
        result = measure_assistant(target, Servers.of(processes), settings)
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
        pids = {"rasa": vanilla.pid} if vanilla.pid is not None else None
        phases = asyncio.run(load_vanilla(vanilla.base_url, settings, pids))
        memory = peak_memory(pids) if pids else None
        return Result(VANILLA, phases, memory, None, load_average, started_s, vanilla.training_s, 1)
    finally:
        vanilla.stop()
        shutil.rmtree(vanilla.project, ignore_errors=True)  # its model; the logs stay


# --- against the vanilla bot ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One figure of the comparison (ours ÷ the vanilla bot's, or one of ours as it is), with the
    issue's bound on it if it sets one."""

    key: str
    label: str
    value: float | None  # None: not measured, or no vanilla bot to divide by
    bound: float | None = None
    at_least: bool = False  # the bound is a floor, not a ceiling
    ratio: bool = True  # printed as 1.12×
    digits: int = 2

    @property
    def met(self) -> bool | None:
        if self.value is None or self.bound is None:
            return None
        return self.value >= self.bound if self.at_least else self.value <= self.bound

    def cell(self) -> str:
        """E.g. `1.12× (≤1.5) ✓`; `-` without a value."""
        if self.value is None:
            return "-"
        text = f"{self.value:.{self.digits}f}" + ("×" if self.ratio else "")
        if self.bound is None:
            return text
        return f"{text} ({'≥' if self.at_least else '≤'}{self.bound:g}) {'✓' if self.met else '✗'}"

    def figures(self) -> dict[str, Any]:
        return {"value": self.value, "bound": self.bound, "at_least": self.at_least, "met": self.met}


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def _total_cpu_ms(result: Result | None) -> float | None:
    per_message = result.phases.cpu_ms_per_message() if result else None
    return per_message[TOTAL] if per_message else None


def _largest_rasa_mb(result: Result) -> float | None:
    peaks = [peak["mb"] for name, peak in (result.memory or {}).items() if _kind(name) == "rasa"]
    return max(peaks, default=None)


def comparison(result: Result, vanilla: Result | None) -> list[Measure]:
    """One of our targets against the vanilla bot of the same run (or None: ratios unknown)."""
    one, many = result.phases.single.figures(), result.phases.concurrent.figures()
    their_one = vanilla.phases.single.figures() if vanilla else {}
    their_many = vanilla.phases.concurrent.figures() if vanilla else {}
    users = result.phases.concurrent.users
    # The bound is the default profile's: on one machine the production profile runs twice the
    # processes for the same cores (it is meant to spread over machines), and is measured unbound.
    throughput_bound = (
        THROUGHPUT_BOUND_PER_RASA_SERVER * result.rasa_servers
        if result.rasa_servers and result.target != PRODUCTION
        else None
    )
    loss = result.loss
    return [
        Measure("p50_1_user", "p50 @1 user", _ratio(one["p50_ms"], their_one.get("p50_ms")), P50_BOUND),
        Measure(
            "p50_n_users",
            f"p50 @{users} users",
            _ratio(many["p50_ms"], their_many.get("p50_ms")),
            P50_BOUND,
        ),
        Measure(
            "throughput_n_users",
            f"throughput @{users} users",
            _ratio(many["messages_per_s"], their_many.get("messages_per_s")),
            throughput_bound,
            at_least=True,
        ),
        Measure("cpu_per_message", "CPU/msg", _ratio(_total_cpu_ms(result), _total_cpu_ms(vanilla))),
        Measure(
            "largest_rasa_rss_mb",
            "largest rasa RSS, MB",
            _largest_rasa_mb(result),
            RASA_RSS_BOUND_MB,
            ratio=False,
            digits=0,
        ),
        Measure(
            "servers_start_s", "servers' start, s", result.started_s, START_BOUND_S, ratio=False, digits=1
        ),
        Measure(
            "lost",
            "lost conv + tickets",
            loss.lost_conversations + loss.lost_tickets if loss else None,
            0,
            ratio=False,
            digits=0,
        ),
    ]


# --- output -------------------------------------------------------------------------------------------


HEADER = (
    f"{'target':<12}{'transport':<11}{'users':>6}{'conv done/started':>18}{'msgs':>6}{'conv/s':>8}"
    f"{'msg/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'wall s':>8}"
)
LABEL_WIDTH = 22
CELL_WIDTH = 17


def table_row(target: str, figures: dict[str, Any]) -> str:
    conversations = f"{figures['conversations_completed']}/{figures['conversations_started']}"
    return (
        f"{target:<12}{figures['transport']:<11}{figures['users']:>6}{conversations:>18}"
        f"{figures['messages']:>6}{figures['conversations_per_s']:>8.2f}{figures['messages_per_s']:>8.2f}"
        f"{figures['p50_ms']:>9.0f}{figures['p95_ms']:>9.0f}{figures['p99_ms']:>9.0f}"
        f"{figures['errors']:>8}{figures['wall_s']:>8.1f}"
    )


PROCESS_KINDS = ("gateway", "rasa", "actions", "sandbox")


def _process_order(name: str) -> tuple[int, str]:
    """gateway, gateway2, rasa, rasa2, actions, actions2, sandbox."""
    kind = _kind(name)
    return (PROCESS_KINDS.index(kind) if kind in PROCESS_KINDS else len(PROCESS_KINDS), name)


def _line(label: str, cells: list[str]) -> str:
    return f"{label:<{LABEL_WIDTH}}" + "".join(f"{cell:>{CELL_WIDTH}}" for cell in cells)


def print_process_table(columns: dict[str, dict[str, str]]) -> None:
    """One row per process (gateway, gateway2, rasa, ..., sandbox, then the total), one column per
    target; `-` where a target has no such process."""
    names = sorted(
        {name for cells in columns.values() for name in cells if name != TOTAL}, key=_process_order
    )
    print(_line("process", list(columns)))
    for name in [*names, TOTAL]:
        print(_line(name, [cells.get(name, "-") for cells in columns.values()]))


def print_comparison(comparisons: dict[str, list[Measure]], with_vanilla: bool) -> None:
    if not comparisons:
        return
    print("\nAgainst the vanilla bot of this run: ratios are ours ÷ vanilla; in brackets the bound of")
    print("issue 13 (for 2 cores), ✓ met, ✗ not" + ("" if with_vanilla else "; no vanilla bot in this run"))
    print(_line("", list(comparisons)))
    for measures in zip(*comparisons.values(), strict=True):
        print(_line(measures[0].label, [measure.cell() for measure in measures]))


def _unmeasured(result: Result) -> str:
    if result.phases.cpu_s is None:
        return NOT_STARTED
    return "not measured (no message answered)"


def print_cpu(results: list[Result], vanilla: Result | None) -> None:
    users = max((r.phases.concurrent.users for r in results), default=0)
    print(f"\nCPU per message, ms (utime+stime from /proc/PID/stat over the {users}-user phase, ÷ the")
    print("messages answered in it; a server's child processes included; the total includes the sandbox)")
    measured = {r.target: r.phases.cpu_ms_per_message() for r in results}
    columns = {target: {n: f"{ms:.1f}" for n, ms in cpu.items()} for target, cpu in measured.items() if cpu}
    if columns:
        print_process_table(columns)
        theirs = _total_cpu_ms(vanilla)
        ratios = [_ratio(cpu[TOTAL], theirs) for cpu in measured.values() if cpu]
        print(_line("total ÷ vanilla", ["-" if r is None else f"{r:.2f}×" for r in ratios]))
    for result in results:
        if not measured[result.target]:
            print(f"{result.target}: CPU {_unmeasured(result)}")


def print_memory(results: list[Result]) -> None:
    print("\nPeak resident memory, MB (VmHWM from /proc after the load; children of a server included)")
    columns = {}
    for result in results:
        if result.memory is None:
            continue
        cells = {}
        for name, peak in result.memory.items():
            several = f" ({peak['processes']:.0f} proc)" if peak["processes"] > 1 else ""
            cells[name] = f"{peak['mb']:.0f}{several}"
        cells[TOTAL] = f"{sum(peak['mb'] for peak in result.memory.values()):.0f}"
        columns[result.target] = cells
    if columns:
        print_process_table(columns)
    for result in results:
        if result.memory is None:
            print(f"{result.target}: memory {NOT_STARTED}")


def print_losses(results: list[Result]) -> None:
    print("\nLoss check, both phases (every message sent in the tracker store exactly once, by its client")
    print("id; every ticket a conversation ended in in the case store, for its transaction and conversation)")
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


def print_report(
    results: list[Result], comparisons: dict[str, list[Measure]], settings: Settings, external: bool
) -> None:
    vanilla = next((r for r in results if r.target == VANILLA), None)
    print("\nLoad benchmark: whole complaints over the gateway's websocket (/ws); vanilla: its happy path")
    print("over REST (POST /webhooks/rest/webhook); every server on loopback, every customer from 127.0.0.1")
    print(
        f"1 user: {settings.single_customers} customer(s) one at a time; then {settings.customers} "
        f"customers, at most {settings.concurrency} at once; none started after "
        f"{settings.duration_limit:g} s of a phase, {settings.message_timeout:g} s per message; "
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
        print(table_row(result.target, result.phases.single.figures()))
        print(table_row(result.target, result.phases.concurrent.figures()))
    for result in results:
        for load in (result.phases.single, result.phases.concurrent):
            for sample in load.error_samples:
                print(f"   error [{result.target}, {load.users} user(s)] {sample}")

    print_comparison(comparisons, vanilla is not None)
    print_cpu(results, vanilla)
    print_memory(results)
    print_losses(results)
    if vanilla is not None and vanilla.training_s is not None:
        training = f"{vanilla.training_s:.0f} s"
        print(f"\nvanilla bot: `rasa init` with its training took {training} (not in the figures)")


# --- main ---------------------------------------------------------------------------------------------


def parse_pids(text: str) -> dict[str, int]:
    """`gateway=123,rasa=456` → {"gateway": 123, "rasa": 456}."""
    pids = {}
    for item in text.split(","):
        name, _, pid = item.partition("=")
        if not name.strip() or not pid.strip().isdigit():
            raise argparse.ArgumentTypeError(f"not NAME=PID: {item!r}")
        pids[name.strip()] = int(pid)
    return pids


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--single-customers", type=int, help="customers of the 1-user phase, one at a time (6; smoke 1)"
    )
    parser.add_argument("--customers", type=int, help="customers of the N-user phase (120; smoke 2)")
    parser.add_argument("--concurrency", type=int, help="N: customers talking at once (20; smoke 2)")
    parser.add_argument(
        "--duration-limit", type=float, default=300, help="seconds; no customer starts later in a phase"
    )
    parser.add_argument("--message-timeout", type=float, default=60, help="seconds a message may take")
    parser.add_argument(
        "--profiles", help=f"comma-separated, of {','.join(SETUPS)} (default all; smoke: local)"
    )
    parser.add_argument(
        "--vanilla",
        action=argparse.BooleanOptionalAction,
        help="the vanilla `rasa init` bot (default: not in smoke)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="1 customer, then 2 at once; local only, no vanilla bot, no warm-up",
    )
    parser.add_argument("--json", type=Path, help="write the figures there")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    running = parser.add_argument_group("running servers (instead of starting them)")
    running.add_argument("--gateway-url", help="gateway(s), comma-separated; customers go round robin")
    running.add_argument("--sandbox-url", help="the sandbox merchant API")
    running.add_argument("--sandbox-key", help="its X-API-Key")
    running.add_argument("--case-store-url", help="the case store's database URL")
    running.add_argument("--rasa-url", help="a rasa server (its tracker API, for the loss check)")
    running.add_argument("--token", help="the rasa server's auth token")
    running.add_argument(
        "--pids",
        type=parse_pids,
        help="their process ids on this machine, e.g. gateway=PID,rasa=PID,actions=PID,sandbox=PID "
        "(then CPU time and memory are measured)",
    )
    args = parser.parse_args(argv)

    settings = Settings(
        single_customers=args.single_customers or (1 if args.smoke else 6),
        customers=args.customers or (2 if args.smoke else 120),
        concurrency=args.concurrency or (2 if args.smoke else 20),
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
        targets: list[str] = []
    else:
        if args.pids:
            parser.error("--pids names running servers; it goes with --gateway-url")
        chosen = args.profiles or (LOCAL if args.smoke else ",".join(SETUPS))
        targets = [target.strip() for target in chosen.split(",")]
        unknown = [t for t in targets if t not in SETUPS]
        if unknown:
            parser.error(f"unknown profile(s): {', '.join(unknown)}; known: {', '.join(SETUPS)}")

    scratch = Path(tempfile.mkdtemp(prefix="load-bench-"))
    results: list[Result] = []
    if with_vanilla:
        # Trained and measured first, before any of the assistant's servers run.
        results.append(measure_vanilla(scratch / VANILLA, settings))
    if external:
        servers = Servers(
            gateway_urls=[url.strip().rstrip("/") for url in args.gateway_url.split(",")],
            sandbox_url=args.sandbox_url,
            sandbox_key=args.sandbox_key,
            case_store_url=args.case_store_url,
            rasa_url=args.rasa_url,
            token=args.token,
            pids=args.pids,
        )
        results.append(measure_assistant(EXTERNAL, servers, settings))
    for target in targets:
        results.append(measure_profile(target, SETUPS[target], scratch / target, settings, args.model))
    # The assistant's rows first, then the vanilla bot's.
    results.sort(key=lambda r: r.target == VANILLA)
    vanilla = next((r for r in results if r.target == VANILLA), None)
    comparisons = {r.target: comparison(r, vanilla) for r in results if r is not vanilla}

    print_report(results, comparisons, settings, external)
    print(f"logs and scratch files: {scratch}")
    summary: dict[str, Any] = {
        "settings": {
            "single_customers": settings.single_customers,
            "customers": settings.customers,
            "concurrency": settings.concurrency,
            "duration_limit_s": settings.duration_limit,
            "message_timeout_s": settings.message_timeout,
            "warm_up": settings.warm_up,
            "gateway_rate_limits": None if external else RAISED_LIMITS,
            "cores": os.cpu_count(),
        },
        "targets": {result.target: result.figures() for result in results},
        "ratios": {
            target: {measure.key: measure.figures() for measure in measures}
            for target, measures in comparisons.items()
        },
        "vanilla_training_s": vanilla.training_s if vanilla else None,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return summary


if __name__ == "__main__":
    main()
