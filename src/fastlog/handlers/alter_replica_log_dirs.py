"""AlterReplicaLogDirs (34), v1-v2: fastlog has one data folder, so nothing ever moves.

As Kafka answers for a replica asked to move to the folder it is already in: NONE for each
existing partition when the path is our data folder, LOG_DIR_NOT_FOUND for any other path, and
UNKNOWN_TOPIC_OR_PARTITION for a partition we do not have (checked first, as Kafka does).
Needs ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every partition.
"""
import os

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import AlterReplicaLogDirPartitionResult, AlterReplicaLogDirsResponse
from fastlog.security.acl import Operation


@api(key=34, name="AlterReplicaLogDirs", min_version=1, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> AlterReplicaLogDirsResponse:
    logs = ctx.services.logs
    allowed = ctx.may_cluster(Operation.ALTER)  # else every partition CLUSTER_AUTHORIZATION_FAILED, as Kafka
    our_dir = os.path.abspath(logs.data_dir)
    by_topic: dict[str, list[AlterReplicaLogDirPartitionResult]] = {}
    for target in request["dirs"]:
        dir_code = ErrorCode.NONE if os.path.abspath(target["path"]) == our_dir else ErrorCode.LOG_DIR_NOT_FOUND
        for item in target["topics"]:
            topic = logs.get(item["name"])
            results = by_topic.setdefault(item["name"], [])
            for index in item["partitions"]:
                exists = topic is not None and 0 <= index < len(topic.partitions)
                code = dir_code if exists else ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                results.append({"partition_index": index,
                                "error_code": code if allowed else ErrorCode.CLUSTER_AUTHORIZATION_FAILED})
    return {"throttle_time_ms": 0,
            "results": [{"topic_name": name, "partitions": parts} for name, parts in by_topic.items()]}
