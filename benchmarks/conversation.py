"""Conversation benchmark: per-message latency of a full complaint conversation over REST, with one
user and with many concurrent users, beside a vanilla `rasa init` bot measured in the same run.

    .venv/bin/python -m benchmarks.conversation            # full run; starts its own servers and
                                                           # trains a vanilla `rasa init` bot
    .venv/bin/python -m benchmarks.conversation --smoke    # a few conversations, no vanilla bot
                                                           # (the tests run this)
    .venv/bin/python -m benchmarks.conversation --url http://127.0.0.1:5005 \\
        --sandbox-url http://127.0.0.1:8090                # against running servers (their token and
                                                           # sandbox key: --token, --sandbox-key, or
                                                           # the local profile's, as bot.config reads them)

A complaint conversation is two or three messages: the complaint (time, amount and terminal ID of a
sandbox transaction, in Chinese or English), the card's last 4 digits when the bot asks for them,
and, for a payment that went through, "/affirm" to "did the shop give you the goods?". The last
reply must carry the `case_result` payload with the transaction's outcome.
The vanilla bot gets the same shape: "hello", "I am sad", "yes". Every message is timed from
request to response; a message that fails or a conversation that goes wrong counts as an error.
One warm-up conversation per bot runs first and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks.stats import percentile
from benchmarks.vanilla import VanillaBot
from bot import config
from bot.config import PROJECT_ROOT
from devtools.processes import AssistantProcesses

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEBHOOK = "/webhooks/rest/webhook"
# Sandbox transactions whose conversation ends in an outcome, and that outcome.
TRANSACTIONS = {
    "TXN0001": "no_charge",
    "TXN0004": "reversal_in_progress",
    "TXN0005": "refund_ticket",
    "TXN0006": "refund_ticket",
    "TXN0012": "charge_succeeded",
    "TXN0015": "escalated",
}
LANGUAGES = ("zh", "en")
ASSISTANT = "complaint assistant"
VANILLA = "vanilla rasa init"

# A check reads the replies to one message and returns what is wrong with them, or None.
Check = Callable[[list[dict[str, Any]]], str | None]
Step = tuple[str, Check]


@dataclass
class Run:
    """The messages of one bot at one level of concurrency."""

    bot: str
    users: int
    conversations: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def fail(self, problem: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(problem)

    def figures(self) -> dict[str, Any]:
        latencies = self.latencies_ms
        return {
            "users": self.users,
            "conversations": self.conversations,
            "messages": len(latencies),
            "errors": self.errors,
            "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "p95_ms": percentile(latencies, 0.95) if latencies else 0.0,
            "max_ms": max(latencies, default=0.0),
            "wall_s": self.wall_s,
        }


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies: list[dict[str, Any]]) -> list[str]:
    return [b.get("payload", "") for r in replies for b in r.get("buttons", [])]


def case_result(replies: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r["custom"] for r in replies if (r.get("custom") or {}).get("type") == "case_result"), None)


def complaint_message(transaction: dict[str, Any], language: str) -> str:
    """The complaint a cardholder would type about a sandbox transaction (time in Shanghai)."""
    when = datetime.fromisoformat(transaction["created_at"]).astimezone(SHANGHAI)
    amount, tid = transaction["amount"], transaction["terminal_id"]
    if language == "zh":
        return f"{when.month}月{when.day}日 {when:%H:%M} 刷卡显示交易失败 但是扣了{amount}元 终端号{tid}"
    return (
        f"on {when:%b} {when.day} at {when:%H:%M} the card machine said failed "
        f"but {amount} yuan was taken, tid {tid}"
    )


def card_message(transaction: dict[str, Any], language: str) -> str:
    """The answer to "what are the last 4 digits of your card?"."""
    last4 = transaction["card_last4"]
    return f"尾号{last4}" if language == "zh" else f"card ending {last4}"


def fetch_transactions(sandbox_url: str, sandbox_key: str) -> dict[str, dict[str, Any]]:
    """The benchmark's sandbox transactions."""
    with httpx.Client(base_url=sandbox_url, headers={"X-API-Key": sandbox_key}, timeout=10) as client:
        found = {}
        for transaction_id in TRANSACTIONS:
            response = client.get(f"/v1/transactions/{transaction_id}")
            response.raise_for_status()
            found[transaction_id] = response.json()
        return found


def complaint_script(transactions: dict[str, dict[str, Any]]) -> Callable[[int], list[Step]]:
    """Conversation i: a transaction and a language in rotation."""
    ids = list(TRANSACTIONS)

    def script(i: int) -> list[Step]:
        transaction_id = ids[i % len(ids)]
        language = LANGUAGES[(i // len(ids)) % len(LANGUAGES)]
        outcome = TRANSACTIONS[transaction_id]

        def asks_card(replies: list[dict[str, Any]]) -> str | None:
            said = texts(replies)
            return None if "后4位" in said or "last 4" in said else f"no card question: {said!r}"

        def asks_goods(replies: list[dict[str, Any]]) -> str | None:
            return None if "/affirm" in buttons(replies) else f"no goods question: {texts(replies)!r}"

        def concluded(replies: list[dict[str, Any]]) -> str | None:
            payload = case_result(replies)
            if payload is None:
                return f"no case_result ({transaction_id}/{language}): {texts(replies)!r}"
            if payload.get("outcome") != outcome:
                return f"{transaction_id}: outcome {payload.get('outcome')!r}, expected {outcome!r}"
            return None

        transaction = transactions[transaction_id]
        card = card_message(transaction, language)
        steps: list[Step] = [(complaint_message(transaction, language), asks_card)]
        if outcome == "charge_succeeded":
            return [*steps, (card, asks_goods), ("/affirm", concluded)]
        return [*steps, (card, concluded)]

    return script


def vanilla_script(_: int) -> list[Step]:
    """The moodbot's own happy path: greet, mood_unhappy, affirm."""

    def replied(replies: list[dict[str, Any]]) -> str | None:
        return None if replies else "no reply"

    def happy(replies: list[dict[str, Any]]) -> str | None:
        return None if "carry on" in texts(replies) else f"not utter_happy: {texts(replies)!r}"

    return [("hello", replied), ("I am sad", replied), ("yes", happy)]


async def converse(client: httpx.AsyncClient, steps: list[Step], run: Run | None) -> None:
    """One conversation with a fresh sender; every message timed. Never raises."""
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    for text, check in steps:
        started = time.perf_counter()
        try:
            response = await client.post(WEBHOOK, json={"sender": sender, "message": text})
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            replies = response.json()
        except Exception as error:
            problem = f"{text[:20]!r}: {type(error).__name__}: {error}"
            if run is None:
                raise RuntimeError(f"warm-up conversation failed: {problem}") from error
            run.fail(problem)
            return
        problem = check(replies)
        if run is None:
            if problem:
                raise RuntimeError(f"warm-up conversation failed: {problem}")
            continue
        run.latencies_ms.append(elapsed)
        if problem:
            run.fail(problem)
            return


def rest_client(url: str, token: str | None, **settings: Any) -> httpx.AsyncClient:
    """A client of a rasa server's REST channel: ours requires the Rasa token (`?token=`), the vanilla
    bot's takes none (token None)."""
    return httpx.AsyncClient(base_url=url, params={"token": token} if token else None, **settings)


async def measure(
    bot: str,
    url: str,
    token: str | None,
    script: Callable[[int], list[Step]],
    conversations: int,
    concurrency: int,
    rounds: int,
) -> list[Run]:
    """A warm-up conversation, then one user (sequential) and `concurrency` users at once."""
    limits = httpx.Limits(max_connections=max(concurrency, 1) * 2)
    async with rest_client(url, token, timeout=120, limits=limits) as client:
        await converse(client, script(0), None)
        single, crowd = Run(bot, 1), Run(bot, concurrency)
        started = time.perf_counter()
        for i in range(conversations):
            await converse(client, script(i), single)
            single.conversations += 1
        single.wall_s = time.perf_counter() - started
        started = time.perf_counter()
        for r in range(rounds):
            await asyncio.gather(
                *(converse(client, script(r * concurrency + i), crowd) for i in range(concurrency))
            )
            crowd.conversations += concurrency
        crowd.wall_s = time.perf_counter() - started
    return [single, crowd]


def print_table(runs: list[Run], vanilla_note: str | None) -> None:
    print("\nConversation benchmark: per-message latency over REST POST /webhooks/rest/webhook")
    print("(request → response; 3 messages per conversation; one uncounted warm-up conversation per bot)")
    print(
        f"{'bot':<21}{'users':>6}{'conv':>6}{'msgs':>6}{'errors':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'wall s':>8}"
    )
    for run in runs:
        f = run.figures()
        print(
            f"{run.bot:<21}{f['users']:>6}{f['conversations']:>6}{f['messages']:>6}{f['errors']:>8}"
            f"{f['p50_ms']:>9.1f}{f['p95_ms']:>9.1f}{f['max_ms']:>9.1f}{f['wall_s']:>8.1f}"
        )
    if vanilla_note:
        print(f"{VANILLA:<21}{vanilla_note}")
    for run in runs:
        for sample in run.error_samples:
            print(f"   error [{run.bot}, {run.users} users] {sample}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a few conversations, no vanilla bot")
    parser.add_argument("--with-vanilla", action="store_true", help="the vanilla bot in smoke mode too")
    parser.add_argument("--url", help="a running rasa server of the assistant (default: start one)")
    parser.add_argument("--sandbox-url", help="its sandbox merchant API (default with --url: :8090)")
    parser.add_argument("--token", help="with --url: its Rasa token (default: bot.config's RASA_TOKEN)")
    parser.add_argument("--sandbox-key", help="with --url: the sandbox's key (default: MERCHANT_API_KEY's)")
    parser.add_argument("--conversations", type=int, help="conversations of the single user (20; smoke 2)")
    parser.add_argument("--concurrency", type=int, help="concurrent users (20; smoke 3)")
    parser.add_argument("--rounds", type=int, help="rounds of concurrent conversations (2; smoke 1)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    args = parser.parse_args(argv)
    conversations = args.conversations or (2 if args.smoke else 20)
    concurrency = args.concurrency or (3 if args.smoke else 20)
    rounds = args.rounds or (1 if args.smoke else 2)
    with_vanilla = args.with_vanilla or not args.smoke

    processes = None
    vanilla = None
    scratch = Path(tempfile.mkdtemp(prefix="conversation-bench-"))
    runs: list[Run] = []
    try:
        if with_vanilla:
            # Trained first, before anything is measured, so the training competes with nothing.
            vanilla = VanillaBot(workdir=scratch / "vanilla")
            vanilla.workdir.mkdir(parents=True)
            vanilla.start()
        if args.url is None:
            processes = AssistantProcesses(workdir=scratch / "assistant", model=args.model)
            processes.start()
            args.url, args.sandbox_url = processes.base_url, processes.sandbox_url
            args.token, args.sandbox_key = processes.token, processes.sandbox_key
        sandbox_url = args.sandbox_url or "http://127.0.0.1:8090"
        token = args.token or config.text("RASA_TOKEN")
        sandbox_key = args.sandbox_key or config.text("MERCHANT_API_KEY")
        script = complaint_script(fetch_transactions(sandbox_url, sandbox_key))
        runs += asyncio.run(measure(ASSISTANT, args.url, token, script, conversations, concurrency, rounds))
        if vanilla is not None:
            runs += asyncio.run(
                measure(VANILLA, vanilla.base_url, None, vanilla_script, conversations, concurrency, rounds)
            )
    finally:
        if vanilla is not None:
            vanilla.stop()
            shutil.rmtree(vanilla.project, ignore_errors=True)  # its model; the logs stay
        if processes is not None:
            processes.stop()

    vanilla_note = None if with_vanilla else "skipped (smoke mode; --with-vanilla to measure it)"
    print_table(runs, vanilla_note)
    if vanilla is not None:
        print(f"vanilla bot: `rasa init` with its training took {vanilla.training_s:.0f} s")
    print(f"logs and scratch files: {scratch}")

    summary: dict[str, Any] = {"assistant": {}, "vanilla": {} if with_vanilla else None}
    for single, crowd in zip(runs[::2], runs[1::2], strict=True):
        key = "assistant" if single.bot == ASSISTANT else "vanilla"
        summary[key] = {"single": single.figures(), "concurrent": crowd.figures()}
    if vanilla is not None:
        summary["vanilla_training_s"] = vanilla.training_s
    return summary


if __name__ == "__main__":
    main()
