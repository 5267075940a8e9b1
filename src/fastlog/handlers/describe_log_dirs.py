"""DescribeLogDirs (35), v1-v4: the one data directory, with each partition's size on disk.

As Kafka: topics and partitions asked for that do not exist are left out (no error), an empty
topic list describes nothing, a null one everything. offset_lag (log end minus high watermark)
is always 0 on one node; no log is ever being moved (is_future_key). total/usable bytes (v4+)
are the volume's, as Java's FileStore reports them: f_blocks and f_bavail times the block size.
Needs DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED (top level, v3+) and no results.
"""
import os

from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import DescribeLogDirsPartition, DescribeLogDirsResponse, DescribeLogDirsTopic
from fastlog.security.acl import Operation
from fastlog.storage.log_manager import Topic


def _volume_bytes(path: str) -> tuple[int, int]:
    try:
        st = os.statvfs(path)
    except OSError:
        return -1, -1
    return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize


@api(key=35, name="DescribeLogDirs", min_version=1, max_version=5)
async def handle(ctx: RequestContext, request: dict) -> DescribeLogDirsResponse:
    if not ctx.may_cluster(Operation.DESCRIBE):  # Kafka: the top-level error, no results
        return {"throttle_time_ms": 0, "error_code": ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "results": []}
    logs = ctx.services.logs
    wanted = request["topics"]
    selected: list[tuple[Topic, list[int]]]
    if wanted is None:
        selected = [(topic, list(range(len(topic.partitions)))) for topic in list(logs.topics.values())]
    else:
        selected = []
        for item in wanted:
            topic = logs.get(item["topic"])
            if topic is not None:
                selected.append((topic, [i for i in item["partitions"] if 0 <= i < len(topic.partitions)]))
    topics: list[DescribeLogDirsTopic] = []
    for topic, indexes in selected:
        partitions: list[DescribeLogDirsPartition] = [
            {"partition_index": i, "partition_size": topic.partitions[i].size_bytes,
                       "offset_lag": 0, "is_future_key": False} for i in indexes]
        if partitions:
            topics.append({"name": topic.name, "partitions": partitions})
    log_dir = os.path.abspath(logs.data_dir)
    total, usable = _volume_bytes(log_dir)
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE,
            "results": [{"error_code": ErrorCode.NONE, "log_dir": log_dir, "topics": topics,
                         "total_bytes": total, "usable_bytes": usable}]}
