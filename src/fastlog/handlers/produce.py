"""Produce (0): append each partition's record batches to its log.

Advertised v0-v13 like Kafka 4 (librdkafka before 2.11.1 needs v0 listed; README, APIs), but
v0-v2 carry old message formats and are answered UNSUPPORTED_VERSION per partition.
acks 0, 1 and -1 are the same on one node (the append is done when it returns); acks=0 gets no
response, and when it failed the connection is closed, as Kafka does.

A transactional batch needs the request's transactional id (else the whole request is answered
TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka does) and is checked with the transaction
coordinator first, as Kafka 4 does: the producer must hold the transactional id's current id and
epoch (INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH). From v12 (transaction.version 2,
KIP-890) the partition then joins the producer's transaction, starting one if none is ongoing;
before, it must already be in the ongoing transaction (transaction.partition.verification.enable),
else TRANSACTION_ABORTABLE (v11) or INVALID_TXN_STATE (v3-v10, with Kafka's message from v8).
"""
import logging
import struct
import time
from typing import Optional

from fastlog import _native
from fastlog.config import Config
from fastlog.handlers._topics import find_or_create
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import (
    BatchIndexAndErrorMessage,
    PartitionProduceResponse,
    ProduceResponse,
    TopicProduceResponse,
)
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import Topic

log = logging.getLogger("fastlog.produce")
MIN_REAL_VERSION = 3
# Record batch v2 header: attributes int16 at byte 21 (bit 4 transactional), producer id int64
# at 43, producer epoch int16 at 51.
TRANSACTIONAL_BIT = 0x10
# Versions that change what a transactional batch's check does (see the module docstring).
ABORTABLE_VERSION = 11
TV2_VERSION = 12
NOT_ADDED_MESSAGE = "Partition was not added to the transaction"
# What the coordinator's answer becomes in a Produce response (Kafka's mapping for produce).
VERIFY_ERRORS: dict[int, int] = {ErrorCode.PRODUCER_FENCED: ErrorCode.INVALID_PRODUCER_EPOCH,
                 ErrorCode.CONCURRENT_TRANSACTIONS: ErrorCode.NOT_ENOUGH_REPLICAS,
                 ErrorCode.COORDINATOR_NOT_AVAILABLE: ErrorCode.NOT_ENOUGH_REPLICAS}


def _is_transactional(records: Optional[bytes]) -> bool:
    # A malformed batch is the engine's to refuse.
    return records is not None and len(records) >= 61 and bool(struct.unpack_from(">h", records, 21)[0]
                                                                & TRANSACTIONAL_BIT)


def _check_transactional(ctx: RequestContext, transactional_id: str, topic: str, index: int,
                         records: bytes) -> Optional[PartitionProduceResponse]:
    """None, or the answer to a transactional batch that may not be appended to this partition."""
    if not _is_transactional(records):
        return None
    producer_id, epoch = struct.unpack_from(">qh", records, 43)
    txns = ctx.services.transactions
    tp = (topic, index)
    if ctx.api_version >= TV2_VERSION:
        error = txns.add_partitions(transactional_id, producer_id, epoch, [tp], client_tv=2)[tp]
    elif ctx.services.config.get_bool("transaction.partition.verification.enable"):
        error = txns.verify_partitions(transactional_id, producer_id, epoch, [tp])[tp]
    else:
        return None
    if error == ErrorCode.NONE:
        return None
    if error == ErrorCode.INVALID_TXN_STATE and ctx.api_version < TV2_VERSION:
        if ctx.api_version >= ABORTABLE_VERSION:
            return _error(index, ErrorCode.TRANSACTION_ABORTABLE)
        return _error(index, ErrorCode.INVALID_TXN_STATE, NOT_ADDED_MESSAGE)
    return _error(index, VERIFY_ERRORS.get(error, error))


def _error(index: int, code: int, message: Optional[str] = None) -> PartitionProduceResponse:
    # Kafka answers a failed partition with base offset -1; the other fields' defaults say "none".
    return PartitionProduceResponse(index=index, error_code=code, base_offset=-1, error_message=message)


def _refused(topic: str, index: int, e: _native.StorageError) -> PartitionProduceResponse:
    """The answer to a record set the engine refused, as Kafka gives it: the code alone, except
    for the errors Kafka reports record by record (INVALID_TIMESTAMP), which carry its message and
    one record error each. The engine's own words go to the debug log."""
    if not e.record_errors:
        log.debug("produce to %s-%d refused: %s", topic, index, e)
        return _error(index, e.code)
    out = _error(index, e.code, e.message)
    out["record_errors"] = [{"batch_index": i, "batch_index_error_message": why} for i, why in e.record_errors]
    return out


def _keyless_refused(topic: Topic, index: int, records, config: Config) -> Optional[PartitionProduceResponse]:
    """A compacted topic takes only records with a key: Kafka's LogValidator answers
    INVALID_RECORD with one record error per keyless record (its index in the batch)."""
    if not records or "compact" not in topic.config("cleanup.policy", config):
        return None
    keyless = _native.keyless_records(records)
    if not keyless:
        return None
    why = f"Compacted topic cannot accept message without key in topic partition {topic.name}-{index}"
    errors: list[BatchIndexAndErrorMessage] = [{"batch_index": i, "batch_index_error_message": why} for i in keyless]
    shown = ", ".join(f"RecordError(batchIndex={i}, message='{why}')" for i in keyless[:3])
    message = (f"One or more records have been rejected due to {len(keyless)} record errors in total, "
               f"and only showing the first three errors at most: [{shown}]")
    out = _error(index, ErrorCode.INVALID_RECORD, message)
    out["record_errors"] = errors
    return out


@api(key=0, name="Produce", min_version=0, max_version=13)
async def handle(ctx: RequestContext, request: dict) -> Optional[ProduceResponse]:
    services = ctx.services
    acks = request["acks"]
    refuse = ErrorCode.NONE
    if ctx.api_version < MIN_REAL_VERSION:
        refuse = ErrorCode.UNSUPPORTED_VERSION
    elif acks not in (0, 1, -1):
        refuse = ErrorCode.INVALID_REQUIRED_ACKS
    elif request.get("transactional_id") is None and any(
            _is_transactional(p["records"]) for t in request["topic_data"] for p in t["partition_data"]):
        refuse = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    elif request.get("transactional_id") is not None and not ctx.may_transactional_id(
            Operation.WRITE, request["transactional_id"]):
        refuse = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    now_ms = int(time.time() * 1000)
    by_id = ctx.api_version >= 13
    responses: list[TopicProduceResponse] = []
    for topic_data in request["topic_data"]:
        partitions_out: list[PartitionProduceResponse] = []
        if refuse:
            # A refused request must not auto-create the topics it names.
            topic, topic_error = None, refuse
        elif by_id:
            topic = services.logs.get_by_id(topic_data["topic_id"])
            topic_error = ErrorCode.UNKNOWN_TOPIC_ID if topic is None else ErrorCode.NONE
            if topic is not None and not ctx.may_topic(Operation.WRITE, topic.name):
                topic, topic_error = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
        elif not ctx.may_topic(Operation.WRITE, topic_data["name"]):
            topic, topic_error = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
        else:
            topic, topic_error = find_or_create(services, topic_data["name"])
        if topic is not None and topic.internal:
            topic, topic_error = None, ErrorCode.INVALID_TOPIC_EXCEPTION
        for part in topic_data["partition_data"]:
            index = part["index"]
            if topic is None:
                partitions_out.append(_error(index, topic_error))
            elif not 0 <= index < len(topic.partitions):
                partitions_out.append(_error(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
            elif (unchecked := _check_transactional(ctx, request.get("transactional_id") or "", topic.name,
                                                    index, part["records"] or b"")) is not None:
                partitions_out.append(unchecked)
            elif (refused := _keyless_refused(topic, index, part["records"], services.config)) is not None:
                partitions_out.append(refused)
            else:
                try:
                    # The engine checks Kafka's rule for v3+ too: exactly one whole batch of magic 2.
                    result = await services.logs.append_async(topic, index, part["records"] or b"", now_ms,
                                                            ctx.api_version)
                except _native.StorageError as e:
                    partitions_out.append(_refused(topic.name, index, e))
                else:
                    partitions_out.append({
                        "index": index, "error_code": 0, "base_offset": result.base_offset,
                        "log_append_time_ms": result.log_append_time,
                        "log_start_offset": result.log_start_offset})
        out: TopicProduceResponse = {"partition_responses": partitions_out}
        if by_id:
            out["topic_id"] = topic_data["topic_id"]
        else:
            out["name"] = topic_data["name"]
        responses.append(out)
    if acks == 0:
        # No response will tell the client; Kafka closes the connection instead, so the client
        # reconnects and refreshes its metadata.
        if any(p["error_code"] for t in responses for p in t["partition_responses"]):
            ctx.close_reason = "acks=0 produce failed"
        return None
    return {"responses": responses, "throttle_time_ms": 0}
