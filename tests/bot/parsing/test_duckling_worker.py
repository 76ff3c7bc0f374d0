"""The Duckling worker: the worst input costs one failed parse, never the calling process."""

from __future__ import annotations

import os
import threading

import pytest

from bot.parsing.duckling_worker import DucklingWorker

# Seven adjacent dates: Duckling allocates gigabytes and its runtime aborts the process.
EXPLODING = "11月24日" * 7


@pytest.fixture
def worker():
    running = DucklingWorker()
    yield running
    running.close()


def test_a_parse_answers_with_entities(worker: DucklingWorker) -> None:
    entities = worker.parse("昨天", "ZH", "time", 0, timeout=30)
    assert entities and entities[0]["value"]["value"].startswith("1969-12-31")
    assert worker.pid != os.getpid()


def test_an_exploding_input_fails_alone_and_the_next_call_gets_a_fresh_worker(worker: DucklingWorker) -> None:
    worker.parse("昨天", "ZH", "time", 0, timeout=30)
    first_pid = worker.pid
    assert worker.parse(EXPLODING, "ZH", "time", 0, timeout=0.5) is None
    assert worker.failures == 1
    after = worker.parse("yesterday", "EN", "time", 0, timeout=30)
    assert after and worker.pid not in (None, first_pid)


def test_the_memory_cap_stops_a_parse_that_outgrows_it() -> None:
    # Five adjacent dates need about 70 MB more than a resting worker: a cap below that ends the child.
    small = DucklingWorker(memory_cap_mb=90)
    try:
        assert small.parse("昨天", "ZH", "time", 0, timeout=30)
        assert small.parse("11月24日" * 5, "ZH", "time", 0, timeout=30) is None
        assert small.failures == 1
    finally:
        small.close()


@pytest.mark.parametrize("text", ["", "\x00\x1b[31m", "\ud800 lone surrogate", "😡" * 500, "a\nb\r\nc"])
def test_strange_text_is_answered(worker: DucklingWorker, text: str) -> None:
    assert isinstance(worker.parse(text, "EN", "time", 0, timeout=30), list)
    assert worker.failures == 0


def test_threads_share_one_worker_in_turn(worker: DucklingWorker) -> None:
    answers: list[list | None] = []

    def ask(word: str) -> None:
        answers.append(worker.parse(word, "EN", "time", 0, timeout=30))

    threads = [threading.Thread(target=ask, args=(w,)) for w in ["yesterday", "today", "tomorrow"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 12 and all(answers)
