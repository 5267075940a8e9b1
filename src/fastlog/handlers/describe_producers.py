"""DescribeProducers (61): the producer state the log of each partition keeps (kafka-transactions
describe-producers and find-hanging). Needs READ on the topic, else TOPIC_AUTHORIZATION_FAILED
for each of its partitions (before the topic is looked up, as Kafka)."""
from __future__ import annotations

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeProducersResponse, PartitionResponse, ProducerState
from fastlog.security.acl import REFUSED_MESSAGES, Operation


def _partition(ctx: RequestContext, name: str, index: int) -> PartitionResponse:
    if not ctx.may_topic(Operation.READ, name):
        return {"partition_index": index, "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                "error_message": REFUSED_MESSAGES[ErrorCode.TOPIC_AUTHORIZATION_FAILED], "active_producers": []}
    topic = ctx.services.logs.get(name)
    if topic is None or not 0 <= index < len(topic.partitions):
        return {"partition_index": index, "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                "error_message": None, "active_producers": []}
    producers: list[ProducerState] = [
        {"producer_id": s.producer_id, "producer_epoch": s.producer_epoch, "last_sequence": s.last_sequence,
         "last_timestamp": s.last_timestamp, "coordinator_epoch": s.coordinator_epoch,
         "current_txn_start_offset": s.current_txn_start_offset}
        for s in topic.partitions[index].producer_states()]
    return {"partition_index": index, "error_code": 0, "error_message": None, "active_producers": producers}


@api(key=61, name="DescribeProducers", min_version=0, max_version=0)
async def handle(ctx: RequestContext, request: dict) -> DescribeProducersResponse:
    return {"throttle_time_ms": 0, "topics": [
        {"name": t["name"], "partitions": [_partition(ctx, t["name"], i) for i in t["partition_indexes"]]}
        for t in request["topics"]]}
