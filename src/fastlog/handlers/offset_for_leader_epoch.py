"""OffsetForLeaderEpoch (23), v2-v4. Leadership never moves on one node, so every batch has
leader epoch 0, which ends at the log end offset. A client that believes in a later leader epoch
than ours gets UNKNOWN_LEADER_EPOCH, as Kafka answers it. ACLs as Kafka: CLUSTER_ACTION on the
cluster, or DESCRIBE on the topic (else TOPIC_AUTHORIZATION_FAILED for its partitions).
"""
from fastlog.handlers._topics import answer_per_partition
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import OffsetForLeaderEpochEndOffset, OffsetForLeaderEpochResponse
from fastlog.security.acl import Operation

LEADER_EPOCH = 0


def _answer(topic, plog, p: dict) -> OffsetForLeaderEpochEndOffset:
    out: OffsetForLeaderEpochEndOffset = {"partition": p["partition"], "error_code": 0, "leader_epoch": -1,
                                          "end_offset": -1}
    if plog is None:
        out["error_code"] = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    elif p["current_leader_epoch"] > LEADER_EPOCH:
        out["error_code"] = ErrorCode.UNKNOWN_LEADER_EPOCH
    else:
        # Epoch 0 is the only epoch: whatever epoch is asked, the answer is the largest
        # epoch <= it (0) and where that epoch ends (the log end).
        out.update({"leader_epoch": LEADER_EPOCH, "end_offset": plog.log_end_offset})
    return out


@api(key=23, name="OffsetForLeaderEpoch", min_version=2, max_version=4)
async def handle(ctx: RequestContext, request: dict) -> OffsetForLeaderEpochResponse:
    trusted = ctx.may_cluster(Operation.CLUSTER_ACTION)  # a broker; consumers need DESCRIBE on the topic
    topics: list = []
    for t in request["topics"]:
        if trusted or ctx.may_topic(Operation.DESCRIBE, t["topic"]):
            topics += answer_per_partition(ctx.services, [t], "topic", "partition", _answer)
        else:
            topics.append({"topic": t["topic"], "partitions": [
                {"partition": p["partition"], "error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "leader_epoch": -1,
                 "end_offset": -1} for p in t["partitions"]]})
    return {"throttle_time_ms": 0, "topics": topics}
