"""LogManager.wait_for_appends, a long-polling fetch's wait, over real partition logs: which
appends end it, that it leaves nothing registered behind, and that an append between the
fetch's read and its wait's registration is not missed. A wait on every partition of a topic is
one registration on the topic."""
from __future__ import annotations

import asyncio

import pytest

from storage_batches import BASE_TS, batch

PARTITIONS = 8


def registered(topic) -> int:
    return len(topic.topic_waiters) + sum(len(w) for w in topic.waiters)


def append(logs, topic, index: int) -> None:
    logs.append(topic, index, batch([b"x"]), BASE_TS)


async def waited(logs, waits, during=None, timeout: float = 5.0, since=None) -> float:
    """Seconds the wait on `waits` took when `during()` runs once it is registered."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.ensure_future(logs.wait_for_appends(waits, timeout, since))
    await asyncio.sleep(0.05)
    if during is not None:
        during()
    await waiting
    return loop.time() - started


def test_a_wait_on_every_partition_of_a_topic_is_one_registration(logs):
    topic = logs.create_topic("t", PARTITIONS)
    waits = [(topic, list(range(PARTITIONS)))]

    async def run():
        seen = []

        def look_then_append():
            seen.append((len(topic.topic_waiters), sum(len(w) for w in topic.waiters)))
            append(logs, topic, 3)
        assert await waited(logs, waits, look_then_append) < 4
        assert seen == [(1, 0)]
    asyncio.run(run())
    assert registered(topic) == 0


def test_a_wait_on_some_partitions_is_woken_by_those_only(logs):
    topic = logs.create_topic("t", PARTITIONS)
    some = [(topic, list(range(PARTITIONS - 1)) + [10_000, -1])]  # all but the last; two it lacks

    async def run():
        # an append to the partition not waited on does not end it: it times out
        assert await waited(logs, some, lambda: append(logs, topic, PARTITIONS - 1), timeout=0.5) >= 0.45
        assert await waited(logs, some, lambda: append(logs, topic, 0)) < 4
    asyncio.run(run())
    assert registered(topic) == 0


def test_deleting_the_topic_ends_the_wait(logs):
    topic = logs.create_topic("t", PARTITIONS)

    async def run():
        assert await waited(logs, [(topic, list(range(PARTITIONS)))], lambda: logs.delete_topic("t")) < 4
    asyncio.run(run())
    assert registered(topic) == 0


@pytest.mark.parametrize("count", [PARTITIONS, 2])
def test_an_append_between_the_read_and_the_wait_ends_the_wait_at_once(logs, count):
    """The gap between a fetch's read (nothing new) and its wait's registration: an append there
    woke nobody, and the fetch waited for the next one or its max_wait_ms. An append to a
    partition it does not wait on still does not end it (a fetch must not spin on a busy topic)."""
    topic = logs.create_topic("t", PARTITIONS)
    waits = [(topic, list(range(count)))]

    async def run(index: int, noted: bool) -> float:
        since = logs.append_mark() if noted else None  # what the fetch notes before it reads
        append(logs, topic, index)  # after the fetch's read, before its wait
        return await waited(logs, waits, timeout=0.5, since=since)

    assert asyncio.run(run(0, noted=True)) < 0.4
    assert asyncio.run(run(0, noted=False)) >= 0.45  # without the mark, it waits out its time
    if count < PARTITIONS:
        assert asyncio.run(run(PARTITIONS - 1, noted=True)) >= 0.45
    assert registered(topic) == 0
