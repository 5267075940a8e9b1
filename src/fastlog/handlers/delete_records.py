"""DeleteRecords (21), v0-v2: move a partition's log start offset forward (-1 = to its end).
Internal topics are refused with INVALID_TOPIC_EXCEPTION, as Kafka does."""
from fastlog import _native
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode

HIGH_WATERMARK = -1


@api(key=21, name="DeleteRecords", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> dict:
    logs = ctx.broker.logs
    topics = []
    for t in request["topics"]:
        topic = logs.get(t["name"])
        parts = []
        for p in t["partitions"]:
            index, offset = p["partition_index"], p["offset"]
            if topic is None or not 0 <= index < len(topic.partitions):
                parts.append({"partition_index": index, "low_watermark": -1,
                              "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION})
                continue
            if topic.internal:
                parts.append({"partition_index": index, "low_watermark": -1,
                              "error_code": ErrorCode.INVALID_TOPIC_EXCEPTION})
                continue
            plog = topic.partitions[index]
            if offset == HIGH_WATERMARK:
                offset = plog.log_end_offset
            try:
                low = plog.delete_records_before(offset) if offset >= 0 else None
            except _native.StorageError as e:
                parts.append({"partition_index": index, "low_watermark": -1, "error_code": e.code})
                continue
            if low is None:
                parts.append({"partition_index": index, "low_watermark": -1,
                              "error_code": ErrorCode.OFFSET_OUT_OF_RANGE})
            else:
                parts.append({"partition_index": index, "low_watermark": low, "error_code": 0})
        topics.append({"name": t["name"], "partitions": parts})
    return {"throttle_time_ms": 0, "topics": topics}
