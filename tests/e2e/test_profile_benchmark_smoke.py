"""The profile benchmark samples the running servers under load (smoke mode) and prints where they
spend their time; no share is asserted, only that the samples are the servers' own code."""

from __future__ import annotations

import pytest

from benchmarks import profile
from tests.e2e.conftest import Client

pytestmark = pytest.mark.slow


def test_profile_benchmark_smoke(assistant: Client, capsys: pytest.CaptureFixture[str]) -> None:
    pids = assistant.processes.pids()
    profiles = profile.main(
        [
            "--smoke",
            "--url",
            assistant.processes.base_url,
            "--sandbox-url",
            assistant.processes.sandbox_url,
            "--token",
            assistant.processes.token,
            "--sandbox-key",
            assistant.processes.sandbox_key,
            "--pid",
            f"rasa={pids['rasa']}",
            "--pid",
            f"actions={pids['actions']}",
        ]
    )
    printed = capsys.readouterr().out
    assert "=== rasa" in printed and "=== actions" in printed and "inclusive" in printed
    by_process = {p.process: p for p in profiles}
    rasa, actions = by_process["rasa"], by_process["actions"]
    assert rasa.samples > 0 and actions.samples > 0
    # The rasa server's stacks run through Rasa's message handling; the action server's through ours.
    assert any(name.startswith("rasa/core/") for name in rasa.inclusive())
    assert any(name.startswith(("actions/", "rasa_sdk/")) for name in actions.inclusive())


def test_collapsed_stacks_are_read_root_first() -> None:
    raw = (
        'process 1:"rasa run (x)";process 2:"python";main (/x/site-packages/rasa/core/run.py:10);'
        "handle (/x/site-packages/rasa/core/processor.py:20) 3\n"
        'process 2:"python";main (/x/site-packages/rasa/core/run.py:10) 1\n'
    )
    stacks = profile.parse_raw(raw)
    run, handle = "rasa/core/run.py:main", "rasa/core/processor.py:handle"
    assert stacks == {(run, handle): 3, (run,): 1}
    p = profile.Profile("rasa", stacks)
    assert p.inclusive()[run] == 4 and p.inclusive()[handle] == 3
    assert p.own()[handle] == 3 and p.own()[run] == 1
