"""The event loops that serve connections (num.network.threads of them): the broker's main loop
and num.network.threads - 1 more, each an asyncio loop on a thread of its own.

Why: a connection's reading, framing and writing, its Produce fast path and its Fetches need no
Python state that only the main loop may change, and their syscalls and compiled calls release
the GIL. On more loops they overlap, and the broker takes more than one thread's share of the
CPUs (docs/scaling.md, "The network loops"). What needs that state (the other handlers, the
coordinators) stays on the main loop: a connection on another loop hands such a request to it
(`Connection._on_main`, `fastlog.cross_loop.run_on`), the way Kafka's network threads hand
requests to its handler pool.

The main loop accepts every connection (so a second broker cannot bind the same port, as it
could with SO_REUSEPORT) and gives each to the next loop in turn.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import ssl
import threading
from typing import Callable, Optional

log = logging.getLogger("fastlog.network")


class NetworkLoops:
    def __init__(self, count: int, exception_handler: Callable) -> None:
        self.count = count  # loops serving connections, the main one included
        self._exception_handler = exception_handler
        self.main: Optional[asyncio.AbstractEventLoop] = None
        self.extra: list[asyncio.AbstractEventLoop] = []
        self._threads: list[threading.Thread] = []
        self._turn: Optional[itertools.cycle] = None

    def start(self) -> None:
        """Start the extra loops' threads (from the main loop)."""
        self.main = asyncio.get_running_loop()
        for number in range(1, self.count):
            started = threading.Event()
            holder: list[asyncio.AbstractEventLoop] = []
            thread = threading.Thread(target=self._run, args=(holder, started),
                                      name=f"fastlog-net-{number}", daemon=True)
            thread.start()
            started.wait()
            self.extra.append(holder[0])
            self._threads.append(thread)
        self._turn = itertools.cycle([self.main, *self.extra])

    def _run(self, holder: list, started: threading.Event) -> None:
        name_thread(threading.current_thread().name)
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._exception_handler)
        asyncio.set_event_loop(loop)
        holder.append(loop)
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def next_loop(self) -> asyncio.AbstractEventLoop:
        assert self._turn is not None
        return next(self._turn)

    async def accept(self, listen_sock: socket.socket, factory: Callable[[], asyncio.BaseProtocol],
                     ssl_context: Optional[ssl.SSLContext], on_error: Callable[[OSError], None]) -> None:
        """Accept connections on `listen_sock` forever (a task on the main loop), each served on
        the next loop in turn. A failed accept (file descriptors out) is reported and retried
        after a pause, as asyncio's own server does."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listen_sock)
            except OSError as e:
                on_error(e)
                await asyncio.sleep(1.0)
                continue
            target = self.next_loop()
            serve = _serve_accepted(target, sock, factory, ssl_context)
            if target is loop:
                loop.create_task(serve)
            else:
                target.call_soon_threadsafe(target.create_task, serve)

    async def stop(self, before_stopping: Callable[[], None]) -> None:
        """Run `before_stopping` on each extra loop (close its connections), let their closing
        run, then stop the loops and join their threads."""
        for loop in self.extra:
            done = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_settle(before_stopping), loop))
            await done
        for loop, thread in zip(self.extra, self._threads):
            loop.call_soon_threadsafe(loop.stop)
            await asyncio.to_thread(thread.join, 10)
        self.extra.clear()
        self._threads.clear()


async def _serve_accepted(loop: asyncio.AbstractEventLoop, sock: socket.socket,
                          factory: Callable[[], asyncio.BaseProtocol], ssl_context: Optional[ssl.SSLContext]) -> None:
    try:
        await loop.connect_accepted_socket(factory, sock, ssl=ssl_context)
    except (OSError, ssl.SSLError, asyncio.TimeoutError) as e:
        # as asyncio's server: a failed TLS handshake ends that connection only
        log.debug("connection not established: %s", e)
        sock.close()


async def _settle(before_stopping: Callable[[], None]) -> None:
    before_stopping()
    for _ in range(3):  # let aborted transports call connection_lost
        await asyncio.sleep(0)


def name_thread(name: str) -> None:
    """Name the calling OS thread (top -H, /proc/PID/task/TID/comm): at most 15 bytes."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
            f.write(name[:15])
    except OSError:
        pass


def listening_sockets(server: asyncio.Server) -> list[socket.socket]:
    """The bound sockets of a server created with start_serving=False, as sockets of our own
    (duplicates: closing the server leaves them open), listening and non-blocking."""
    socks = []
    for bound in server.sockets:
        sock = socket.socket(bound.family, bound.type, bound.proto, fileno=os.dup(bound.fileno()))
        sock.setblocking(False)
        sock.listen(1024)
        socks.append(sock)
    return socks
