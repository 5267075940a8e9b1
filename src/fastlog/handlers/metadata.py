"""Metadata (3), v0-v13: this node is every partition's leader, only replica and whole ISR.

Topics named in the request are auto-created when auto.create.topics.enable and the request
(v4+ allow_auto_topic_creation) allow it; topics looked up by id (v10+) never are. Leader epochs
are always 0: there is one node and leadership never moves.
"""
from fastlog.handlers._topics import find_or_create
from fastlog.handlers.registry import RequestContext, api
from fastlog.protocol.errors import ErrorCode
from fastlog.protocol.responses import MetadataResponse, MetadataResponseTopic
from fastlog.protocol.schema import ZERO_UUID
from fastlog.security.acl import Operation, ResourceType
from fastlog.services import BrokerServices

# AclOperation codes a topic allows with no authorizer: READ WRITE CREATE DELETE ALTER DESCRIBE
# DESCRIBE_CONFIGS ALTER_CONFIGS.
TOPIC_OPERATIONS = sum(1 << op for op in (3, 4, 5, 6, 7, 8, 10, 11))
# ... and the cluster: CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS
# IDEMPOTENT_WRITE (7, as Kafka reports; WRITE is not a cluster operation).
CLUSTER_OPERATIONS = sum(1 << op for op in (5, 7, 8, 9, 10, 11, 12))
# ... and a group: READ DELETE DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS.
GROUP_OPERATIONS = sum(1 << op for op in (3, 6, 8, 10, 11))
NOT_REQUESTED = -2147483648


def topic_operations(services: BrokerServices, principal: str, name: str) -> int:
    """The topic operations `principal` may do (all of them without an authorizer)."""
    if not services.authorizer.enabled:
        return TOPIC_OPERATIONS
    return services.authorizer.allowed_operations(principal, ResourceType.TOPIC, name)


def group_operations(ctx: RequestContext, group_id: str) -> int:
    """The group operations this request's principal may do on `group_id` (all of them without an
    authorizer): the authorized_operations of DescribeGroups, ConsumerGroupDescribe and
    ShareGroupDescribe when asked for, as Kafka fills them in for each group described."""
    if not ctx.services.authorizer.enabled:
        return GROUP_OPERATIONS
    return ctx.services.authorizer.allowed_operations(ctx.principal, ResourceType.GROUP, group_id)


def topic_entry(services: BrokerServices, topic, include_operations: bool,
                principal: str = "") -> MetadataResponseTopic:
    node = services.node_id
    operations = topic_operations(services, principal, topic.name) if include_operations else NOT_REQUESTED
    return {
        "error_code": ErrorCode.NONE,
        "name": topic.name,
        "topic_id": topic.topic_id,
        "is_internal": topic.internal,
        "partitions": [
            {"error_code": 0, "partition_index": i, "leader_id": node, "leader_epoch": 0,
             "replica_nodes": [node], "isr_nodes": [node], "offline_replicas": []}
            for i in range(len(topic.partitions))
        ],
        "topic_authorized_operations": operations,
    }


def cluster_operations(ctx: RequestContext) -> int:
    """The cluster operations this request's principal may do (all of them without an authorizer;
    none without DESCRIBE on the cluster, as Kafka's Metadata and DescribeCluster answer)."""
    authorizer = ctx.services.authorizer
    if not authorizer.enabled:
        return CLUSTER_OPERATIONS
    if not ctx.may_cluster(Operation.DESCRIBE):
        return 0
    return authorizer.allowed_operations(ctx.principal, ResourceType.CLUSTER, "kafka-cluster")


@api(key=3, name="Metadata", min_version=0, max_version=13)
async def handle(ctx: RequestContext, request: dict) -> MetadataResponse:
    services = ctx.services
    include_ops = bool(request.get("include_topic_authorized_operations"))
    requested = request["topics"]
    topics: list[MetadataResponseTopic] = []
    if requested is None or (ctx.api_version == 0 and not requested):
        # all topics: those the principal may not describe are left out, as Kafka does
        topics = [topic_entry(services, t, include_ops, ctx.principal) for t in list(services.logs.topics.values())
                  if ctx.may_topic(Operation.DESCRIBE, t.name)]
    else:
        allow_create = request.get("allow_auto_topic_creation", True)
        for item in requested:
            name, topic_id = item.get("name"), item.get("topic_id") or ZERO_UUID
            if name is None:
                topic = services.logs.get_by_id(topic_id)
                if topic is None:
                    topics.append({"error_code": ErrorCode.UNKNOWN_TOPIC_ID, "name": None,
                                   "topic_id": topic_id, "partitions": []})
                    continue
            elif not ctx.may_topic(Operation.DESCRIBE, name):
                topics.append({"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "name": name,
                               "topic_id": ZERO_UUID, "partitions": []})
                continue
            else:
                may_create = ctx.may_cluster(Operation.CREATE) or ctx.may_topic(Operation.CREATE, name)
                if services.logs.get(name) is None and allow_create and not may_create:
                    topic, error = None, ErrorCode.TOPIC_AUTHORIZATION_FAILED
                else:
                    topic, error = find_or_create(services, name, allow_create)
                if topic is None:
                    topics.append({"error_code": error, "name": name, "topic_id": ZERO_UUID,
                                   "partitions": []})
                    continue
            if not ctx.may_topic(Operation.DESCRIBE, topic.name):
                topics.append({"error_code": ErrorCode.TOPIC_AUTHORIZATION_FAILED, "name": None,
                               "topic_id": topic_id, "partitions": []})
                continue
            topics.append(topic_entry(services, topic, include_ops, ctx.principal))
    return {
        "throttle_time_ms": 0,
        "brokers": [{"node_id": services.node_id, "host": ctx.address[0], "port": ctx.address[1], "rack": None}],
        "cluster_id": services.cluster_id,
        "controller_id": services.node_id,
        "topics": topics,
        "cluster_authorized_operations": (
            cluster_operations(ctx) if request.get("include_cluster_authorized_operations") else NOT_REQUESTED),
    }
