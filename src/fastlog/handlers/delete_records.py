"""DeleteRecords (21), v0-v2: move a partition's log start offset forward (-1 = to its end).
Internal topics are refused with INVALID_TOPIC_EXCEPTION, as Kafka does. Works on a full disk
(LogManager.delete_records_before), so that an operator can free space through the Kafka API.
Needs DELETE on the topic, else TOPIC_AUTHORIZATION_FAILED for each of its partitions."""
from fastlog import _native
from fastlog.handlers._topics import answer_per_partition
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DeleteRecordsPartitionResult, DeleteRecordsResponse
from fastlog.security.acl import Operation

HIGH_WATERMARK = -1


def _delete(logs, topic, plog, p: dict) -> DeleteRecordsPartitionResult:
    out: DeleteRecordsPartitionResult = {"partition_index": p["partition_index"], "low_watermark": -1, "error_code": 0}
    offset = p["offset"]
    if plog is None:
        out["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    elif topic.internal:
        out["error_code"] = ErrorCode.INVALID_TOPIC_EXCEPTION
    elif offset < 0 and offset != HIGH_WATERMARK:
        out["error_code"] = ErrorCode.OFFSET_OUT_OF_RANGE
    else:
        try:
            out["low_watermark"] = logs.delete_records_before(
                plog, plog.log_end_offset if offset == HIGH_WATERMARK else offset)
        except _native.StorageError as e:
            out["error_code"] = e.code
    return out


@api(key=21, name="DeleteRecords", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> DeleteRecordsResponse:
    logs = ctx.services.logs
    topics: list = []
    for t in request["topics"]:
        if ctx.may_topic(Operation.DELETE, t["name"]):
            topics += answer_per_partition(ctx.services, [t], "name", "partition_index",
                                           lambda topic, plog, p: _delete(logs, topic, plog, p))
        else:  # refused before looking the topic up, as Kafka: no hint whether it exists
            topics.append({"name": t["name"], "partitions": [
                {"partition_index": p["partition_index"], "low_watermark": -1,
                 "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED} for p in t["partitions"]]})
    return {"throttle_time_ms": 0, "topics": topics}
