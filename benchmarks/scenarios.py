"""Blind scenarios: conversations written by someone who never saw the bot's training data, parsers or
replies (`tests/blind/`), played against the trained model by a simulated user that answers only
what it is asked, from the scenario's own answers.

Each scenario runs at its own moment (a working Wednesday at the scenario's `now`, Shanghai time):
the servers run under a faked clock (libfaketime) whose offset the harness moves between scenarios,
and the sandbox holds only the scenario's transactions. It prints, per language and in all: the
right outcome (and, where the scenario names one, the right transaction), conversations that reached
no outcome within 12 user messages, questions asked for a fact the customer had already given, user
messages up to the outcome, and replies in the expected language.

    .venv/bin/python -m benchmarks.scenarios                  # every scenario
    .venv/bin/python -m benchmarks.scenarios --only en_01     # ids that start with en_01
    .venv/bin/python -m benchmarks.scenarios --smoke          # six scenarios (the tests run this)
    .venv/bin/python -m benchmarks.scenarios --show-failures --json scenarios.json
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from benchmarks.scenario_harness import Harness
from bot.config import PROJECT_ROOT
from devtools.sandbox.seed import CONTRACT_HEADER

SCENARIOS = PROJECT_ROOT / "tests" / "blind" / "scenarios"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A working Wednesday with working days all around it: the scenarios' "today".
TODAY = date(2026, 12, 2)
MAX_USER_MESSAGES = 12
LANGUAGES = ("zh", "en", "mixed")
FACTS = ("transaction_time", "amount", "terminal_id", "merchant_name")

# The kind of answer the bot's last question wants, read off the tracker: the dialogue state's pending
# question (bot/dialogue/state.py), named as the scenarios name their answers.
QUESTION_KINDS = {
    **{fact: fact for fact in FACTS},
    "card_last4": "card_last4",
    "goods": "other",
    "confirm_amount": "confirm_found",
}


# --- the scenarios ------------------------------------------------------------------------------------


def load_scenarios(folder: Path = SCENARIOS, only: str | None = None) -> list[dict[str, Any]]:
    """Every scenario in the folder's YAML files, in file order; `only` keeps ids with that prefix."""
    scenarios = [s for path in sorted(folder.glob("*.yml")) for s in yaml.safe_load(path.read_text("utf-8"))]
    return [s for s in scenarios if only is None or s["id"].startswith(only)]


def scenario_now(scenario: dict[str, Any]) -> datetime:
    hour, minute = map(int, scenario["now"].split(":"))
    return datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute, tzinfo=SHANGHAI)


def _moment(at: dict[str, Any]) -> datetime:
    day = TODAY - timedelta(days=int(at["days_ago"]))
    hour, minute = map(int, str(at["time"]).split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def transactions_csv(scenario: dict[str, Any]) -> str:
    """The scenario's transactions as a CSV of the sandbox contract."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CONTRACT_HEADER)
    for row in scenario["transactions"]:
        values = {**row, "created_at": _moment(row["at"]).isoformat()}
        writer.writerow([str(values[name]) for name in CONTRACT_HEADER])
    return out.getvalue()


def qr_metadata(scenario: dict[str, Any]) -> dict[str, Any] | None:
    """Contract 6's `metadata.qr` for a scenario that starts from a merchant's code."""
    qr = scenario.get("qr")
    if not qr:
        return None
    rows = [t for t in scenario["transactions"] if t["terminal_id"] == qr["terminal_id"]]
    context: dict[str, Any] = {
        "merchant_id": rows[0]["merchant_id"] if rows else None,
        "terminal_id": qr["terminal_id"],
    }
    if rows:
        context["merchant_name"] = rows[0]["merchant_name"]
    if qr.get("amount") is not None:
        context["amount"] = str(qr["amount"])
        paid = scenario_now(scenario) - timedelta(minutes=int(qr.get("minutes_ago") or 0))
        context["transaction_time"] = paid.isoformat()
    return context


# --- the simulated user -----------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"[\s,，.。:：\-]+", "", text or "").lower()


@dataclass
class SimulatedUser:
    """Answers each question from the scenario's answers of its kind, in order, repeating the last."""

    scenario: dict[str, Any]
    asked: dict[str, int] = field(default_factory=dict)
    said: list[str] = field(default_factory=list)

    def answer(self, kind: str) -> str:
        answers = self.scenario["answers"]
        options = answers.get(kind) or []
        if not options and kind == "card_last4":
            options = answers.get("reference") or []
        if not options:
            options = answers.get("other") or ["?"]
        index = self.asked.get(kind, 0)
        self.asked[kind] = index + 1
        return str(options[min(index, len(options) - 1)])

    def already_gave(self, fact: str) -> bool:
        """Whether an earlier message stated the fact the bot now asks for (its truth, written as given)."""
        truth = self.scenario["truth"].get(fact)
        if not truth:
            return False
        wanted = _squash(str(truth))
        return bool(wanted) and any(wanted in _squash(text) for text in self.said)


# --- one conversation -------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]")


def reply_language(text: str) -> str:
    """The language a reply is written in: English replies quote a Chinese label now and then."""
    han = len(_HAN.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if han * 2 > latin else "en"


@dataclass
class Result:
    id: str
    language: str
    expected_outcome: str
    expected_transaction: str | None
    outcome: str | None = None
    transaction_id: str | None = None
    user_messages_to_outcome: int | None = None
    reasked_given_facts: int = 0
    replies: int = 0
    replies_in_language: int = 0
    transcript: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def right(self) -> bool:
        if self.outcome != self.expected_outcome:
            return False
        if self.expected_transaction is None:
            return self.outcome in ("escalated", "dispute_ticket") or self.transaction_id is None
        return self.transaction_id == self.expected_transaction


def _last_question(tracker: dict[str, Any]) -> str:
    """The kind of answer the bot's last question wants."""
    state = (tracker.get("slots") or {}).get("dialogue") or {}
    return QUESTION_KINDS.get(state.get("pending_question") or "", "other")


def _read_back_right(scenario: dict[str, Any], slots: dict[str, Any]) -> bool:
    """Whether the facts the bot read back match the scenario's payment."""
    expected = scenario["expected"].get("transaction_id")
    rows = [t for t in scenario["transactions"] if t["transaction_id"] == expected] or scenario[
        "transactions"
    ][:1]
    if not rows:
        return True
    row = rows[0]
    if slots.get("amount") not in (None, "") and float(slots["amount"]) != float(row["amount"]):
        return False
    if slots.get("terminal_id") and slots["terminal_id"] != row["terminal_id"]:
        return False
    start, end = slots.get("transaction_window_start"), slots.get("transaction_window_end")
    if start and end:
        paid = _moment(row["at"])
        slack = timedelta(minutes=10)
        return datetime.fromisoformat(start) - slack <= paid <= datetime.fromisoformat(end) + slack
    return True


def play(harness: Harness, scenario: dict[str, Any]) -> Result:
    """One scenario from its opening to its outcome and follow-ups, or to the message limit."""
    result = Result(
        scenario["id"],
        scenario["language"],
        scenario["expected"]["outcome"],
        scenario["expected"].get("transaction_id"),
    )
    user = SimulatedUser(scenario)
    sender = f"blind-{scenario['id']}-{time.time_ns()}"
    metadata: dict[str, Any] = {"timezone": "Asia/Shanghai"}
    qr = qr_metadata(scenario)
    if qr:
        metadata["qr"] = qr
    harness.move_clock(scenario_now(scenario))
    harness.load_transactions(transactions_csv(scenario))
    text = scenario["opening"]
    followups = list(scenario.get("followups") or [])
    for count in range(1, MAX_USER_MESSAGES + 1):
        user.said.append(text)
        result.transcript.append(f"user: {text}")
        replies = harness.say(sender, text, metadata)
        metadata = {"timezone": "Asia/Shanghai"}
        for reply in replies:
            if reply.get("text"):
                result.replies += 1
                result.replies_in_language += reply_language(reply["text"]) == scenario["reply_language"]
                result.transcript.append(f"bot: {reply['text']}")
            payload = reply.get("custom") or {}
            if payload.get("type") == "case_result" and result.outcome is None:
                result.outcome = payload.get("outcome")
                result.transaction_id = payload.get("transaction_id")
                result.user_messages_to_outcome = count
        if result.outcome is not None:
            if not followups:
                break
            text = followups.pop(0)
            continue
        tracker = harness.tracker(sender)
        kind = _last_question(tracker)
        if kind in FACTS and user.already_gave(kind):
            result.reasked_given_facts += 1
        if kind in ("confirm", "confirm_found"):
            right = _read_back_right(scenario, tracker.get("slots") or {}) if kind == "confirm" else True
            kind = "confirm_correct" if right else "confirm_wrong"
        text = user.answer(kind)
    return result


# --- the report -------------------------------------------------------------------------------------


def summary(results: list[Result]) -> dict[str, Any]:
    def figures(rows: list[Result]) -> dict[str, Any]:
        reached = [r.user_messages_to_outcome for r in rows if r.user_messages_to_outcome is not None]
        replies = sum(r.replies for r in rows)
        return {
            "scenarios": len(rows),
            "right_outcome": sum(r.right for r in rows),
            "right_outcome_share": round(sum(r.right for r in rows) / len(rows), 3) if rows else None,
            "no_outcome": sum(r.outcome is None for r in rows),
            "reasked_given_facts": sum(r.reasked_given_facts for r in rows),
            "median_user_messages_to_outcome": statistics.median(reached) if reached else None,
            "replies_in_expected_language": round(sum(r.replies_in_language for r in rows) / replies, 3)
            if replies
            else None,
            "errors": sum(r.error is not None for r in rows),
        }

    by_language = {
        lang: figures([r for r in results if r.language == lang]) for lang in ("zh", "en", "mixed")
    }
    return {"all": figures(results), **{k: v for k, v in by_language.items() if v["scenarios"]}}


def print_report(results: list[Result], show_failures: bool) -> None:
    table = summary(results)
    header = ("set", "n", "right", "no outcome", "re-asked", "msgs p50", "language")
    print("{:<6} {:>4} {:>12} {:>11} {:>9} {:>9} {:>9}".format(*header))
    for name, row in table.items():
        share = row["right_outcome_share"]
        print(
            f"{name:<6} {row['scenarios']:>4} {row['right_outcome']:>5} ({share:>5.0%}) "
            f"{row['no_outcome']:>11} "
            f"{row['reasked_given_facts']:>9} {row['median_user_messages_to_outcome'] or '-':>9} "
            f"{row['replies_in_expected_language'] or 0:>9.0%}"
        )
    outcomes: dict[tuple[str, str], int] = {}
    for r in results:
        key = (r.expected_outcome, r.outcome or "none")
        outcomes[key] = outcomes.get(key, 0) + 1
    print("\nexpected -> got: " + ", ".join(f"{e} -> {g}: {n}" for (e, g), n in sorted(outcomes.items())))
    if show_failures:
        for r in results:
            if not r.right:
                print(
                    f"\n--- {r.id}: expected {r.expected_outcome} {r.expected_transaction}, got {r.outcome} "
                    f"{r.transaction_id} {r.error or ''}"
                )
                print("\n".join("    " + line.replace("\n", " ")[:200] for line in r.transcript))


def run(scenarios: Iterable[dict[str, Any]]) -> list[Result]:
    results = []
    ordered = sorted(scenarios, key=lambda s: s["now"])  # the faked clock only moves forward
    # Half an hour before the first scenario, so that moving to it (after the servers' start-up) is a
    # step forward too.
    start = scenario_now(ordered[0]) - timedelta(minutes=30) if ordered else None
    with (
        tempfile.TemporaryDirectory(prefix="scenarios-") as workdir,
        Harness(Path(workdir), start) as harness,
    ):
        for scenario in ordered:
            try:
                results.append(play(harness, scenario))
            except (httpx.HTTPError, KeyError, ValueError) as error:
                failed = Result(scenario["id"], scenario["language"], scenario["expected"]["outcome"], None)
                failed.error = f"{type(error).__name__}: {error}"
                results.append(failed)
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="scenario ids starting with this")
    parser.add_argument("--smoke", action="store_true", help="six scenarios, two per language")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--json", type=Path, help="write every result here")
    args = parser.parse_args(argv)
    scenarios = load_scenarios(only=args.only)
    if args.smoke:
        scenarios = [s for lang in LANGUAGES for s in [x for x in scenarios if x["language"] == lang][:2]]
    results = run(scenarios)
    print_report(results, args.show_failures)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1), "utf-8")
    return summary(results)


if __name__ == "__main__":
    main(sys.argv[1:])
