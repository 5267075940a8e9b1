"""Fetch (1), v4-v18: records straight from segment files (sendfile), with long polling.

Fetch sessions (KIP-227, fastlog/fetch_sessions.py has the rules and the cache): a full fetch
with session_epoch 0 opens a session when the cache has room (its id in the answer, else 0); an
incremental fetch (epoch > 0) answers, in the session's order, only the partitions with records,
a moved high watermark / log start offset / last stable offset, or an error. It reads only those
that may have one of these to tell: `_native.session_changes` leaves out, in one compiled pass,
each partition asked from its log end whose offsets are those its last answer told (reading it
would send and change nothing; over a thousand idle partitions the walk in Python was most of
the fetch: docs/scaling.md). An incremental fetch with nothing new long-polls like a full one:
the wait is over all of the session's partitions. The partitions sent keep the zero-copy path.

Sizes: each partition returns at most partition_max_bytes and the response at most max_bytes
(capped by fetch.max.bytes), except that a partition always returns at least its first whole
batch so a batch larger than the limits can still be consumed (KIP-74).
Long poll: when less than min_bytes is ready, wait up to max_wait_ms for an append to one of
the requested partitions (a transaction marker is an append too, so a read_committed fetch wakes
when the last stable offset moves), then build the answer again. An append between the read and
the wait's registration ends the wait at once (LogManager.wait_for_appends, `since`).

Isolation (KIP-98): every answer carries the partition's last stable offset (LSO). With
isolation_level=1 (read_committed) a partition returns only whole batches below the LSO, and the
(producer id, first offset) of the aborted transactions overlapping them, from the segments'
`.txnindex` files (the engine's `read_committed`; no record payload is read); the consumer drops
those transactions' records itself. read_uncommitted (0) reads as before: sendfile of the
segment region, aborted_transactions null.

The compiled path (`_compiled`, rust/fastlog-py/src/fetch_fast.rs): a full fetch that opens no
session (epoch -1, or before v7: librdkafka's and aiokafka's every Fetch) is decoded by the engine
(`decode`, this API's ApiSpec.decode: no dict per partition) and read and encoded by one
`_native.fetch_decoded` call over all its partitions, after Python resolved and authorized each
topic once; it long-polls the same way. Anything needing a decision here (an unknown or refused
topic, a missing partition, a storage error) returns None before anything is sent, and `_answer`,
the Python path, answers the request: it stays the reference (tests/unit/test_fetch_native_answer.py).
"""
import asyncio
import logging

from fastlog import _native
from fastlog.fetch_sessions import (
    FINAL_EPOCH,
    INITIAL_EPOCH,
    INVALID_SESSION_ID,
    CachedPartition,
    FetchSession,
    next_epoch,
)
from fastlog.handlers.registry import EncodedResponse, RequestContext, api
from fastlog.log_throttle import LogThrottle
from fastlog.protocol import codec
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import FetchPartitionData, FetchResponse
from fastlog.security.acl import Operation
from fastlog.services import BrokerServices

log = logging.getLogger("fastlog.fetch")
# A consumer stuck on damage retries in a loop: one line per partition per 10 s.
_damage_log = LogThrottle(log)


def _partition_error(index: int, code: int) -> FetchPartitionData:
    # As Kafka: high watermark -1 and empty (not null) records; the other defaults say "none".
    return FetchPartitionData(partition_index=index, error_code=code, high_watermark=-1, records=b"")


def _build(services: BrokerServices, wanted, max_bytes: int, committed: bool) -> tuple[list, int, list, bool]:
    """One pass over the partitions to read -> (responses, bytes of records, the partitions read
    as wait_for_appends takes them, whether any partition has an error). `wanted`: (topic key,
    Topic or None, error if None, [(partition, fetch_offset, partition_max_bytes)]) per run of one
    topic's partitions; the answer has one partition per one asked, in order. `committed`:
    isolation_level read_committed."""
    remaining = max_bytes
    total = 0
    errors = False
    responses = []
    logs: list[tuple] = []  # (Topic, [index read])
    for key, topic, error, partitions in wanted:
        parts_out: list[FetchPartitionData] = []
        read: list[int] = []
        for index, fetch_offset, partition_max_bytes in partitions:
            if topic is None:
                parts_out.append(_partition_error(index, error))
                errors = True
                continue
            if not 0 <= index < len(topic.partitions):
                parts_out.append(_partition_error(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
                errors = True
                continue
            plog = topic.partitions[index]
            read.append(index)
            records: bytes | _native.FileSlice = b""
            # read_committed answers a list (maybe empty), read_uncommitted null, as Kafka.
            aborted: list | None = None
            region: _native.FileSlice | None = None
            try:
                if committed:
                    aborted = []
                    stable = -1
                    # A consumer caught up with a partition asks from its end: nothing to read (the
                    # common case of a session's many idle partitions), so the read is skipped.
                    if remaining > 0 and fetch_offset != plog.log_end_offset:
                        region, stable, found = plog.read_committed(fetch_offset, min(partition_max_bytes, remaining))
                        aborted = [{"producer_id": p, "first_offset": f} for p, f in found]
                    end = plog.log_end_offset
                    if stable < 0:
                        stable = plog.last_stable_offset()
                    start = plog.log_start_offset
                else:
                    # One call: the read (skipped likewise at the log end) and the three offsets.
                    region, end, stable, start = plog.fetch_uncommitted(
                        fetch_offset, min(partition_max_bytes, remaining) if remaining > 0 else None)
            except _native.StorageError as e:
                if e.code in (ErrorCode.CORRUPT_MESSAGE, ErrorCode.KAFKA_STORAGE_ERROR):
                    _damage_log.log(f"{topic.name}-{index}", "fetch of %s-%d at offset %d: %s",
                                    topic.name, index, fetch_offset, e.message)
                parts_out.append(_partition_error(index, e.code))
                errors = True
                continue
            if region is not None and region.length:
                records = region
                remaining -= region.length
                total += region.length
            # A literal, not a FetchPartitionData(...) call: half the cost on this hot path, same check.
            parts_out.append({
                "partition_index": index, "error_code": 0, "high_watermark": end,
                "last_stable_offset": stable, "log_start_offset": start, "records": records,
                "aborted_transactions": aborted})
        responses.append({key[0]: key[1], "partitions": parts_out})
        if read:
            logs.append((topic, read))
    return responses, total, logs, errors




def _resolve(ctx: RequestContext, by_id: bool, fetch: list[tuple], topics: dict | None = None) -> list:
    """The `wanted` list of _build for (topic key, partition, fetch_offset, partition_max_bytes)
    in order: consecutive partitions of one topic make one topic entry of the answer (a session's
    order may split a topic in several, as in Kafka's answers). `topics`: topic key -> what
    `_topic` gave, for the topics already resolved (a session's, once per fetch)."""
    topics = {} if topics is None else topics
    wanted: list = []
    last_key = None
    for key, index, fetch_offset, max_bytes in fetch:
        if key != last_key or not wanted:
            if key not in topics:
                topics[key] = _topic(ctx, by_id, key)
            topic, error = topics[key]
            wanted.append((("topic_id" if by_id else "topic", key), topic, error, []))
            last_key = key
        wanted[-1][3].append((index, fetch_offset, max_bytes))
    return wanted


def _topic(ctx: RequestContext, by_id: bool, key):
    """(Topic or None, the partitions' error when None) for a topic id (v13+) or name."""
    if by_id:
        topic = ctx.services.logs.get_by_id(key)
        if topic is None:
            return None, ErrorCode.UNKNOWN_TOPIC_ID
        if not ctx.may_topic(Operation.READ, topic.name):
            return None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
        return topic, 0
    if not ctx.may_topic(Operation.READ, key):
        return None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
    topic = ctx.services.logs.get(key)
    return topic, (0 if topic is not None else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)


def _has_records(part: dict) -> bool:
    records = part["records"]
    return records.length > 0 if isinstance(records, _native.FileSlice) else bool(records)


def _changes_only(session: FetchSession, cached: list[CachedPartition], responses: list) -> list:
    """An incremental answer: of the partitions read (`cached`, in the order of `responses`),
    those the client must hear about; those sent with records move to the end of the session."""
    out = []
    i = 0
    for topic_response in responses:
        kept = []
        for part in topic_response["partitions"]:
            entry = cached[i]
            i += 1
            has_records = _has_records(part)
            if entry.must_respond(part["error_code"], part["high_watermark"], part.get("log_start_offset", -1),
                                  part.get("last_stable_offset", -1), has_records):
                kept.append(part)
                if has_records:
                    session.move_to_end(entry)
        if kept:
            topic_response["partitions"] = kept
            out.append(topic_response)
    return out


def _new_session_partitions(fetch: list[tuple], responses: list) -> dict:
    """The partitions of a session opened by a full fetch, with what its answer told the client."""
    parts: dict = {}
    i = 0
    for topic_response in responses:
        for part in topic_response["partitions"]:
            key, index, fetch_offset, max_bytes = fetch[i]
            i += 1
            parts[(key, index)] = CachedPartition(
                key, index, fetch_offset, max_bytes, part["high_watermark"], part.get("log_start_offset", -1),
                part.get("last_stable_offset", -1))
    return parts


def _session_error(code: int, session_id: int = INVALID_SESSION_ID) -> FetchResponse:
    return {"throttle_time_ms": 0, "error_code": code, "session_id": session_id, "responses": []}


def _limits(services: BrokerServices, max_bytes: int, min_bytes: int, isolation_level: int) -> tuple[int, int, bool]:
    """(max_bytes capped by fetch.max.bytes, min_bytes, read_committed) of a Fetch, for either path."""
    return min(max_bytes, services.config.get_int("fetch.max.bytes")), min_bytes, isolation_level == 1


class FetchFrame:
    """A full, sessionless Fetch as `decode` hands it to `handle`: decoded by the engine
    (`_native.decode_fetch`, no dict per partition), with the frame, for the codec to decode
    again when the Python path must answer it."""

    __slots__ = ("full", "frame", "offset", "version")

    def __init__(self, full: _native.FullFetch, frame, offset: int, version: int) -> None:
        self.full = full
        self.frame = frame      # valid until the request has been handled (connection.py)
        self.offset = offset
        self.version = version

    def as_dict(self) -> dict:
        return codec.decode_request(1, self.version, self.frame, self.offset)


def decode(version: int, frame, offset: int) -> dict | FetchFrame:
    """ApiSpec.decode: a FetchFrame for the compiled path when the engine decodes the request,
    else the codec's dict (incremental fetches and the rest: `_native.decode_fetch`)."""
    full = _native.decode_fetch(frame, offset, version)
    if full is None:
        return codec.decode_request(1, version, frame, offset)
    return FetchFrame(full, frame, offset, version)


def _compiled_topics(ctx: RequestContext, full: _native.FullFetch) -> list | None:
    """The Topic of each topic asked (by name, or id from v13), resolved and authorized once per
    topic, in order; None when the answer needs Python: a topic unknown or refused."""
    by_id = ctx.api_version >= 13
    topics = []
    for key in full.topic_keys():
        topic, _ = _topic(ctx, by_id, key)
        if topic is None:
            return None
        topics.append(topic)
    return topics


async def _compiled(ctx: RequestContext, full: _native.FullFetch) -> EncodedResponse | None:
    """A full, sessionless fetch (either isolation level) read and encoded by
    _native.fetch_decoded (one call for all partitions; docs/scaling.md "The Fetch path"),
    long-polling as the Python path does; None to leave it to the Python path (which stays the
    reference) before anything is sent."""
    topics = _compiled_topics(ctx, full)
    if topics is None:
        return None
    logs = [topic.partitions for topic in topics]
    services = ctx.services
    max_bytes, min_bytes, committed = _limits(services, full.max_bytes, full.min_bytes, full.isolation_level)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(full.max_wait_ms, 0) / 1000
    while True:
        since = services.logs.append_mark()  # before reading: an append after it ends the wait at once
        answer = _native.fetch_decoded(ctx.correlation_id, ctx.api_version, max_bytes, committed, full, logs)
        if answer is None:
            return None
        pieces, total = answer
        timeout = deadline - loop.time()
        if total >= min_bytes or timeout <= 0 or not topics:
            return EncodedResponse(pieces)
        await services.logs.wait_for_appends([(topic, full.partitions(i)) for i, topic in enumerate(topics)], timeout,
                                             since)


# any_loop: sessions are used under FetchSessionCache.lock, the topics are only read, and the
# engine's reads and LogManager.wait_for_appends are thread-safe.
@api(key=1, name="Fetch", min_version=4, max_version=18, any_loop=True, decode=decode)
async def handle(ctx: RequestContext, request: dict | FetchFrame) -> FetchResponse | EncodedResponse:
    if isinstance(request, FetchFrame):  # sessionless: epoch -1, or before v7
        session_id, epoch = request.full.session_id, FINAL_EPOCH
    else:
        session_id, epoch = request["session_id"], request["session_epoch"]
    if epoch in (INITIAL_EPOCH, FINAL_EPOCH) and session_id != INVALID_SESSION_ID:
        # A full fetch closes the session it names.
        with ctx.services.fetch_sessions.lock:
            ctx.services.fetch_sessions.remove(session_id)
    if isinstance(request, FetchFrame):
        compiled = await _compiled(ctx, request.full)
        if compiled is not None:
            return compiled
        request = request.as_dict()
    return await _answer(ctx, request)


async def _answer(ctx: RequestContext, request: dict) -> FetchResponse:
    """The Python path: sessions and errors, and the reference for _compiled."""
    services = ctx.services
    sessions = services.fetch_sessions
    by_id = ctx.api_version >= 13
    topic_field = "topic_id" if by_id else "topic"
    asked = [(t[topic_field], p["partition"], p["fetch_offset"], p["partition_max_bytes"])
             for t in request["topics"] for p in t["partitions"]]
    session_id, epoch = request["session_id"], request["session_epoch"]
    session: FetchSession | None = None
    cached: list[CachedPartition] = []
    if epoch in (INITIAL_EPOCH, FINAL_EPOCH):  # a full fetch; handle() closed the session it names
        fetch = asked
    else:
        forgotten = [(t[topic_field], index) for t in request["forgotten_topics_data"] for index in t["partitions"]]
        with sessions.lock:
            session, error = sessions.open_incremental(session_id, epoch, by_id, asked, forgotten)
            if session is not None:
                cached = list(session.partitions.values())
                session_indexes = session.indexes_by_topic()
        if error:
            log.debug("fetch session %d epoch %d: %s", session_id, epoch, ErrorCode(error).name)
            return _session_error(error)
        if session is None:  # it forgot the session's last partition: closed, answered sessionless
            fetch = asked
    max_bytes, min_bytes, committed = _limits(services, request["max_bytes"], request["min_bytes"],
                                              request["isolation_level"])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(request["max_wait_ms"], 0) / 1000
    if session is None:
        wanted = _resolve(ctx, by_id, fetch)
    else:
        session_topics = {key: _topic(ctx, by_id, key) for key in session_indexes}  # (Topic or None, error)
        session_logs = {key: None if topic is None else topic.partitions for key, (topic, _) in session_topics.items()}
        waitable: list | None = None
    while True:
        since = services.logs.append_mark()  # before reading, as in _compiled
        if session is not None:
            # Only the partitions whose answer may differ from an idle one's: reading the others
            # would send nothing and change nothing (_native.session_changes).
            read = [cached[i] for i in _native.session_changes(cached, session_logs)]
            wanted = _resolve(ctx, by_id, [(c.topic, c.index, c.fetch_offset, c.max_bytes) for c in read],
                              session_topics)
        responses, total, logs, errors = _build(services, wanted, max_bytes, committed)
        timeout = deadline - loop.time()
        # An error is an answer worth sending at once, as in Kafka.
        if errors or total >= min_bytes or timeout <= 0:
            break
        if session is not None:
            # The wait is on every partition of the session, not only those read.
            if waitable is None:
                waitable = [(topic, indexes) for key, indexes in session_indexes.items()
                            if (topic := session_topics[key][0]) is not None]
            logs = waitable
        if not logs:
            break
        await services.logs.wait_for_appends(logs, timeout, since)
    if session is not None:
        with sessions.lock:
            if session.epoch != next_epoch(epoch):
                # Another fetch used the session while this one waited (a duplicate request): as Kafka.
                return _session_error(ErrorCode.INVALID_FETCH_SESSION_EPOCH, session.id)
            sent = _changes_only(session, read, responses)
        # tests/integration/test_fetch_sessions.py reads this line to see clients fetch incrementally
        log.debug("fetch session %d epoch %d: incremental, %d partitions, %d sent",
                  session.id, epoch, len(cached), sum(len(t["partitions"]) for t in sent))
        return {"throttle_time_ms": 0, "error_code": 0, "session_id": session.id, "responses": sent}
    new_id = INVALID_SESSION_ID
    if epoch == INITIAL_EPOCH and ctx.api_version >= 7:
        replica_id = (request.get("replica_state") or {}).get("replica_id", -1) if ctx.api_version >= 15 \
            else request["replica_id"]
        with sessions.lock:
            new_id = sessions.maybe_create(replica_id >= 0, by_id, len(fetch),
                                           lambda: _new_session_partitions(fetch, responses))
        log.debug("fetch session %d opened with %d partitions", new_id, len(fetch))
    return {"throttle_time_ms": 0, "error_code": 0, "session_id": new_id, "responses": responses}
