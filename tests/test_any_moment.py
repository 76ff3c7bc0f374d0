"""The clock-sensitive tests pass at the moments that break clock-sensitive code: just after midnight
on a Monday that ends a month, on a public holiday at the turn of a year, and on a make-up working
Saturday. Each runs those tests in a pytest of its own under a faked wall clock.

(The README's test command also runs the production profile's end-to-end tests at a faked moment.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from devtools.clock import faked_clock_env

ROOT = Path(__file__).resolve().parent.parent
# Tests of code that reads the clock itself: the actions, the lookup and its decisions, support hours,
# timelines in working days, validation of "not in the future", the retry job.
CLOCK_SENSITIVE = [
    "tests/actions",
    "tests/bot/lookup/test_service.py",
    "tests/bot/lookup/test_decision_one_record.py",
    "tests/bot/lookup/test_decision_two_debits.py",
    "tests/bot/lookup/test_decision_candidates.py",
    "tests/bot/lookup/test_decision_escalation.py",
    "tests/bot/lookup/test_decision_properties.py",
    "tests/bot/lookup/test_timelines.py",
    "tests/bot/handoff/test_hours.py",
    "tests/bot/parsing/test_validation.py",
    "tests/bot/lookup/test_retry_job.py",
    "tests/bot/handoff/test_summary.py",
]
MOMENTS = {
    "Monday 00:05, the last day of a month": "2026-11-30T00:05:00+08:00",
    "New Year's Day 00:20, a public holiday": "2027-01-01T00:20:00+08:00",
    "a make-up working Saturday 08:30": "2026-10-10T08:30:00+08:00",
}


def test_clock_sensitive_tests_pass_at_every_faked_moment() -> None:
    # One pytest per moment, side by side: each starts its own servers and databases.
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *CLOCK_SENSITIVE],
            cwd=ROOT,
            env={**os.environ, **faked_clock_env(datetime.fromisoformat(moment))},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, moment in MOMENTS.items()
    }
    failed = {}
    for name, run in runs.items():
        output, _ = run.communicate(timeout=900)
        if run.returncode != 0 or " passed" not in output.strip().splitlines()[-1]:
            failed[name] = output[-3000:]
    assert not failed, failed


def test_a_process_started_under_the_faked_clock_sees_the_moment() -> None:
    moment = datetime.fromisoformat(MOMENTS["New Year's Day 00:20, a public holiday"])
    env = {**os.environ, **faked_clock_env(moment)}
    seen = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert abs(float(seen.stdout) - moment.timestamp()) < 60
