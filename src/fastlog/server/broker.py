"""The broker: owns the logs, the coordinators and the listener; starts and stops them in order."""
from __future__ import annotations

import asyncio
import collections
import dataclasses
import errno
import functools
import logging
import resource
import threading
from typing import Optional

from fastlog.config import Config, Listener
from fastlog.coordinator.groups import GroupCoordinator
from fastlog.coordinator.producer_ids import ProducerIdManager
from fastlog.coordinator.share_groups import ShareCoordinator
from fastlog.coordinator.transactions import TransactionCoordinator
from fastlog.fetch_sessions import FetchSessionCache
from fastlog.handlers import _features
from fastlog.handlers.registry import load_all
from fastlog.log_throttle import LogThrottle
from fastlog.quotas import ClientQuotas
from fastlog.security import tls
from fastlog.security.acl import Authorizer
from fastlog.security.sasl import SaslListener
from fastlog.security.scram import CredentialStore
from fastlog.server import trace
from fastlog.server.connection import Connection
from fastlog.server.limits import RequestMemoryPool
from fastlog.server.network_loops import NetworkLoops, listening_sockets
from fastlog.services import BrokerServices
from fastlog.storage.feature_levels import FeatureLevels
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.broker")


class Broker:
    def __init__(self, config: Config) -> None:
        load_all()  # every handler module registers its API in the registry dispatch reads
        self.config = config
        self.node_id = config.node_id
        self.logs = LogManager(config)
        self.groups = GroupCoordinator(self.logs, config)
        self.shares = ShareCoordinator(self.logs, config, taken_group_ids=self.groups.groups,
                                       group_log=self.groups.table.log)
        self.groups.table.share_group_ids = self.shares.groups
        self.transactions: Optional[TransactionCoordinator] = None
        self.host = "127.0.0.1"
        self.port = 0
        self.connections: set[Connection] = set()
        self.connections_per_ip: collections.Counter[str] = collections.Counter()
        # Connections are served on num.network.threads loops (server/network_loops.py); these
        # counts are kept from all of them.
        self._connections_lock = threading.Lock()
        self.network = NetworkLoops(config.get_int("num.network.threads"), self._loop_exception)
        # keys, defaults and validators: fastlog.config.BROKER_KEYS
        self.max_connections = config.get_int("max.connections")
        self.max_connections_per_ip = config.get_int("max.connections.per.ip")
        self.idle_s = config.get_int("connections.max.idle.ms") / 1000
        self.arrival_s = config.get_int("request.arrival.timeout.ms") / 1000
        self.request_pool = RequestMemoryPool(config.get_int("queued.max.request.bytes"))
        # one line per kind of repeated failure every 10 s at most (fd exhaustion fails everything)
        self.log_throttle = LogThrottle(log)
        self._services: Optional[BrokerServices] = None
        self._servers: list[asyncio.AbstractServer] = []
        # Each bound listener (advertised address filled in) and its bound "host:port".
        self.listeners: list[tuple[Listener, str]] = []
        self._tasks: list[asyncio.Task] = []
        self._accepting: list[asyncio.Task] = []  # with num.network.threads > 1: the accept loops
        self._listen_socks: list = []
        self._serving: list[tuple] = []  # each listener's (server, holder, SASL listener, SSL context)
        self.trace = trace.from_environment()   # None unless FASTLOG_TRACE_FILE is set

    @property
    def cluster_id(self) -> str:
        return self.logs.cluster_id

    @property
    def services(self) -> BrokerServices:
        """What handlers get; exists once start() has bound the listeners (the advertised address
        is part of it), which is before any connection is accepted."""
        assert self._services is not None, "the broker serves requests only after start()"
        return self._services

    async def start(self) -> None:
        raise_fd_limit()
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self._loop_exception)
        if self.trace is not None:
            self.trace.start(loop)
        self.logs.open()
        producer_ids = ProducerIdManager(self.logs.data_dir)
        quotas = ClientQuotas(self.logs.data_dir, self.config.get_int("quota.window.num"),
                              self.config.get_int("quota.window.size.seconds"))
        quotas.load()
        await self.groups.start()
        await self.shares.start()
        transactions = self.transactions = TransactionCoordinator(self.logs, self.config, producer_ids)
        transactions.on_offsets_marker = self.groups.offsets.complete_txn
        await transactions.start()
        scram = CredentialStore(self.logs.data_dir)
        for created in scram.bootstrap(self.config.get("scram.bootstrap.users")):
            log.info("created SCRAM user %s (scram.bootstrap.users)", created)
        authorizer = Authorizer(self.config, self.logs.data_dir)
        for listener in self.config.listeners():
            ssl_context = tls.server_context(self.config, listener.name) if listener.uses_tls else None
            sasl = SaslListener(self.config, listener.name, scram) if listener.uses_sasl else None
            # The listener with its advertised address is known once bound: the factory reads it
            # from `holder`, and nothing is accepted before start_serving below.
            holder: list[Listener] = []
            server = await loop.create_server(
                functools.partial(self._connection, holder, sasl), listener.host or None, listener.port,
                reuse_address=True, backlog=1024, ssl=ssl_context, start_serving=False)
            self._servers.append(server)
            self._serving.append((server, holder, sasl, ssl_context))
            bound_host, bound_port = server.sockets[0].getsockname()[:2]
            host, port = listener.advertised(bound_host, bound_port)
            holder.append(dataclasses.replace(listener, advertised_host=host, advertised_port=port))
            self.listeners.append((holder[0], f"{bound_host}:{bound_port}"))
        self.host, self.port = self.listeners[0][0].address()
        self._services = BrokerServices(config=self.config, logs=self.logs, groups=self.groups,
                                        producer_ids=producer_ids, transactions=transactions, node_id=self.node_id,
                                        host=self.host, port=self.port, quotas=quotas, scram=scram,
                                        authorizer=authorizer, fetch_sessions=FetchSessionCache(
                                            self.config.get_int("max.incremental.fetch.session.cache.slots")),
                                        shares=self.shares, features=FeatureLevels(
                                            self.logs.data_dir, _features.FINALIZED, _features.KEPT))
        if self.network.count == 1:
            for bound_server in self._servers:
                await bound_server.start_serving()
        else:
            self.network.start()
            for bound_server, holder, sasl, ssl_context in self._serving:
                for sock in listening_sockets(bound_server):
                    self._listen_socks.append(sock)
                    self._accepting.append(loop.create_task(self.network.accept(
                        sock, functools.partial(self._connection, holder, sasl), ssl_context, self._accept_failed)))
                bound_server.close()  # its sockets' duplicates above accept instead
        self._tasks.append(loop.create_task(self.logs.run_maintenance()))
        self._tasks.append(loop.create_task(self.logs.cleaner.run()))
        self._tasks.append(loop.create_task(self._police_connections()))

    def _connection(self, holder: list[Listener], sasl: Optional[SaslListener]) -> Connection:
        return Connection(self, holder[0], sasl)

    def describe_listeners(self) -> str:
        """Every bound listener, NAME://host:port, for the ready line."""
        return ",".join(f"{listener.name}://{bound}" for listener, bound in self.listeners)

    # -- connection limits ----------------------------------------------------------------
    def admit(self, conn: Connection) -> Optional[str]:
        """Count a new connection in, or say why it is refused (max.connections[.per.ip])."""
        reason = None
        with self._connections_lock:
            if len(self.connections) >= self.max_connections:
                reason = f"max.connections ({self.max_connections}) reached"
            elif self.connections_per_ip[conn.ip] >= self.max_connections_per_ip:
                reason = f"max.connections.per.ip ({self.max_connections_per_ip}) reached for {conn.ip}"
            else:
                self.connections.add(conn)
                self.connections_per_ip[conn.ip] += 1
        if reason is not None:
            self.log_throttle.log("refused", "refusing connection from %s: %s", conn.peer, reason,
                                  level=logging.WARNING)
        return reason

    def forget(self, conn: Connection) -> None:
        with self._connections_lock:
            self.connections.discard(conn)
            self.connections_per_ip[conn.ip] -= 1
            if self.connections_per_ip[conn.ip] <= 0:
                del self.connections_per_ip[conn.ip]

    def _open_connections(self) -> list[Connection]:
        with self._connections_lock:
            return list(self.connections)

    def _accept_failed(self, exc: OSError) -> None:
        """An accept of the network loops' accept tasks failed: reported as asyncio's server
        reports it (to _loop_exception)."""
        self._loop_exception(asyncio.get_running_loop(), {"message": "accept failed", "exception": exc})

    async def _police_connections(self) -> None:
        """Close connections idle for connections.max.idle.ms, and those whose request has not
        arrived whole within request.arrival.timeout.ms (a slowloris sender, a stuck client).
        One log line per kind and round (rate-limited), however many were closed."""
        tick = max(min(self.idle_s, self.arrival_s, 5.0) / 4, 0.01)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            stuck, idle = [], []
            for conn in self._open_connections():
                if conn.closed or conn.reading_paused:
                    continue  # paused by us: the wait is ours, not the client's
                if conn.partial_since is not None and now - conn.partial_since > self.arrival_s:
                    stuck.append(conn)
                elif conn.worker is None and now - conn.last_active > self.idle_s:
                    idle.append(conn)
            for conns, kind, why in (
                    (stuck, "stuck",
                     f"request not complete after request.arrival.timeout.ms ({self.arrival_s * 1000:.0f} ms)"),
                    (idle, "idle", f"idle for connections.max.idle.ms ({self.idle_s * 1000:.0f} ms)")):
                if conns:
                    for conn in conns:
                        conn.abort_from_any_thread(why)
                    self.log_throttle.log(kind, "closed %d connection(s) (%s, ...): %s", len(conns),
                                          conns[0].peer, why, level=logging.WARNING)

    def _close_this_loops_connections(self) -> None:
        """Close the connections the calling thread's loop serves."""
        loop = asyncio.get_running_loop()
        for conn in self._open_connections():
            if conn.loop is loop:
                conn.abort("broker shutting down", quiet=True)

    def _loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        """asyncio reports accept() failures here, once a second while file descriptors are out;
        keep that to one line per 10 s instead of a traceback each time."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            self.log_throttle.log("accept", "cannot accept connections: %s (file descriptor limit %d); "
                                  "serving the open ones", exc, fd_limit())
            return
        self.log_throttle.log(f"loop:{context.get('message')}", "%s", context.get("message"),
                              exc_info=exc is not None and (type(exc), exc, exc.__traceback__))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in self._accepting:
            task.cancel()
        await asyncio.gather(*self._accepting, return_exceptions=True)
        for sock in self._listen_socks:
            sock.close()
        if self.connections:
            log.info("shutting down: closing %d connection(s)", len(self.connections))
        await self.network.stop(self._close_this_loops_connections)  # those of the other loops first
        self._close_this_loops_connections()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.transactions is not None:
            await self.transactions.stop()
        await self.shares.stop()
        await self.groups.stop()
        self.logs.close()
        if self.trace is not None:
            await self.trace.stop()
        log.info("stopped")


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_fd_limit() -> None:
    """Raise the soft limit on open files to the hard one: every connection and every segment
    file takes a descriptor, and the soft default (often 1024) runs out long before memory does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as e:
            log.warning("could not raise the open files limit from %d to %d: %s", soft, hard, e)
    log.info("open files limit (RLIMIT_NOFILE): %d", fd_limit())
