"""DescribeQuorum (55), v0-v2: the KRaft metadata quorum, which on fastlog is one voter, this node.

fastlog keeps no metadata log, so the quorum is reported as a KRaft node that elected itself
once (leader epoch 1) and whose log is empty (high watermark and log end offset 0). As Kafka:
the request must name exactly __cluster_metadata partition 0, otherwise each named partition gets
UNKNOWN_TOPIC_OR_PARTITION; v2 error messages are "" when there is no error; the leader's own
fetch and caught-up times (v1+) are now; v2 lists the voter's endpoint (our broker listener,
as there is no separate controller listener). Needs DESCRIBE on the cluster, else
CLUSTER_AUTHORIZATION_FAILED at the top.
"""
import time

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeQuorumResponse, ReplicaState
from fastlog.security.acl import REFUSED_MESSAGES, Operation

METADATA_TOPIC = "__cluster_metadata"
NOT_HOSTED = "This server does not host this topic-partition."
LEADER_EPOCH = 1
LISTENER_NAME = "PLAINTEXT"


def _asks_for_metadata_partition(request: dict) -> bool:
    topics = request["topics"]
    return (len(topics) == 1 and topics[0]["topic_name"] == METADATA_TOPIC
            and [p["partition_index"] for p in topics[0]["partitions"]] == [0])


@api(key=55, name="DescribeQuorum", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> DescribeQuorumResponse:
    services = ctx.services
    if not ctx.may_cluster(Operation.DESCRIBE):
        return {"error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                "error_message": REFUSED_MESSAGES[ErrorCode.CLUSTER_AUTHORIZATION_FAILED], "topics": [], "nodes": []}
    if not _asks_for_metadata_partition(request):
        return {"error_code": ErrorCode.NONE, "error_message": "", "nodes": [], "topics": [
            {"topic_name": t["topic_name"], "partitions": [
                {"partition_index": p["partition_index"], "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                 "error_message": NOT_HOSTED, "leader_id": 0, "leader_epoch": 0, "high_watermark": 0,
                 "current_voters": [], "observers": []} for p in t["partitions"]]}
            for t in request["topics"]]}
    now_ms = int(time.time() * 1000)
    voter: ReplicaState = {"replica_id": services.node_id, "replica_directory_id": bytes(16), "log_end_offset": 0,
             "last_fetch_timestamp": now_ms, "last_caught_up_timestamp": now_ms}
    return {
        "error_code": ErrorCode.NONE, "error_message": "",
        "topics": [{"topic_name": METADATA_TOPIC, "partitions": [
            {"partition_index": 0, "error_code": ErrorCode.NONE, "error_message": "",
             "leader_id": services.node_id, "leader_epoch": LEADER_EPOCH, "high_watermark": 0,
             "current_voters": [voter], "observers": []}]}],
        "nodes": [{"node_id": services.node_id,
                   "listeners": [{"name": LISTENER_NAME, "host": services.host, "port": services.port}]}],
    }
