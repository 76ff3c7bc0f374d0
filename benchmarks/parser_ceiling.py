"""The worst time and memory one call of a parser takes, over inputs built to make parsers work hard.

Every parser that reads a customer's text (fact extraction, card keys, terminal IDs from a QR code,
redaction, the NLU tokenizer) is called on pastes of date, time, amount and ID fragments, repeated,
interleaved and separated, up to the gateway's message cap. Each call is measured in a probe process
with a memory limit of its own, so an input that explodes is a reported figure, never a dead machine:
wall time, and the peak memory above the resting size of the probe and of its Duckling worker.

    .venv/bin/python -m benchmarks.parser_ceiling              # the known family + 10,000 random inputs
    .venv/bin/python -m benchmarks.parser_ceiling --inputs 50000 --seed 7
    .venv/bin/python -m benchmarks.parser_ceiling --smoke      # the family + 300 inputs (the tests run this)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from benchmarks.procfs import CLOCK_TICKS_PER_SECOND, cpu_ticks, status_kb
from bot.channels.rest import MAX_MESSAGE_CHARS
from bot.parsing.facts import SLOTS

# Fragments people (and attackers) write: dates, clock times, parts of day, relative days, amounts,
# terminal IDs and card keys, in both languages, plus the holiday names Duckling also knows.
FRAGMENTS = (
    "11月24日",
    "11月24号",
    "2026-11-24",
    "11/24",
    "Nov 24",
    "24th November",
    "上周三",
    "周一",
    "星期五",
    "礼拜天",
    "昨天",
    "前天",
    "大前天",
    "今天",
    "今天下午",
    "下午3点",
    "晚上",
    "早上八点半",
    "凌晨",
    "三点多",
    "十二点",
    "15:32",
    "3pm",
    "at 3",
    "noon",
    "midnight",
    "this morning",
    "last night",
    "yesterday at 3pm",
    "2 hours ago",
    "the day before yesterday",
    "quarter past three",
    "4ish",
    "元旦",
    "国庆节",
    "春节",
    "christmas",
    "new year",
    "128块5",
    "45块6",
    "¥1,280.00",
    "RMB 99",
    "一百二十八元五角",
    "两百",
    "200",
    "two hundred",
    "128.50 yuan",
    "1029-3847",
    "A1B2 C3D4",
    "终端号",
    "TID",
    "尾号6210",
    "参考号",
    "刚刚",
    "just now",
    "十",
    "一二三四五六七八九",
    "6222021234567890128",
    "密码是",
    "cvv",
)
SEPARATORS = ("", "", " ", " ", "，", ", ", "、", "\n", "和", " and ", "。", "...")


def known_family(cap: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The inputs that took processes down, and their kin: one fragment repeated up to the cap."""
    texts = []
    for fragment in (
        "11月24日",
        "下午3点",
        "今天下午",
        "晚上",
        "nov 24 ",
        "noon ",
        "yesterday at 3pm ",
        "元旦",
    ):
        for count in (3, 5, 7, 10, 20, 50):
            texts.append(fragment * count)
        texts.append(fragment * (cap // len(fragment)))
    texts.append(("11月24日 15:32 128块5 终端号1029-3847 ") * 60)
    return [text[:cap] for text in texts]


def random_inputs(count: int, seed: int, cap: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Pastes of fragments: a few chosen, each repeated, interleaved with separators, up to the cap."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        chosen = rng.sample(FRAGMENTS, rng.randint(1, 4))
        separator = rng.choice(SEPARATORS)
        length = rng.choice((20, 60, 200, 600, cap))
        parts: list[str] = []
        while sum(map(len, parts)) < length:
            parts.append(rng.choice(chosen) * rng.choice((1, 1, 2, 3, 7)))
            parts.append(separator if rng.random() < 0.8 else rng.choice(SEPARATORS))
        texts.append("".join(parts)[:length])
    return texts


# --- the probe: runs in its own process, under a memory limit ---------------------------------------

ENTRY_POINTS = (
    "extract_facts",
    *(f"extract_facts({slot} asked)" for slot in SLOTS),
    "extract_card_keys",
    "parse_terminal_id",
    "redact",
    "nlu tokenizer",
    "nlu bare answer",
    "ticket number",
)


def _tokenizer() -> Callable[[str], object]:
    import tempfile

    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.tokenizer import BilingualTokenizer

    storage = LocalModelStorage(tempfile.mkdtemp(prefix="tokenizer-probe-"))
    tokenizer = BilingualTokenizer(BilingualTokenizer.get_default_config(), storage, Resource("tokenizer"))
    return lambda text: tokenizer.tokenize(Message(data={"text": text}), "text")


def _entry_point(name: str) -> Callable[[str], object]:
    from bot.parsing.card_keys import extract_card_keys
    from bot.parsing.facts import extract_facts
    from bot.parsing.terminal import parse_terminal_id
    from bot.text.redaction import redact

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    asked = {"extract_facts": None, **{f"extract_facts({slot} asked)": slot for slot in SLOTS}}
    if name in asked:
        return lambda text: extract_facts(text, now, asked[name])
    if name == "nlu tokenizer":
        return _tokenizer()
    if name == "nlu bare answer":
        from bot.nlu.numeric_answers import is_bare_answer

        return is_bare_answer
    if name == "ticket number":
        from bot.case_store.ticket_numbers import find_number, parse_number
        from bot.parsing.normalize import normalize

        def read(text: str) -> object:
            found = find_number(normalize(text))
            return parse_number(found) if found else None

        return read
    return {"extract_card_keys": extract_card_keys, "parse_terminal_id": parse_terminal_id, "redact": redact}[
        name
    ]


def _reset_peak(pid: int) -> None:
    # Writing 5 to clear_refs resets the peak resident size (VmHWM) to the current one.
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        pass


def _probe(entry: str, memory_limit_mb: int) -> None:
    limit = memory_limit_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    from bot.parsing.duckling_worker import shared_worker

    call = _entry_point(entry)
    worker = shared_worker()
    call("昨天下午3点 128块")  # start the worker and warm every cache
    results = []
    for text in json.loads(sys.stdin.read()):
        pids = [os.getpid(), *([worker.pid] if worker.pid else [])]
        resting = {pid: status_kb(pid, "VmRSS") for pid in pids}
        for pid in pids:
            _reset_peak(pid)
        failures = worker.failures
        cpu = sum(cpu_ticks(pid) for pid in pids) / CLOCK_TICKS_PER_SECOND
        started = time.perf_counter()
        call(text)
        seconds = time.perf_counter() - started
        cpu_seconds = sum(cpu_ticks(pid) for pid in pids) / CLOCK_TICKS_PER_SECOND - cpu
        extra_kb = sum(max(0, status_kb(pid, "VmHWM") - resting[pid]) for pid in pids)
        failed = worker.failures > failures
        results.append(
            {"seconds": seconds, "cpu_seconds": cpu_seconds, "mb": extra_kb / 1024, "worker_failed": failed}
        )
    json.dump(results, sys.stdout)


# --- the parent ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    entry: str
    text: str
    seconds: float
    cpu_seconds: float  # the probe's and its Duckling worker's, a figure the machine's load barely moves
    mb: float
    worker_failed: bool


def measure(
    entry: str, texts: Iterable[str], memory_limit_mb: int = 2048, timeout: float = 900
) -> list[Measurement]:
    """Each text's cost in one call of the named entry point, measured in a probe process."""
    texts = list(texts)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.parser_ceiling",
            "--probe",
            entry,
            "--memory-limit",
            str(memory_limit_mb),
        ],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the probe for {entry} died (exit {done.returncode}): {done.stderr[-2000:]}")
    return [Measurement(entry, text, **row) for text, row in zip(texts, json.loads(done.stdout), strict=True)]


def _report(entry: str, rows: list[Measurement]) -> None:
    slowest = max(rows, key=lambda r: r.seconds)
    biggest = max(rows, key=lambda r: r.mb)
    failed = sum(r.worker_failed for r in rows)
    busiest = max(rows, key=lambda r: r.cpu_seconds)
    print(
        f"{entry:<40} {len(rows):>6} inputs  worst {slowest.seconds * 1000:7.1f} ms "
        f"({busiest.cpu_seconds * 1000:5.0f} ms CPU)  "
        f"worst extra memory {biggest.mb:6.1f} MB  Duckling gave up on {failed}"
    )
    shown = slowest.text[:60] + ("…" if len(slowest.text) > 60 else "")
    print(f"{'':<40} slowest: {shown!r} ({len(slowest.text)} chars)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--inputs", type=int, default=10_000, help="random inputs (default 10,000)")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--smoke", action="store_true", help="the known family and 300 random inputs")
    parser.add_argument("--entry", action="append", help="only these entry points (default: all)")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--memory-limit", type=int, default=2048, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        _probe(args.probe, args.memory_limit)
        return
    count = 300 if args.smoke else args.inputs
    texts = known_family() + random_inputs(count, args.seed)
    print(f"{len(texts)} inputs of up to {MAX_MESSAGE_CHARS} characters (seed {args.seed}); one call each")
    for entry in args.entry or ENTRY_POINTS:
        _report(entry, measure(entry, texts))


if __name__ == "__main__":
    main()
