"""Fetch (1), v4-v18: records straight from segment files (sendfile), with long polling.

Fetch sessions (KIP-227) are declined the way Kafka declines them when its cache is full: every
response carries session_id 0, so clients keep sending full fetches. A request naming a session
we never created gets FETCH_SESSION_ID_NOT_FOUND.

Sizes: each partition returns at most partition_max_bytes and the response at most max_bytes
(capped by fetch.max.bytes), except that a partition always returns at least its first whole
batch so a batch larger than the limits can still be consumed (KIP-74).
Long poll: when less than min_bytes is ready, wait up to max_wait_ms for an append to one of
the requested partitions (a transaction marker is an append too, so a read_committed fetch wakes
when the last stable offset moves), then build the answer again.

Isolation (KIP-98): every answer carries the partition's last stable offset (LSO). With
isolation_level=1 (read_committed) a partition returns only whole batches below the LSO, and the
(producer id, first offset) of the aborted transactions overlapping them, from the segments'
`.txnindex` files (the engine's `read_committed`; no record payload is read); the consumer drops
those transactions' records itself. read_uncommitted (0) reads as before: sendfile of the
segment region, aborted_transactions null.
"""
import asyncio
import logging

from fastlog import _native
from fastlog.handlers.registry import RequestContext, api
from fastlog.log_throttle import LogThrottle
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import FetchPartitionData, FetchResponse
from fastlog.security.acl import Operation
from fastlog.services import BrokerServices

FINAL_EPOCH = -1
log = logging.getLogger("fastlog.fetch")
# A consumer stuck on damage retries in a loop: one line per partition per 10 s.
_damage_log = LogThrottle(log)


def _partition_error(index: int, code: int) -> FetchPartitionData:
    # As Kafka: high watermark -1 and empty (not null) records; the other defaults say "none".
    return FetchPartitionData(partition_index=index, error_code=code, high_watermark=-1, records=b"")


def _build(services: BrokerServices, wanted, max_bytes: int, committed: bool) -> tuple[list, int, list, bool]:
    """One pass over the requested partitions -> (responses, bytes of records, logs read,
    whether any partition has an error). `committed`: isolation_level read_committed."""
    remaining = max_bytes
    total = 0
    errors = False
    responses = []
    logs = []
    for key, topic, error, partitions in wanted:
        parts_out: list[FetchPartitionData] = []
        for part in partitions:
            index = part["partition"]
            if topic is None:
                parts_out.append(_partition_error(index, error))
                errors = True
                continue
            if not 0 <= index < len(topic.partitions):
                parts_out.append(_partition_error(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
                errors = True
                continue
            plog = topic.partitions[index]
            logs.append((topic, index))
            records = b""
            # read_committed answers a list (maybe empty), read_uncommitted null, as Kafka.
            aborted: list | None = [] if committed else None
            stable = -1
            if remaining > 0:
                limit = min(part["partition_max_bytes"], remaining)
                try:
                    if committed:
                        region, stable, found = plog.read_committed(part["fetch_offset"], limit)
                        aborted = [{"producer_id": p, "first_offset": f} for p, f in found]
                    else:
                        region = plog.read(part["fetch_offset"], limit)
                except _native.StorageError as e:
                    if e.code in (ErrorCode.CORRUPT_MESSAGE, ErrorCode.KAFKA_STORAGE_ERROR):
                        _damage_log.log(f"{topic.name}-{index}", "fetch of %s-%d at offset %d: %s",
                                        topic.name, index, part["fetch_offset"], e.message)
                    parts_out.append(_partition_error(index, e.code))
                    errors = True
                    continue
                if region.length:
                    records = region
                    remaining -= region.length
                    total += region.length
            end = plog.log_end_offset
            if stable < 0:
                stable = plog.last_stable_offset()
            # A literal, not a FetchPartitionData(...) call: half the cost on this hot path, same check.
            parts_out.append({
                "partition_index": index, "error_code": 0, "high_watermark": end,
                "last_stable_offset": stable, "log_start_offset": plog.log_start_offset, "records": records,
                "aborted_transactions": aborted})
        responses.append({key[0]: key[1], "partitions": parts_out})
    return responses, total, logs, errors


@api(key=1, name="Fetch", min_version=4, max_version=18)
async def handle(ctx: RequestContext, request: dict) -> FetchResponse:
    services = ctx.services
    if request["session_id"] != 0:
        return {"throttle_time_ms": 0, "error_code": ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
                "session_id": 0, "responses": []}
    if request["session_epoch"] not in (FINAL_EPOCH, 0):
        return {"throttle_time_ms": 0, "error_code": ErrorCode.INVALID_FETCH_SESSION_EPOCH,
                "session_id": 0, "responses": []}
    by_id = ctx.api_version >= 13
    wanted = []
    for t in request["topics"]:
        if by_id:
            topic = services.logs.get_by_id(t["topic_id"])
            error = ErrorCode.UNKNOWN_TOPIC_ID
            if topic is not None and not ctx.may_topic(Operation.READ, topic.name):
                topic, error = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
            wanted.append((("topic_id", t["topic_id"]), topic, error, t["partitions"]))
        else:
            topic, error = services.logs.get(t["topic"]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            if not ctx.may_topic(Operation.READ, t["topic"]):
                topic, error = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
            wanted.append((("topic", t["topic"]), topic, error, t["partitions"]))
    max_bytes = min(request["max_bytes"], services.config.get_int("fetch.max.bytes"))
    min_bytes = request["min_bytes"]
    committed = request["isolation_level"] == 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(request["max_wait_ms"], 0) / 1000
    while True:
        responses, total, logs, errors = _build(services, wanted, max_bytes, committed)
        timeout = deadline - loop.time()
        # An error is an answer worth sending at once, as in Kafka.
        if errors or total >= min_bytes or timeout <= 0 or not logs:
            break
        fut = loop.create_future()
        for topic, index in logs:
            services.logs.wait_for_data(topic, index, fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            for topic, index in logs:
                services.logs.stop_waiting(topic, index, fut)
    return {"throttle_time_ms": 0, "error_code": 0, "session_id": 0, "responses": responses}
