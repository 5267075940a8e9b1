"""ElectLeaders (43), v0-v2: every partition already has its only replica as leader.

As a single-node KRaft Kafka answers: a named partition gets ELECTION_NOT_NEEDED (preferred and
unclean alike), an unknown one UNKNOWN_TOPIC_OR_PARTITION with Kafka's message; asking for all
partitions (null) lists every topic with no partition results, since none needed an election.
Needs ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED (top level and per named partition).
"""
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import ElectLeadersResponse, PartitionResult, ReplicaElectionResult
from fastlog.security.acl import Operation

NOT_NEEDED_MESSAGE = "Leader election not needed for topic partition."


@api(key=43, name="ElectLeaders", min_version=0, max_version=2)
async def handle(ctx: RequestContext, request: dict) -> ElectLeadersResponse:
    logs = ctx.services.logs
    results: list[ReplicaElectionResult] = []
    wanted = request["topic_partitions"]
    if not ctx.may_cluster(Operation.ALTER):  # the error at the top and on every named partition
        refused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        return {"throttle_time_ms": 0, "error_code": refused, "replica_election_results": [
            {"topic": item["topic"], "partition_result": [
                {"partition_id": i, "error_code": refused, "error_message": ctx.not_authorized}
                for i in item["partitions"]]} for item in wanted or ()]}
    if wanted is None:
        results = [{"topic": name, "partition_result": []} for name in list(logs.topics)]
    for item in wanted or ():
        topic = logs.get(item["topic"])
        partitions: list[PartitionResult] = []
        for index in item["partitions"]:
            if topic is None:
                code, message = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such topic as {item['topic']}"
            elif not 0 <= index < len(topic.partitions):
                code, message = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, f"No such partition as {item['topic']}-{index}"
            else:
                code, message = ErrorCode.ELECTION_NOT_NEEDED, NOT_NEEDED_MESSAGE
            partitions.append({"partition_id": index, "error_code": code, "error_message": message})
        results.append({"topic": item["topic"], "partition_result": partitions})
    return {"throttle_time_ms": 0, "error_code": ErrorCode.NONE, "replica_election_results": results}
