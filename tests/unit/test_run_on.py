"""fastlog.cross_loop.run_on: a coroutine run on another thread's loop, its outcome (result,
exception, cancellation) delivered to the calling loop."""
from __future__ import annotations

import asyncio
import threading

import pytest

from fastlog.cross_loop import run_on


@pytest.fixture
def other_loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def test_result_and_exception_come_back_from_the_other_loop(other_loop):
    async def on_other(value):
        assert asyncio.get_running_loop() is other_loop
        if value is None:
            raise KeyError("no value")
        return value * 2

    async def main():
        assert await run_on(other_loop, on_other(21)) == 42
        with pytest.raises(KeyError):
            await run_on(other_loop, on_other(None))

    asyncio.run(main())


def test_cancelling_the_outcome_cancels_the_task_on_the_other_loop(other_loop):
    started = threading.Event()
    cancelled = threading.Event()

    async def waits_forever():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def main():
        outcome = run_on(other_loop, waits_forever())
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        outcome.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outcome
        assert await asyncio.get_running_loop().run_in_executor(None, cancelled.wait, 5)

    asyncio.run(main())
