"""The threads that run large appends off the event loop (num.io.threads of them).

The engine releases the GIL while it validates and writes a record set, so an append on one of
these threads lets the loop go on receiving and answering meanwhile. This is a lean stand-in for
`loop.run_in_executor(ThreadPoolExecutor)`: under produce load that hop (a concurrent Future with
its lock and condition, the future chained to an asyncio one, one self-pipe write to wake the
loop per append) cost more broker CPU than everything else the produce handler does in Python
(docs/bench.md, "CPU per byte, round 2"). Here a job is (function, loop, future) on a SimpleQueue;
finished jobs are collected under a lock and the loop is woken once for all that finish before it
runs, not once each. The threads start on the first job, so a broker that never sees a large
append runs none.
"""
from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, Callable, Optional

# A job: the append to run, and the asyncio future (of its loop) that gets its outcome.
_Job = tuple[Callable[[], Any], asyncio.AbstractEventLoop, asyncio.Future]


class AppendThreads:
    def __init__(self, size: int, name: str = "append") -> None:
        self._jobs: queue.SimpleQueue[Optional[_Job]] = queue.SimpleQueue()
        self._name = name
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        # loop -> outcomes (future, result, exception) finished but not yet delivered on that loop
        self._done: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any, Optional[BaseException]]]] = {}
        self.size = max(1, size)
        self._started = False

    def resize(self, size: int) -> None:
        """Start or retire threads (once started); jobs already queued run on whichever threads
        remain."""
        self.size = size = max(1, size)
        if not self._started:
            return
        while len(self._threads) < size:
            thread = threading.Thread(target=self._run, name=f"{self._name}_{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()
        for _ in range(len(self._threads) - size):
            self._jobs.put(None)  # the thread that takes it exits
            self._threads.pop()

    def run(self, fn: Callable[[], Any]) -> asyncio.Future:
        """`fn()` on one of the threads; await the returned future (of the running loop) for its
        result or exception."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if not self._started:
            self._started = True
            self.resize(self.size)
        self._jobs.put((fn, loop, fut))
        return fut

    def shutdown(self) -> None:
        """Let the queued jobs finish, then stop every thread and wait for them."""
        threads = self._threads
        self._threads = []
        self._started = False
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, loop, fut = job
            result: Any = None
            error: Optional[BaseException] = None
            try:
                result = fn()
            except BaseException as e:  # delivered to the awaiting coroutine, raised there
                error = e
            with self._lock:
                pending = self._done.get(loop)
                first = not pending
                if first:
                    pending = self._done[loop] = []
                assert pending is not None
                pending.append((fut, result, error))
            if first:
                try:
                    loop.call_soon_threadsafe(self._deliver, loop)
                except RuntimeError:  # the loop was closed: nobody awaits these any more
                    with self._lock:
                        self._done.pop(loop, None)
            del job, fn, fut, result, error

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop: hand every finished outcome to its future."""
        with self._lock:
            finished = self._done.pop(loop, [])
        for fut, result, error in finished:
            if fut.done():  # cancelled meanwhile (its connection went away)
                continue
            if error is not None:
                fut.set_exception(error)
            else:
                fut.set_result(result)
