"""NLU benchmark on the held-out sets: intent accuracy and macro-F1, slot extraction per language,
training time, and the latency of /model/parse.

    .venv/bin/python -m benchmarks.nlu            # full run; starts its own rasa server
    .venv/bin/python -m benchmarks.nlu --smoke    # a few examples per language (the tests run this)
    .venv/bin/python -m benchmarks.nlu --train    # also time a fresh training run
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import yaml
from sklearn.metrics import accuracy_score, f1_score

from benchmarks.stats import percentile
from bot import config
from bot.config import PROJECT_ROOT
from bot.parsing.facts import extract_facts
from bot.text.redaction import redact
from devtools.processes import AssistantProcesses

HELDOUT = PROJECT_ROOT / "tests" / "heldout"
LANGUAGES = ("zh", "en")
# "heldout" was written with the training data; "blind" and "slots" (mostly messages that carry
# facts) were written later by people who saw neither the training data nor the parsers.
SETS = {"heldout": "{language}.yml", "blind": "blind_{language}.yml", "slots": "slots_{language}.yml"}
# The slot set holds a handful of examples of most intents: its intent figures say little.
SLOT_ONLY_SETS = {"slots"}
SLOTS = ("transaction_time", "amount", "terminal_id")


@dataclass
class LanguageResult:
    language: str
    test_set: str
    gold_intents: list[str] = field(default_factory=list)
    predicted_intents: list[str] = field(default_factory=list)
    slot_hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SLOTS, 0))
    slot_cases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SLOTS, 0))
    misses: list[str] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return accuracy_score(self.gold_intents, self.predicted_intents)

    @property
    def intent_macro_f1(self) -> float:
        labels = sorted(set(self.gold_intents))
        return f1_score(
            self.gold_intents, self.predicted_intents, labels=labels, average="macro", zero_division=0
        )

    def slot_accuracy(self, slot: str) -> float:
        cases = self.slot_cases[slot]
        return self.slot_hits[slot] / cases if cases else 1.0


def load_heldout(path: Path) -> tuple[datetime, list[dict[str, Any]]]:
    """A held-out set and the 'now' its relative times refer to."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return datetime.fromisoformat(document["reference_now"]), document["examples"]


def slot_correct(
    slot: str, expected: Any, text: str, now: datetime, requested: str | None
) -> tuple[bool, bool]:
    """(counts, correct): a case counts when a value was expected or one was extracted."""
    facts = extract_facts(redact(text).text, now, requested)
    predicted = getattr(facts, slot)
    if expected is None:
        return predicted is not None, predicted is None
    if predicted is None:
        return True, False
    if slot == "transaction_time":
        instant = datetime.fromisoformat(expected).replace(tzinfo=now.tzinfo)
        return True, predicted.start <= instant <= predicted.end
    if slot == "amount":
        return True, abs(predicted) == Decimal(expected)
    return True, predicted == expected


def evaluate(
    test_set: str, language: str, parse_url: str, token: str, limit: int | None, latencies: list[float]
) -> LanguageResult:
    now, examples = load_heldout(HELDOUT / SETS[test_set].format(language=language))
    result = LanguageResult(language, test_set)
    with httpx.Client(timeout=30) as client:
        for example in examples[:limit] if limit else examples:
            text = example["text"]
            started = time.perf_counter()
            response = client.post(parse_url, params={"token": token}, json={"text": redact(text).text})
            latencies.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            predicted = response.json()["intent"]["name"]
            result.gold_intents.append(example["intent"])
            result.predicted_intents.append(predicted)
            if predicted != example["intent"]:
                result.misses.append(f"intent {example['intent']} → {predicted}: {text}")
            for slot in SLOTS:
                counts, correct = slot_correct(
                    slot, example.get(slot), text, now, example.get("requested_slot")
                )
                if counts:
                    result.slot_cases[slot] += 1
                    result.slot_hits[slot] += int(correct)
                    if not correct:
                        result.misses.append(f"{slot} expected {example.get(slot)}: {text}")
    return result


def time_training() -> float:
    """Seconds for a fresh `rasa train` into a scratch folder."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--quiet", "--out", out],
            cwd=PROJECT_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="a few examples per language")
    parser.add_argument("--train", action="store_true", help="time a fresh training run")
    parser.add_argument("--url", help="a running rasa server (default: start one)")
    parser.add_argument("--token", help="with --url: its Rasa token (default: bot.config's RASA_TOKEN)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args(argv)

    processes = None
    if args.url is None:
        processes = AssistantProcesses(workdir=Path(tempfile.mkdtemp(prefix="nlu-bench-")), model=args.model)
        processes.start()
        args.url, args.token = processes.base_url, processes.token
    args.token = args.token or config.text("RASA_TOKEN")
    try:
        latencies: list[float] = []
        limit = 8 if args.smoke else None
        results = [
            evaluate(test_set, lang, f"{args.url}/model/parse", args.token, limit, latencies)
            for test_set, pattern in SETS.items()
            for lang in LANGUAGES
            if (HELDOUT / pattern.format(language=lang)).exists()
        ]
    finally:
        if processes:
            processes.stop()

    train_file = PROJECT_ROOT / "models" / ".train-seconds"
    if args.train:
        training = f"{time_training():.0f} s (fresh run)"
    elif train_file.exists():
        training = f"{train_file.read_text().strip()} s (last scripts/test.sh or run.sh training)"
    else:
        training = "not measured (use --train)"

    print(
        f"\nNLU benchmark on the held-out sets{' (smoke: ' + str(limit) + ' per language)' if limit else ''}"
    )
    print(f"{'set':<13}{'n':>5}{'intent acc':>12}{'macro-F1':>10}{'time':>8}{'amount':>8}{'TID':>8}")
    summary: dict[str, Any] = {}
    for r in results:
        name = f"{r.test_set}/{r.language}"
        intents = (
            f"{'-':>12}{'-':>10}"
            if r.test_set in SLOT_ONLY_SETS
            else f"{r.intent_accuracy:>12.3f}{r.intent_macro_f1:>10.3f}"
        )
        print(
            f"{name:<13}{len(r.gold_intents):>5}{intents}"
            f"{r.slot_accuracy('transaction_time'):>8.3f}{r.slot_accuracy('amount'):>8.3f}"
            f"{r.slot_accuracy('terminal_id'):>8.3f}"
        )
        summary[name] = {
            "examples": len(r.gold_intents),
            "intent_accuracy": r.intent_accuracy,
            "intent_macro_f1": r.intent_macro_f1,
            **{f"slot_{slot}": r.slot_accuracy(slot) for slot in SLOTS},
        }
        if args.show_misses:
            for miss in r.misses:
                print(f"   miss [{name}] {miss}")
    summary["parse_p50_ms"] = statistics.median(latencies)
    summary["parse_p95_ms"] = percentile(latencies, 0.95)
    print(
        f"/model/parse latency over {len(latencies)} calls: p50 {summary['parse_p50_ms']:.1f} ms, "
        f"p95 {summary['parse_p95_ms']:.1f} ms"
    )
    print(f"training time: {training}")
    return summary


if __name__ == "__main__":
    main()
