"""The gateway's shared state in both back-ends. Two handles on it, as two gateway processes have,
must see the same limits, turns, answered ids, notes and messages: in Redis two clients (the real Redis
at TEST_REDIS_URL, under a prefix of this run's own, deleted afterwards), in one process the same
state twice."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.web.shared_state.support import BACKENDS, GoneSocket, Listener, two_processes, until


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_limit_is_counted_across_processes(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.limiter("messages", 3), b.limiter("messages", 3)
        assert await la.allow("k") and await lb.allow("k") and await la.allow("k")
        assert await lb.exhausted("k") and await la.exhausted("k")
        assert not await lb.allow("k") and not await la.allow("k")
        assert await lb.allow("another key")
        assert await a.limiter("another limiter", 3).allow("k")

        quiet = b.limiter("asked only", 1)
        for _ in range(3):
            assert not await quiet.exhausted("k")  # asking counts nothing
        assert await quiet.allow("k") and await quiet.exhausted("k")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_window_slides(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.limiter("short", 2, window_seconds=1.0), b.limiter("short", 2, window_seconds=1.0)
        assert await la.allow("k")
        await asyncio.sleep(0.6)
        assert await lb.allow("k") and not await la.allow("k")
        await asyncio.sleep(0.6)  # the first event has left the window, the second has not
        assert await lb.allow("k") and not await la.allow("k")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_one_turn_at_a_time_across_processes(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.locks("conversation"), b.locks("conversation")
        events: list[str] = []

        async def second_turn() -> None:
            async with lb.hold("c1"):
                events.append("second")

        async with la.hold("c1"):
            waiting = asyncio.create_task(second_turn())
            async with lb.hold("c2"):  # another conversation does not wait
                pass
            await asyncio.sleep(0.3)
            assert not waiting.done()
            events.append("first done")
        await asyncio.wait_for(waiting, 5)
        assert events == ["first done", "second"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_waiter_that_gives_up_leaves_the_turn_free(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        la, lb = a.locks("conversation"), b.locks("conversation")

        async def turn() -> None:
            async with lb.hold("c"):
                pass

        async with la.hold("c"):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(turn(), 0.3)  # a browser that went away meanwhile
        await asyncio.wait_for(turn(), 2)
        await asyncio.wait_for(turn(), 2)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_answered_id_is_known_to_the_other_process(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        ra, rb = a.remembered("answered", 5), b.remembered("answered", 5)
        await ra.remember("conv", {"m1"})
        assert await rb.known("conv", "m1") and await ra.known("conv", "m1")
        assert not await rb.known("conv", "m2")
        assert not await rb.known("other conv", "m1")
        assert not await b.remembered("other name", 5).known("conv", "m1")
        for n in range(2, 9):
            await ra.remember("conv", [f"m{n}"])
        await ra.remember("conv", [])
        assert [n for n in range(1, 9) if await rb.known("conv", f"m{n}")] == [4, 5, 6, 7, 8]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_mark_is_seen_by_the_other_process_until_it_expires(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        ma, mb = a.marks("ended"), b.marks("ended")
        assert not await mb.marked("c1")
        await ma.mark("c1", 0.5)
        await ma.mark("c2", 60)
        assert await mb.marked("c1") and await ma.marked("c1") and await mb.marked("c2")
        assert not await mb.marked("c3") and not await b.marks("another name").marked("c1")
        await asyncio.sleep(0.7)
        assert not await mb.marked("c1") and not await ma.marked("c1")
        assert await mb.marked("c2")
        await mb.mark("c2", 0.1)  # shorter, later: cuts the first one short nowhere
        await mb.mark("c1", 0.3)  # marked again after it expired
        await asyncio.sleep(0.2)
        assert await mb.marked("c2") and await ma.marked("c2") and await ma.marked("c1")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_note_is_read_by_the_other_process_until_it_is_forgotten(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        na, nb = a.notes("unfinished-card", 60), b.notes("unfinished-card", 60)
        assert await nb.get("c1") is None
        await na.put("c1", "12")
        assert await nb.get("c1") == "12" and await nb.get("c2") is None
        await nb.put("c1", None)
        assert await na.get("c1") is None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_note_is_forgotten_after_its_time(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        await a.notes("short", 0.3).put("c", "12")
        assert await b.notes("short", 0.3).get("c") == "12"
        await asyncio.sleep(0.5)
        assert await b.notes("short", 0.3).get("c") is None and await a.notes("short", 0.3).get("c") is None


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_published_message_reaches_the_channel_s_sockets_everywhere_in_order(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        customer, elsewhere, publisher_side = Listener(), Listener(), Listener()
        b.hub.subscribe("customer:c1", customer)
        b.hub.subscribe("customer:c2", elsewhere)
        a.hub.subscribe("customer:c1", publisher_side)  # the publisher's own process listens too
        sent = [{"type": "agent", "text": f"您好 {n}", "n": n} for n in range(30)]
        for message in sent:
            await a.hub.publish("customer:c1", message)
        await until(lambda: len(customer.got) >= 30 and len(publisher_side.got) >= 30)
        await asyncio.sleep(0.2)
        assert customer.got == sent
        assert publisher_side.got == sent  # once each
        assert elsewhere.got == []

        b.hub.unsubscribe("customer:c1", customer)
        await a.hub.publish("customer:c1", {"n": "after"})
        await until(lambda: len(publisher_side.got) == 31)
        await asyncio.sleep(0.2)
        assert len(customer.got) == 30


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_socket_that_is_gone_is_dropped(backend: str) -> None:
    async with two_processes(backend) as (a, b):
        live = Listener()
        b.hub.subscribe("agents:c", GoneSocket())
        b.hub.subscribe("agents:c", live)
        await a.hub.publish("agents:c", {"n": 1})
        await until(lambda: live.got == [{"n": 1}])
        b.hub.unsubscribe("agents:c", live)
        assert not b.hub.listening("agents:c")
