"""Handing work between the broker's event loops, which run on threads of their own
(num.network.threads, server/network_loops.py): asyncio futures and callbacks belong to one loop
and must be touched from its thread."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, TypeVar

T = TypeVar("T")


def call_in_loop(loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], *args: Any) -> bool:
    """callback(*args) in `loop`'s thread: now when the caller runs in that loop, else scheduled
    there. False when that loop is closed (the broker is stopping): nothing was called."""
    if asyncio._get_running_loop() is loop:
        callback(*args)
        return True
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        return False
    return True


def run_on(target: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Run `work` as a task on `target` (another thread's loop) and return a future of the
    calling loop with its outcome; cancelling that future cancels the task. Lighter than
    run_coroutine_threadsafe + wrap_future (no concurrent.futures.Future and its locks): one
    call_soon_threadsafe each way, which is most of the hop's cost."""
    here = asyncio.get_running_loop()
    outcome: asyncio.Future[T] = here.create_future()
    started: list[asyncio.Task] = []

    def start() -> None:
        if outcome.cancelled():  # cancelled before it began (a racy read, settled below)
            work.close()
            return
        task = target.create_task(work)
        started.append(task)
        task.add_done_callback(finished)

    def finished(task: asyncio.Task) -> None:
        call_in_loop(here, _copy_outcome, outcome, task)  # nothing to do if `here` has closed

    def cancel_task(future: asyncio.Future) -> None:
        if future.cancelled():
            target.call_soon_threadsafe(lambda: started and started[0].cancel())

    outcome.add_done_callback(cancel_task)
    target.call_soon_threadsafe(start)
    return outcome


def _copy_outcome(outcome: asyncio.Future, task: asyncio.Task) -> None:
    if outcome.done():
        return
    if task.cancelled():
        outcome.cancel()
    elif task.exception() is not None:
        outcome.set_exception(task.exception())  # type: ignore[arg-type]
    else:
        outcome.set_result(task.result())
