"""One client connection: framing, dispatch in request order, responses with sendfile.

Requests on a connection are handled one at a time, in the order they arrived, and each response
is written before the next request is handled (Kafka mutes a connection the same way), so
responses can never overtake each other. Clients may still pipeline: frames that arrive while a
request is being handled are queued.

Reading: frames of up to SCRATCH bytes are cut out of a scratch buffer; a larger frame gets a
buffer of its own which the socket then fills directly (BufferedProtocol), so a 1 MiB produce
request is copied once, from the kernel into the buffer the storage engine appends from. Both
come from the network loop's pool (read_buffers.py) and go back to it: the scratch as soon as no
partial frame is left in it (an idle connection holds no buffer), a big buffer once its request
was handled. Nothing keeps a view of a request's bytes after its handler returns (Produce
appends, which copies; other fields decode to copies).

A frame's size prefix is not a memory grant: a new big buffer starts at most FIRST_BIG_BUFFER
bytes and doubles as bytes arrive, and every request's bytes are reserved in the broker-wide
RequestMemoryPool (queued.max.request.bytes) from its size prefix until it has been handled; a
connection whose next request does not fit stops reading until bytes come back.

Limits (checked by Broker._police_connections): a request must arrive whole within
request.arrival.timeout.ms; a connection with nothing in flight for connections.max.idle.ms is
closed; max.connections and max.connections.per.ip refuse new connections beyond them.

A handler that raises answers its request with UNKNOWN_SERVER_ERROR in the request's own response
shape (error_response.py) and the connection goes on; only an unparseable frame closes it.

Writing: a response is a list of pieces from the codec. One piece (most responses) goes through
the transport. Several (a Fetch: headers between FileSlices of segments) go, once the transport's
buffer is empty, straight to the socket in one native call per socket-full (_native.send_pieces:
send with MSG_MORE for the headers, sendfile for the regions), so fetched records never become
Python objects and a response costs one trip from Python rather than one per piece. TLS cannot
use sendfile: there regions are read in chunks and written through the transport.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import os
import time
from typing import Any, Awaitable, Callable, Coroutine, Mapping, Optional, TypeVar, cast

from fastlog import _native
from fastlog.config import Listener
from fastlog.cross_loop import call_in_loop, run_on
from fastlog.handlers import api_versions
from fastlog.handlers.registry import REGISTRY, EncodedResponse, RequestContext
from fastlog.protocol import codec
from fastlog.protocol.codec import CodecError
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.schema import plan
from fastlog.quotas import CONSUMER_BYTE_RATE, PRODUCER_BYTE_RATE, REQUEST_PERCENTAGE
from fastlog.security import tls
from fastlog.security.acl import ANONYMOUS, Operation, ResourceType
from fastlog.security.sasl import AuthenticationFailed, SaslListener, SaslSession
from fastlog.server.error_response import error_response
from fastlog.server.read_buffers import SCRATCH, read_buffers
from fastlog.storage.produce_fast import with_throttle_time

log = logging.getLogger("fastlog.connection")

# Stop reading from a client that has this many request bytes queued but not yet handled.
MAX_QUEUED_BYTES = 64 << 20
# Handle no further request while this many response bytes wait in the transport buffer.
MAX_BUFFERED_RESPONSE = 8 << 20
API_VERSIONS_KEY = 18
PRODUCE_KEY = 0
FETCH_KEY = 1
SASL_HANDSHAKE_KEY = 17
SASL_AUTHENTICATE_KEY = 36
# What a SASL connection may send before it has authenticated (and after its session expired,
# only the re-authentication pair).
BEFORE_AUTHENTICATION = (API_VERSIONS_KEY, SASL_HANDSHAKE_KEY, SASL_AUTHENTICATE_KEY)
# A fetched file region goes through TLS in pieces of this size (sendfile cannot encrypt).
TLS_READ_CHUNK = 1 << 20
T = TypeVar("T")


class ConnectionClosed(Exception):
    pass


class Connection(asyncio.BufferedProtocol):
    def __init__(self, broker, listener: Listener, sasl: Optional[SaslListener] = None) -> None:
        self.broker = broker
        self.listener = listener
        self.sasl = SaslSession(sasl) if sasl is not None else None
        self.tls_principal = ANONYMOUS  # on an SSL listener, the client certificate's user
        self.max_frame: int = broker.config.get_int("socket.request.max.bytes")
        # The loop's buffers (server/read_buffers.py): scratch is held only while it holds bytes
        # of a frame not yet cut out of it, `big` while its frame is read and handled.
        self.buffers = read_buffers()
        self.scratch: Optional[bytearray] = None
        self.start = 0          # first unconsumed byte in scratch
        self.end = 0            # end of received bytes in scratch
        self.big: Optional[bytearray] = None   # buffer of a frame larger than scratch, being filled
        self.big_size = 0
        self.big_filled = 0
        self.big_reserved = 0       # pool bytes granted to the big frame whose header is in scratch
        self.waiting_for_pool = 0   # bytes this connection waits for in the pool (-1: any release)
        self.queue: collections.deque = collections.deque()
        self.queued_bytes = 0
        self.reading_paused = False
        self.worker: Optional[asyncio.Task] = None
        self.transport: Optional[asyncio.Transport] = None
        self.peer = "?"
        self.ip = "?"
        self.client_host = "/?"
        self.closed = False
        self.accepted = False      # counted in the broker's connection limits
        # The loop serving this connection (server/network_loops.py); off the main loop, the
        # requests' handlers run on the main loop (_on_main).
        self.loop = asyncio.get_running_loop()
        main = broker.network.main
        self.main_loop = self.loop if main is None else main
        self.on_main = self.main_loop is self.loop
        now = self.loop.time()
        self.last_active = now     # last byte read or response written (connections.max.idle.ms)
        self.partial_since: Optional[float] = None  # when the incomplete frame began to arrive
        self._drain_waiter: Optional[asyncio.Future] = None
        self._writing_paused = False

    # -- asyncio callbacks -------------------------------------------------------------------
    @property
    def _transport(self) -> asyncio.Transport:
        """The transport, for code that runs only after connection_made (every request does)."""
        assert self.transport is not None
        return self.transport

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.ip = peer[0] if peer else "?"
        # The client's host as Kafka reports it (DescribeGroups, the consumer-groups tool): Java's
        # InetAddress.toString() of the address, "/127.0.0.1", without the port.
        self.client_host = f"/{self.ip}"
        if self.listener.uses_tls:
            peercert = transport.get_extra_info("peercert")
            if peercert:
                rules = tls.parse_mapping_rules(
                    self.broker.config.for_listener(self.listener.name, "ssl.principal.mapping.rules"))
                self.tls_principal = "User:" + tls.map_principal(tls.subject_name(peercert), rules)
        refused = self.broker.admit(self)
        if refused:
            self.closed = True
            transport.abort()
            return
        self.accepted = True
        if self.listener.uses_tls:
            # No sendfile through TLS: fetched regions are written in chunks, and pausing only
            # above TLS_READ_CHUNK keeps a chunk or two in flight.
            transport.set_write_buffer_limits(high=2 * TLS_READ_CHUNK, low=TLS_READ_CHUNK)
        else:
            # high=0: pause_writing fires whenever anything is buffered, resume_writing when the
            # buffer is empty again; that is the signal sendfile needs before it may write.
            transport.set_write_buffer_limits(high=0)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self.accepted:
            self.broker.forget(self)
            self.accepted = False
        self._wake_drain()
        pool = self.broker.request_pool
        if self.waiting_for_pool:
            pool.cancel(self._on_pool_grant)
            self.waiting_for_pool = 0
        # bytes of requests that will now never be handled go back to the pool
        for _frame, _owner, reserved in self.queue:
            pool.release(reserved)
        self.queue.clear()
        if self.big is not None:
            pool.release(self.big_size)
            self.big = None
        self._release_scratch()
        pool.release(self.big_reserved)
        self.big_reserved = 0
        if self.worker is not None and not self.worker.done():
            self.worker.cancel()

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_drain()

    def get_buffer(self, sizehint: int):
        if self.big is not None:
            if self.big_filled == len(self.big):
                self._grow_big()
            return memoryview(self.big)[self.big_filled:min(len(self.big), self.big_size)]
        if self.scratch is None:
            self.scratch = self.buffers.take_scratch()
        elif self.end == SCRATCH:
            self._compact()
        return memoryview(self.scratch)[self.end:]

    def buffer_updated(self, nbytes: int) -> None:
        self.last_active = asyncio.get_running_loop().time()
        if self.big is not None:
            self.big_filled += nbytes
            if self.big_filled == self.big_size:
                owner, self.big = self.big, None
                self._enqueue(memoryview(owner)[:self.big_size], owner, self.big_size)
                self._note_partial()
            return
        self.end += nbytes
        self._cut_frames()

    def _note_partial(self) -> None:
        """Start the arrival clock of an incomplete frame (request.arrival.timeout.ms)."""
        if self.big is not None or self.end > self.start:
            if self.partial_since is None:
                self.partial_since = self.last_active
        else:
            self.partial_since = None

    def eof_received(self) -> bool:
        return False  # close our side too

    # -- framing -----------------------------------------------------------------------------
    def _cut_frames(self) -> None:
        scratch = self.scratch
        while scratch is not None and self.end - self.start >= 4 and not self.closed and not self.waiting_for_pool:
            size = int.from_bytes(scratch[self.start:self.start + 4], "big", signed=True)
            if size < 0 or size > self.max_frame:
                self.abort(f"request size {size} is outside 0..socket.request.max.bytes ({self.max_frame})")
                return
            total = 4 + size
            available = self.end - self.start
            if available >= total:
                frame = bytes(scratch[self.start + 4:self.start + total])
                self.start += total
                pool = self.broker.request_pool
                pool.take(size)  # already read: account for it, and read no more while over
                self._enqueue(frame, None, size)
                if pool.exhausted and not pool.reserve(0, self._on_pool_grant):
                    self._wait_for_pool(-1)
            elif total > SCRATCH:
                # Too big for the scratch buffer: reserve its bytes in the pool (or wait for
                # them), then give it its own buffer and let the socket fill it.
                if not self.big_reserved and not self.broker.request_pool.reserve(size, self._on_pool_grant):
                    self._wait_for_pool(size)
                    return
                self.big_reserved = 0
                self.big = self.buffers.take_big(size)
                self.big_size = size
                have = available - 4
                self.big[:have] = scratch[self.start + 4:self.end]
                self.big_filled = have
                self._release_scratch()
                self._note_partial()
                return
            else:
                break
        if self.start == self.end:
            self._release_scratch()
        self._note_partial()

    def _release_scratch(self) -> None:
        """Give the scratch buffer back to the loop's pool: nothing in it is needed any more."""
        self.start = self.end = 0
        if self.scratch is not None:
            self.buffers.give_scratch(self.scratch)
            self.scratch = None

    def _wait_for_pool(self, size: int) -> None:
        """Stop reading until the pool grants `size` bytes (-1: until it is below its bound);
        the pool calls _pool_granted then."""
        self.waiting_for_pool = size
        self.partial_since = None  # our wait, not the client's slowness
        self._update_reading()

    def _on_pool_grant(self, granted: int) -> None:
        """The pool granted this connection's wait, in whichever loop's thread released bytes."""
        if not call_in_loop(self.loop, self._pool_granted, granted):  # its loop closed: broker stopping
            self.broker.request_pool.release(granted)

    def _pool_granted(self, granted: int) -> None:
        self.waiting_for_pool = 0
        if self.closed:
            self.broker.request_pool.release(granted)
            return
        self.big_reserved = granted
        self._update_reading()
        self.loop.call_soon(self._cut_frames)

    def _update_reading(self) -> None:
        want_paused = bool(self.waiting_for_pool) or self.queued_bytes > MAX_QUEUED_BYTES
        if want_paused != self.reading_paused and self.transport is not None and not self.closed:
            self.reading_paused = want_paused
            if want_paused:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def _grow_big(self) -> None:
        """The big frame's buffer is full but its request is not: double it (up to the size)."""
        old = self.big
        assert old is not None
        bigger = bytearray(min(2 * len(old), self.big_size))
        bigger[:self.big_filled] = old
        self.big = bigger
        self.buffers.give_big(old)

    def _compact(self) -> None:
        assert self.scratch is not None
        remaining = self.end - self.start
        self.scratch[:remaining] = self.scratch[self.start:self.end]
        self.start, self.end = 0, remaining

    def _enqueue(self, frame, owner: Optional[bytearray], reserved: int) -> None:
        """Queue a request; `owner` is the reusable buffer the frame is a view of, if any, and
        `reserved` the bytes it holds in the request memory pool until it has been handled."""
        self.partial_since = None
        self.queue.append((frame, owner, reserved))
        self.queued_bytes += len(frame)
        if self.queued_bytes > MAX_QUEUED_BYTES:
            self._update_reading()
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())

    # -- handling ----------------------------------------------------------------------------
    async def _work(self) -> None:
        try:
            while self.queue and not self.closed:
                frame, owner, reserved = self.queue.popleft()
                self.queued_bytes -= len(frame)
                if self.reading_paused and self.queued_bytes < MAX_QUEUED_BYTES // 2:
                    self._update_reading()
                try:
                    await self._handle(frame)
                finally:
                    self.broker.request_pool.release(reserved)
                if owner is not None:
                    del frame
                    self.buffers.give_big(owner)
                self.last_active = asyncio.get_running_loop().time()
                if self._transport.get_write_buffer_size() > MAX_BUFFERED_RESPONSE:
                    await self._drained()
        except (ConnectionClosed, asyncio.CancelledError):
            pass
        except Exception:
            self.broker.log_throttle.log("connection", "connection %s: unexpected error; closing it",
                                         self.peer, exc_info=True)
            self.abort("internal error")
        finally:
            self.worker = None

    @property
    def principal(self) -> str:
        """Who the requests of this connection come from: the SASL user on a SASL listener, the
        certificate's user on SSL with a client certificate, else User:ANONYMOUS."""
        if self.sasl is not None:
            return f"User:{self.sasl.user}" if self.sasl.user is not None else ANONYMOUS
        return self.tls_principal

    async def _handle(self, frame) -> None:
        taken = time.perf_counter()
        if self.sasl is not None and self.sasl.raw_tokens:
            self._raw_sasl_token(frame)
            return
        try:
            api_key, version, correlation_id, client_id, offset = codec.decode_request_header(frame)
        except CodecError as e:
            self.abort(f"malformed request header: {e}")
            return
        if self.sasl is not None and api_key not in BEFORE_AUTHENTICATION:
            if not self.sasl.authenticated:
                self.abort(f"api_key={api_key} before SASL authentication")
                return
            if self.sasl.expires_at is not None and asyncio.get_running_loop().time() > self.sasl.expires_at:
                self.abort("SASL session expired (connections.max.reauth.ms) without re-authentication")
                return
        if api_key == PRODUCE_KEY:
            started = time.perf_counter()
            fast = await self._try_produce_fast(frame, offset, version, correlation_id)
            if fast is not None:
                await self._answer_fast_produce(fast, version, client_id, time.perf_counter() - started, taken,
                                                len(frame))
                return
        spec = REGISTRY.get(api_key)
        response: Optional[Mapping[str, Any] | EncodedResponse]
        handler_seconds = 0.0
        close_after: Optional[str] = None
        if spec is None or not spec.min_version <= version <= spec.max_version:
            if api_key != API_VERSIONS_KEY:
                self.abort(f"unsupported request: api_key={api_key} version={version}")
                return
            # Kafka's rule: answer a too-new ApiVersions at v0 with UNSUPPORTED_VERSION and
            # ApiVersions' own range, so the client retries at a version we serve.
            version, response = 0, api_versions.unsupported_version_response()
        else:
            try:
                if spec.decode is None:
                    request = codec.decode_request(api_key, version, frame, offset)
                else:
                    request = spec.decode(version, frame, offset)
            except CodecError as e:
                self.abort(f"malformed {spec.name} v{version} request: {e}")
                return
            ctx = RequestContext(self.broker.services, api_key, version, correlation_id, client_id, self.client_host,
                                 listener=self.listener, principal=self.principal, sasl=self.sasl)
            started = time.perf_counter()
            try:
                handling = spec.handler(ctx, request)
                if self.on_main or (spec.any_loop and not self._decides_acls()):
                    response = await handling
                else:
                    response = await self._on_main(cast(Coroutine, handling))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                response = self._unexpected_error(spec.name, api_key, version, request, e)
            if ctx.close_reason is not None:
                self.abort(ctx.close_reason)
            handler_seconds = time.perf_counter() - started
            close_after = ctx.close_after_response
        if self.closed:
            return
        pieces: Optional[list]
        if isinstance(response, EncodedResponse):  # the compiled Fetch path's frame (handlers/fetch.py)
            pieces, response = response.pieces, None
        else:
            pieces = None if response is None else codec.encode_response(api_key, version, correlation_id, response)
        throttle_ms = 0
        if spec is not None and api_key != API_VERSIONS_KEY:
            throttle_ms, response = await self._throttle(api_key, version, client_id, len(frame), handler_seconds,
                                                         response, pieces)
            if throttle_ms and response is not None:
                pieces = codec.encode_response(api_key, version, correlation_id, response)
        if pieces is not None:
            if len(pieces) == 1:
                self._transport.write(pieces[0])
            else:
                await self._write_pieces(pieces)
        if self.broker.trace is not None:  # FASTLOG_TRACE_FILE (server/trace.py)
            self.broker.trace.request(api_key, handler_seconds, time.perf_counter() - taken, len(frame),
                                      throttle_ms=throttle_ms)
        if close_after is not None:
            self._transport.close()  # after the buffered response is written
            self.abort(close_after, soft=True)
            return
        if throttle_ms:
            # KIP-219: the response goes out at once, saying how long the client should wait,
            # and the connection handles nothing more until then (a client that ignores it waits).
            await asyncio.sleep(throttle_ms / 1000)

    async def _try_produce_fast(self, frame, offset: int, version: int, correlation_id: int
                                ) -> Optional[_native.FastProduce]:
        """The fast path's answer to a Produce request, or None for the handler. It runs on the
        connection's own loop (the point of more loops: docs/scaling.md), unless the ACLs must
        decide which topics the principal may write: that is the main loop's state."""
        if self.on_main or not self._decides_acls():
            return await self.broker.services.logs.try_produce_fast(frame, offset, version, correlation_id,
                                                                    self._fast_produce_writable())
        return await self._on_main(self._try_produce_fast_on_main(frame, offset, version, correlation_id))

    async def _try_produce_fast_on_main(self, frame, offset: int, version: int, correlation_id: int
                                        ) -> Optional[_native.FastProduce]:
        return await self.broker.services.logs.try_produce_fast(frame, offset, version, correlation_id,
                                                                self._fast_produce_writable())

    def _decides_acls(self) -> bool:
        """Whether this connection's requests need the ACLs' say: then a fast Produce request
        passes _fast_produce_writable, and off the main loop every handler runs on the main loop."""
        authorizer = self.broker.services.authorizer
        return authorizer.enabled and self.principal not in authorizer.super_users

    def _on_main(self, work: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run `work` (a handler's coroutine) on the main loop, which owns the broker's Python
        state, and wait for it here."""
        return run_on(self.main_loop, work)

    def _fast_produce_writable(self) -> Optional[_native.TopicSet]:
        """The topics this connection's Produce requests may write through the compiled fast path
        (which makes no ACL decision of its own): None for every topic (no authorizer, or a super
        user), else the topics the principal may write as the ACLs say now (a request naming
        another topic takes the Python path). Neither a client quota nor a SASL session that
        expires keeps a request off it: _handle checks the session before (and re-authentication
        cannot change the principal), _answer_fast_produce counts the quotas."""
        services = self.broker.services
        authorizer = services.authorizer
        principal = self.principal
        if not self._decides_acls():
            return None
        host = self.client_host.lstrip("/")  # as RequestContext.host
        return services.logs.fast_produce.writable_topics(
            principal, host, authorizer.generation,
            lambda topic: authorizer.authorize(principal, Operation.WRITE, ResourceType.TOPIC, topic, host))

    async def _answer_fast_produce(self, fast: _native.FastProduce, version: int, client_id: Optional[str],
                                   handler_seconds: float, taken: float, size: int) -> None:
        """Send what the fast path answered as the Python path would: handlers/produce.py's rules
        (acks=0 gets no response, and a failed one closes the connection), then the client
        quotas as _handle applies them (counted, throttle_time_ms set in the answer, the
        connection muted for that long; with acks=0 only muted)."""
        if self.closed:
            return
        if fast.response is None and fast.failed:
            self.abort("acks=0 produce failed")
            return
        throttle_ms, _ = await self._throttle(PRODUCE_KEY, version, client_id, size, handler_seconds, None, None)
        if fast.response is not None:
            self._transport.write(with_throttle_time(fast, throttle_ms))
        if self.broker.trace is not None:
            self.broker.trace.request(PRODUCE_KEY, handler_seconds, time.perf_counter() - taken, size, fast=True,
                                      throttle_ms=throttle_ms)
        if throttle_ms:
            await asyncio.sleep(throttle_ms / 1000)  # muted, as _handle does (KIP-219)

    async def _throttle(self, *request: Any) -> tuple[int, Optional[Mapping[str, Any]]]:
        """_quota_throttle, on the main loop when there are quotas to count (they are its state)."""
        if self.on_main or not self.broker.services.quotas.quotas:
            return self._quota_throttle(*request)
        return await self._on_main(_call(self._quota_throttle, *request))

    def _quota_throttle(self, api_key: int, version: int, client_id: Optional[str], request_bytes: int,
                        handler_seconds: float, response: Optional[Mapping[str, Any]], pieces: Optional[list]
                        ) -> tuple[int, Optional[Mapping[str, Any]]]:
        """Count this request against the client's quotas (fastlog.quotas); the throttle time and
        the response to send: with throttle_time_ms set, and for a throttled Fetch an empty one
        (Kafka sends no records to a fetcher over its quota, and does not count them)."""
        quotas = self.broker.services.quotas
        if not quotas.quotas:
            return 0, response
        user = self.principal.partition(":")[2]  # Kafka's quota user is the principal's name
        client = client_id or ""
        throttle = quotas.record(REQUEST_PERCENTAGE, handler_seconds * 100, user, client)
        if api_key == PRODUCE_KEY:
            throttle = max(throttle, quotas.record(PRODUCER_BYTE_RATE, request_bytes, user, client))
        elif api_key == FETCH_KEY and pieces is not None:
            size = sum(p.length if isinstance(p, _native.FileSlice) else len(p) for p in pieces)
            fetch_throttle = quotas.record(CONSUMER_BYTE_RATE, size, user, client)
            if fetch_throttle or throttle:
                quotas.unrecord(CONSUMER_BYTE_RATE, size, user, client)
                throttle = max(throttle, fetch_throttle)
                # The fetch session (KIP-227) stays the client's: its id goes back, as in Kafka.
                session_id = response.get("session_id", 0) if response is not None else 0
                return throttle, {"throttle_time_ms": throttle, "error_code": 0, "session_id": session_id,
                                  "responses": []}
        if not throttle or response is None:
            return throttle, response
        if "throttle_time_ms" not in {f.name for f in plan("response", api_key, version).body.fields}:
            return throttle, response
        return throttle, {**response, "throttle_time_ms": max(throttle, response.get("throttle_time_ms") or 0)}

    def _raw_sasl_token(self, frame) -> None:
        """After SaslHandshake v0 the tokens come as bare size-prefixed frames, answered alike."""
        assert self.sasl is not None
        try:
            reply, finished = self.sasl.authenticate(bytes(frame))
        except AuthenticationFailed as e:
            self.abort(str(e))
            return
        if finished:
            self.sasl.raw_tokens = False
        self._transport.write(len(reply).to_bytes(4, "big") + reply)

    def _unexpected_error(self, api_name: str, api_key: int, version: int, request: Any,
                          exc: Exception) -> Optional[Mapping[str, Any]]:
        """A handler raised: log it (one traceback, rate-limited per API) and answer the request
        with UNKNOWN_SERVER_ERROR everywhere in its own response shape, as Kafka does."""
        self.broker.log_throttle.log(
            f"handler:{api_key}", "%s v%d from %s failed unexpectedly (%s); answered UNKNOWN_SERVER_ERROR",
            api_name, version, self.peer, type(exc).__name__, exc_info=True)
        if not isinstance(request, dict):  # an ApiSpec.decode's own request
            request = request.as_dict()
        if api_key == PRODUCE_KEY and request.get("acks") == 0:
            # no response is expected, so closing is the only way to tell the client (Kafka's rule)
            self.abort(f"{api_name} with acks=0 failed")
            return None
        return error_response(api_key, version, request, ErrorCode.UNKNOWN_SERVER_ERROR)

    async def _write_pieces(self, pieces: list) -> None:
        """Write a response of several pieces (bytes and FileSlices of segment files). Plain TCP:
        once the transport's buffer is empty, straight to the socket in one native call per
        socket-full (_native.send_pieces: send for bytes, sendfile for regions). TLS: bytes
        through the transport, regions read in chunks (sendfile cannot encrypt)."""
        if self.listener.uses_tls:
            for piece in pieces:
                if isinstance(piece, _native.FileSlice):
                    await self._send_region_through_tls(piece)
                elif len(piece):
                    self._transport.write(piece)
            return
        total = sum(p.length if isinstance(p, _native.FileSlice) else len(p) for p in pieces)
        await self._drained()
        sock_fd = self._transport.get_extra_info("socket").fileno()
        done = 0
        while True:
            try:
                done = _native.send_pieces(sock_fd, pieces, done)
            except EOFError:
                # The file is shorter than the size already promised in the frame: the
                # stream cannot be kept in sync, so the connection has to go.
                self.abort("segment file ended before the fetched region")
                raise ConnectionClosed() from None
            except OSError as e:
                self.abort(f"sending the response failed: {e}")
                raise ConnectionClosed() from None
            if done >= total:
                return
            await _writable(asyncio.get_running_loop(), sock_fd)
            if self.closed:
                raise ConnectionClosed()

    async def _send_region_through_tls(self, region) -> None:
        """TLS encrypts in user space, so sendfile cannot serve it: read the region in chunks
        and write them through the TLS transport, waiting for its buffer to drain in between."""
        position, remaining = region.position, region.length
        while remaining > 0:
            await self._drained()
            try:
                chunk = os.pread(region.fd, min(remaining, TLS_READ_CHUNK), position)
            except OSError as e:
                self.abort(f"reading the fetched region failed: {e}")
                raise ConnectionClosed() from None
            if not chunk:
                self.abort("segment file ended before the fetched region")
                raise ConnectionClosed()
            self._transport.write(chunk)
            position += len(chunk)
            remaining -= len(chunk)

    async def _drained(self) -> None:
        while self._writing_paused and not self.closed:
            if self._drain_waiter is None or self._drain_waiter.done():
                self._drain_waiter = asyncio.get_running_loop().create_future()
            await self._drain_waiter
        if self.closed:
            raise ConnectionClosed()

    def _wake_drain(self) -> None:
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_result(None)

    def abort_from_any_thread(self, reason: str) -> None:
        """abort(reason, quiet=True) on the loop that serves this connection (if that loop has
        closed, the broker is stopping and the connection closed with it)."""
        call_in_loop(self.loop, self.abort, reason, True)

    def abort(self, reason: str, quiet: bool = False, soft: bool = False) -> None:
        """Close this connection, with a log line saying why (unless the caller logs it: `quiet`);
        the broker goes on serving. `soft`: the transport was closed gracefully already (its
        buffered bytes still go out), so it is not aborted."""
        if not self.closed and not quiet:
            log.warning("closing connection from %s: %s", self.peer, reason)
        self.closed = True
        if self.transport is not None and not soft:
            self.transport.abort()


async def _call(function: Callable[..., T], *args: Any) -> T:
    return function(*args)


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    """Wait until the socket can take more bytes.

    The transport owns this fd, so the public add_writer refuses it; while its buffer is empty
    the transport has no writer registered and we may use the loop's private registration.
    """
    fut = loop.create_future()
    loop._add_writer(fd, _set_done, fut)  # type: ignore[attr-defined]
    try:
        await fut
    finally:
        loop._remove_writer(fd)  # type: ignore[attr-defined]


def _set_done(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)
