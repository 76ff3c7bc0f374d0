from bot.web.rate_limit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_up_to_the_limit_then_refuses() -> None:
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60, clock=Clock())
    assert [limiter.allow("a") for _ in range(5)] == [True, True, True, False, False]


def test_keys_are_counted_apart() -> None:
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a")


def test_the_window_slides() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=2, window_seconds=60, clock=clock)
    assert limiter.allow("a")
    clock.now += 30
    assert limiter.allow("a")
    assert not limiter.allow("a")
    clock.now += 31  # the first event has left the window, the second has not
    assert limiter.allow("a")
    assert not limiter.allow("a")


def test_refused_events_do_not_extend_the_wait() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=clock)
    assert limiter.allow("a")
    for _ in range(10):
        clock.now += 5
        assert not limiter.allow("a")
    clock.now += 11
    assert limiter.allow("a")


def test_idle_keys_are_forgotten() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=1, window_seconds=60, clock=clock)
    for n in range(10_001):
        limiter.allow(f"k{n}")
    clock.now += 61
    limiter.allow("fresh")
    assert limiter.keys_counted() < 10
