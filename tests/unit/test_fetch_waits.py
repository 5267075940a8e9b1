"""LogManager.wait_for_appends, a long-polling fetch's wait, over real partition logs: which
appends end it, and that it leaves nothing registered behind. A wait on at least
WHOLE_TOPIC_WAIT partitions of a topic, and at least half of them, is one wait on the topic."""
from __future__ import annotations

import asyncio

import pytest

from fastlog.storage.log_manager import WHOLE_TOPIC_WAIT

from storage_batches import BASE_TS, batch


def registered(topic) -> int:
    return len(topic.topic_waiters) + sum(len(w) for w in topic.waiters)


async def woken_by(logs, waits, append=None, timeout: float = 5.0) -> float:
    """Seconds the wait on `waits` took when `append()` runs once it is registered."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.ensure_future(logs.wait_for_appends(waits, timeout))
    await asyncio.sleep(0.05)
    if append is not None:
        append()
    await waiting
    return loop.time() - started


def test_a_wait_on_most_of_a_topic_is_one_registration_woken_by_any_of_its_partitions(logs):
    topic = logs.create_topic("t", 2 * WHOLE_TOPIC_WAIT)
    waits = [(topic, list(range(WHOLE_TOPIC_WAIT)))]  # exactly half, at the threshold

    async def run():
        seen = []
        loop_task = asyncio.ensure_future(logs.wait_for_appends(waits, 5.0))
        await asyncio.sleep(0.05)
        seen.append((len(topic.topic_waiters), sum(len(w) for w in topic.waiters)))
        logs.append(topic, WHOLE_TOPIC_WAIT + 1, batch([b"x"]), BASE_TS)  # a partition not waited on
        await loop_task
        # one on the topic's list
        assert seen == [(1, 0)]
        assert await woken_by(logs, waits, lambda: logs.append(topic, 3, batch([b"x"]), BASE_TS)) < 4
    asyncio.run(run())
    assert registered(topic) == 0


def test_a_wait_on_few_partitions_is_woken_by_those_only(logs):
    topic = logs.create_topic("t", 2 * WHOLE_TOPIC_WAIT)
    few = [(topic, list(range(WHOLE_TOPIC_WAIT - 1)))]  # below the threshold

    async def run():
        # an append elsewhere does not end it: it times out
        assert await woken_by(logs, few, lambda: logs.append(topic, 2 * WHOLE_TOPIC_WAIT - 1, batch([b"x"]), BASE_TS),
                              timeout=0.5) >= 0.45
        assert await woken_by(logs, few, lambda: logs.append(topic, 0, batch([b"x"]), BASE_TS)) < 4
        # a partition the topic lacks is left out (a session may name one): nothing to wake it
        assert await woken_by(logs, [(topic, [10_000, -1])], timeout=0.3) >= 0.25
    asyncio.run(run())
    assert registered(topic) == 0


def test_deleting_the_topic_ends_a_whole_topic_wait(logs):
    topic = logs.create_topic("t", WHOLE_TOPIC_WAIT)

    async def run():
        assert await woken_by(logs, [(topic, list(range(WHOLE_TOPIC_WAIT)))], lambda: logs.delete_topic("t")) < 4
    asyncio.run(run())
    assert registered(topic) == 0


@pytest.mark.parametrize("waited", [1, WHOLE_TOPIC_WAIT])
def test_an_append_between_the_read_and_the_wait_ends_the_wait_at_once(logs, waited):
    """The gap between a fetch's read (nothing new) and its wait's registration: an append there
    woke nobody, and the fetch waited for the next one or its max_wait_ms."""
    topic = logs.create_topic("t", WHOLE_TOPIC_WAIT)
    waits = [(topic, list(range(waited)))]

    async def run(seen) -> float:
        loop = asyncio.get_running_loop()
        logs.append(topic, 0, batch([b"x"]), BASE_TS)  # after the fetch's read, before its wait
        started = loop.time()
        await logs.wait_for_appends(waits, 0.5, seen)
        return loop.time() - started

    assert asyncio.run(run(logs.appends_of([topic]))) < 0.4
    assert asyncio.run(run(None)) >= 0.45  # without what the fetch saw, it waits out its time
    assert registered(topic) == 0
