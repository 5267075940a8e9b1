"""ShareFetch (78, KIP-932): acquire records of share-partitions for a member, with piggybacked
acknowledgements, in the member's share session.

The session (coordinator/share_groups.py) holds the partitions: epoch 0 opens it with the
request's partitions, later epochs add the request's partitions and drop the forgotten ones, and
-1 only acknowledges and closes it (what the member still holds is released). Each fetch reads
every partition of the session from its next available offset, acquires up to max_records
(whole batches) and answers the batches read with the acquired offset ranges and delivery counts;
the client hands out only acquired records. The first answer of a session lists every partition;
later ones (incremental, as in Kafka's ShareSessionContext) only those with records, an error or
an acknowledgement result, and those just added to the session. Long poll: with nothing acquired, wait up to
max_wait_ms for an append to one of the partitions or for a lock to expire.

Membership is not checked, as in Kafka 4.4: any member id may open a session and fetch in a share
group (the session, not the group, is what each request must match); a group id that is not a
share group gets no records.
"""
from __future__ import annotations

import asyncio
import time

from fastlog.coordinator.share_groups import FINAL_SESSION_EPOCH, INITIAL_SESSION_EPOCH, PartitionFetch
from fastlog.handlers._share import apply_acknowledgements, partition_error
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ShareFetchResponse
from fastlog.security.acl import REFUSED_MESSAGES, Operation


def _error(code: int, message: str) -> ShareFetchResponse:
    return {"error_code": code, "error_message": message, "acquisition_lock_timeout_ms": 0, "responses": [],
            "node_endpoints": []}


@api(key=78, name="ShareFetch", min_version=1, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> ShareFetchResponse:
    services = ctx.services
    shares = services.shares
    group_id, member_id, epoch = request.get("group_id"), request.get("member_id"), request["share_session_epoch"]
    if not group_id or not member_id:
        return _error(ErrorCode.INVALID_REQUEST, "GroupId and MemberId must be set.")
    if not ctx.may_group(Operation.READ, group_id):
        return _error(ErrorCode.GROUP_AUTHORIZATION_FAILED, REFUSED_MESSAGES[ErrorCode.GROUP_AUTHORIZATION_FAILED])
    topics = request["topics"]
    acking = any(p.get("acknowledgement_batches") for t in topics for p in t["partitions"])
    if epoch == INITIAL_SESSION_EPOCH and acking:
        return _error(ErrorCode.INVALID_REQUEST, "Acknowledge data present on initial epoch.")
    error, session = shares.open_or_advance_session(group_id, member_id, epoch, acknowledging_only=False)
    if session is None:
        return _error(error, "")
    requested = [(bytes(t["topic_id"]), p["partition_index"]) for t in topics for p in t["partitions"]]
    acks = apply_acknowledgements(ctx, shares, group_id, member_id, topics)
    results: dict[tuple[bytes, int], PartitionFetch] = {}
    if epoch == FINAL_SESSION_EPOCH:
        shares.close_session(group_id, member_id)
    else:
        session.must_answer.update(key for key in requested if key not in session.partitions)
        session.partitions.update(requested)
        for t in request.get("forgotten_topics_data") or []:
            forgotten = {(bytes(t["topic_id"]), i) for i in t["partitions"]}
            session.partitions.difference_update(forgotten)
            session.must_answer.difference_update(forgotten)
        results = await _fetch(ctx, group_id, member_id, sorted(session.partitions), request)
        if epoch == INITIAL_SESSION_EPOCH:
            session.must_answer.clear()   # the first answer lists every partition (below)
        else:
            # An incremental answer lists only the partitions with records or an error, those
            # new to the session, and (once more) those that were in error, as Kafka does.
            for key in session.must_answer & session.partitions:
                results.setdefault(key, PartitionFetch())
            session.must_answer = {key for key, got in results.items() if got.error}
    if epoch in (INITIAL_SESSION_EPOCH, FINAL_SESSION_EPOCH):
        for key in requested:
            results.setdefault(key, PartitionFetch())
    for key in acks:
        results.setdefault(key, PartitionFetch())
    by_topic: dict[bytes, list] = {}
    for (topic_id, index), got in sorted(results.items()):
        by_topic.setdefault(topic_id, []).append({
            "partition_index": index, "error_code": got.error, "error_message": None,
            "acknowledge_error_code": acks.get((topic_id, index), ErrorCode.NONE), "acknowledge_error_message": None,
            "current_leader": {"leader_id": services.node_id, "leader_epoch": 0},
            "records": got.records,
            "acquired_records": [{"first_offset": a.first_offset, "last_offset": a.last_offset,
                                  "delivery_count": a.delivery_count} for a in got.acquired]})
    return {"error_code": ErrorCode.NONE, "error_message": None,
            "acquisition_lock_timeout_ms": shares.lock_duration_ms(group_id),
            "responses": [{"topic_id": t, "partitions": parts} for t, parts in by_topic.items()],
            "node_endpoints": []}


async def _fetch(ctx: RequestContext, group_id: str, member_id: str, partitions: list[tuple[bytes, int]],
                 request: dict) -> dict[tuple[bytes, int], PartitionFetch]:
    services = ctx.services
    shares = services.shares
    if group_id not in shares.groups:
        # Kafka 4.4 initializes share-partitions only for a share group (the coordinator does it
        # for the topics its members subscribe to): a fetch in any other group id acquires nothing
        # and each partition fails its initialization (UNKNOWN_SERVER_ERROR); no state is made.
        return {key: PartitionFetch(error=ErrorCode.UNKNOWN_SERVER_ERROR) for key in partitions}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(request["max_wait_ms"], 0) / 1000
    max_bytes = min(request["max_bytes"], services.config.get_int("fetch.max.bytes"))
    max_records = request.get("max_records") or 500
    while True:
        results: dict[tuple[bytes, int], PartitionFetch] = {}
        records_left, bytes_left = max_records, max_bytes
        usable = []
        for topic_id, index in partitions:
            error = partition_error(ctx, topic_id, index)
            if error:
                results[(topic_id, index)] = PartitionFetch(error=error)
                continue
            usable.append((topic_id, index))
            if records_left <= 0 or bytes_left <= 0:
                continue
            got = shares.acquire((group_id, topic_id, index), member_id, records_left, bytes_left, time.monotonic())
            if got.acquired:
                results[(topic_id, index)] = got
                records_left -= sum(a.last_offset - a.first_offset + 1 for a in got.acquired)
                bytes_left -= len(got.records)
        timeout = deadline - loop.time()
        if any(r.acquired or r.error for r in results.values()) or timeout <= 0 or not usable:
            return results
        lock_deadline = shares.next_lock_deadline((group_id, t, i) for t, i in usable)
        if lock_deadline is not None:
            timeout = min(timeout, max(lock_deadline - time.monotonic(), 0) + 0.01)
        waits = []
        for topic_id, index in usable:
            topic = services.logs.get_by_id(topic_id)
            if topic is not None:
                waits.append((topic, [index]))
        await services.logs.wait_for_appends(waits, timeout)
