"""Typed shapes of the responses handlers build, one TypedDict per struct of the response tables.

GENERATED from schema.py by `python -m fastlog.protocol.gen_responses`: do not edit by hand.

A shape is a plain dict at run time (`HeartbeatResponse(error_code=27)` is `{"error_code": 27}`),
so building one costs what a dict literal costs. Every key is optional (total=False): a key left
out takes its schema default when encoded, and keys of newer versions are skipped for older ones.
mypy checks key names and value types; the codec refuses unknown keys at run time anyway.
The comment after each field gives the versions that carry it and any explicit default.
"""
from __future__ import annotations

from typing import Any, Optional, TypedDict


class BatchIndexAndErrorMessage(TypedDict, total=False):
    """An item of ProduceResponse.responses.partition_responses.record_errors"""

    batch_index: int  # v8+
    batch_index_error_message: Optional[str]  # v8+, null v8+


class ProduceLeaderIdAndEpoch(TypedDict, total=False):
    """ProduceResponse.responses.partition_responses.current_leader"""

    leader_id: int  # v10+, default -1
    leader_epoch: int  # v10+, default -1


class PartitionProduceResponse(TypedDict, total=False):
    """An item of ProduceResponse.responses.partition_responses"""

    index: int  # v0+
    error_code: int  # v0+
    base_offset: int  # v0+
    log_append_time_ms: int  # v2+, default -1
    log_start_offset: int  # v5+, default -1
    record_errors: list[BatchIndexAndErrorMessage]  # v8+
    error_message: Optional[str]  # v8+, null v8+
    current_leader: ProduceLeaderIdAndEpoch  # v10+, tag 0


class TopicProduceResponse(TypedDict, total=False):
    """An item of ProduceResponse.responses"""

    name: str  # v0-12
    topic_id: bytes  # v13+
    partition_responses: list[PartitionProduceResponse]  # v0+


class ProduceNodeEndpoint(TypedDict, total=False):
    """An item of ProduceResponse.node_endpoints"""

    node_id: int  # v10+
    host: str  # v10+
    port: int  # v10+
    rack: Optional[str]  # v10+, null v10+


class ProduceResponse(TypedDict, total=False):
    """Produce (API key 0) response, v0-13"""

    responses: list[TopicProduceResponse]  # v0+
    throttle_time_ms: int  # v1+, default 0
    node_endpoints: list[ProduceNodeEndpoint]  # v10+, tag 0


class FetchEpochEndOffset(TypedDict, total=False):
    """FetchResponse.responses.partitions.diverging_epoch"""

    epoch: int  # v12+, default -1
    end_offset: int  # v12+, default -1


class FetchLeaderIdAndEpoch(TypedDict, total=False):
    """FetchResponse.responses.partitions.current_leader"""

    leader_id: int  # v12+, default -1
    leader_epoch: int  # v12+, default -1


class SnapshotId(TypedDict, total=False):
    """FetchResponse.responses.partitions.snapshot_id"""

    end_offset: int  # v0+, default -1
    epoch: int  # v0+, default -1


class AbortedTransaction(TypedDict, total=False):
    """An item of FetchResponse.responses.partitions.aborted_transactions"""

    producer_id: int  # v4+
    first_offset: int  # v4+


class PartitionData(TypedDict, total=False):
    """An item of FetchResponse.responses.partitions"""

    partition_index: int  # v0+
    error_code: int  # v0+
    high_watermark: int  # v0+
    last_stable_offset: int  # v4+, default -1
    log_start_offset: int  # v5+, default -1
    diverging_epoch: FetchEpochEndOffset  # v12+, tag 0
    current_leader: FetchLeaderIdAndEpoch  # v12+, tag 1
    snapshot_id: SnapshotId  # v12+, tag 2
    aborted_transactions: Optional[list[AbortedTransaction]]  # v4+, null v4+
    preferred_read_replica: int  # v11+, default -1
    records: Any  # v0+, null v0+


class FetchableTopicResponse(TypedDict, total=False):
    """An item of FetchResponse.responses"""

    topic: str  # v0-12
    topic_id: bytes  # v13+
    partitions: list[PartitionData]  # v0+


class FetchNodeEndpoint(TypedDict, total=False):
    """An item of FetchResponse.node_endpoints"""

    node_id: int  # v16+
    host: str  # v16+
    port: int  # v16+
    rack: Optional[str]  # v16+, null v16+


class FetchResponse(TypedDict, total=False):
    """Fetch (API key 1) response, v4-18"""

    throttle_time_ms: int  # v1+
    error_code: int  # v7+
    session_id: int  # v7+, default 0
    responses: list[FetchableTopicResponse]  # v0+
    node_endpoints: list[FetchNodeEndpoint]  # v16+, tag 0


class ListOffsetsPartitionResponse(TypedDict, total=False):
    """An item of ListOffsetsResponse.topics.partitions"""

    partition_index: int  # v0+
    error_code: int  # v0+
    timestamp: int  # v1+, default -1
    offset: int  # v1+, default -1
    leader_epoch: int  # v4+, default -1


class ListOffsetsTopicResponse(TypedDict, total=False):
    """An item of ListOffsetsResponse.topics"""

    name: str  # v0+
    partitions: list[ListOffsetsPartitionResponse]  # v0+


class ListOffsetsResponse(TypedDict, total=False):
    """ListOffsets (API key 2) response, v1-10"""

    throttle_time_ms: int  # v2+
    topics: list[ListOffsetsTopicResponse]  # v0+


class MetadataResponseBroker(TypedDict, total=False):
    """An item of MetadataResponse.brokers"""

    node_id: int  # v0+
    host: str  # v0+
    port: int  # v0+
    rack: Optional[str]  # v1+, null v1+


class MetadataResponsePartition(TypedDict, total=False):
    """An item of MetadataResponse.topics.partitions"""

    error_code: int  # v0+
    partition_index: int  # v0+
    leader_id: int  # v0+
    leader_epoch: int  # v7+, default -1
    replica_nodes: list[int]  # v0+
    isr_nodes: list[int]  # v0+
    offline_replicas: list[int]  # v5+


class MetadataResponseTopic(TypedDict, total=False):
    """An item of MetadataResponse.topics"""

    error_code: int  # v0+
    name: Optional[str]  # v0+, null v12+
    topic_id: bytes  # v10+
    is_internal: bool  # v1+, default False
    partitions: list[MetadataResponsePartition]  # v0+
    topic_authorized_operations: int  # v8+, default -2147483648


class MetadataResponse(TypedDict, total=False):
    """Metadata (API key 3) response, v0-13"""

    throttle_time_ms: int  # v3+
    brokers: list[MetadataResponseBroker]  # v0+
    cluster_id: Optional[str]  # v2+, null v2+
    controller_id: int  # v1+, default -1
    topics: list[MetadataResponseTopic]  # v0+
    cluster_authorized_operations: int  # v8-10, default -2147483648
    error_code: int  # v13+


class OffsetCommitResponsePartition(TypedDict, total=False):
    """An item of OffsetCommitResponse.topics.partitions"""

    partition_index: int  # v0+
    error_code: int  # v0+


class OffsetCommitResponseTopic(TypedDict, total=False):
    """An item of OffsetCommitResponse.topics"""

    name: str  # v0-9
    partitions: list[OffsetCommitResponsePartition]  # v0+


class OffsetCommitResponse(TypedDict, total=False):
    """OffsetCommit (API key 8) response, v2-9"""

    throttle_time_ms: int  # v3+
    topics: list[OffsetCommitResponseTopic]  # v0+


class OffsetFetchResponsePartition(TypedDict, total=False):
    """An item of OffsetFetchResponse.topics.partitions"""

    partition_index: int  # v0-7
    committed_offset: int  # v0-7
    committed_leader_epoch: int  # v5-7, default -1
    metadata: Optional[str]  # v0-7, null v0-7
    error_code: int  # v0-7


class OffsetFetchResponseTopic(TypedDict, total=False):
    """An item of OffsetFetchResponse.topics"""

    name: str  # v0-7
    partitions: list[OffsetFetchResponsePartition]  # v0-7


class OffsetFetchResponsePartitions(TypedDict, total=False):
    """An item of OffsetFetchResponse.groups.topics.partitions"""

    partition_index: int  # v8+
    committed_offset: int  # v8+
    committed_leader_epoch: int  # v8+, default -1
    metadata: Optional[str]  # v8+, null v8+
    error_code: int  # v8+


class OffsetFetchResponseTopics(TypedDict, total=False):
    """An item of OffsetFetchResponse.groups.topics"""

    name: str  # v8-9
    partitions: list[OffsetFetchResponsePartitions]  # v8+


class OffsetFetchResponseGroup(TypedDict, total=False):
    """An item of OffsetFetchResponse.groups"""

    group_id: str  # v8+
    topics: list[OffsetFetchResponseTopics]  # v8+
    error_code: int  # v8+, default 0


class OffsetFetchResponse(TypedDict, total=False):
    """OffsetFetch (API key 9) response, v1-9"""

    throttle_time_ms: int  # v3+
    topics: list[OffsetFetchResponseTopic]  # v0-7
    error_code: int  # v2-7, default 0
    groups: list[OffsetFetchResponseGroup]  # v8+


class Coordinator(TypedDict, total=False):
    """An item of FindCoordinatorResponse.coordinators"""

    key: str  # v4+
    node_id: int  # v4+
    host: str  # v4+
    port: int  # v4+
    error_code: int  # v4+
    error_message: Optional[str]  # v4+, null v4+


class FindCoordinatorResponse(TypedDict, total=False):
    """FindCoordinator (API key 10) response, v0-6"""

    throttle_time_ms: int  # v1+
    error_code: int  # v0-3
    error_message: Optional[str]  # v1-3, null v1-3
    node_id: int  # v0-3
    host: str  # v0-3
    port: int  # v0-3
    coordinators: list[Coordinator]  # v4+


class JoinGroupResponseMember(TypedDict, total=False):
    """An item of JoinGroupResponse.members"""

    member_id: str  # v0+
    group_instance_id: Optional[str]  # v5+, null v5+
    metadata: bytes  # v0+


class JoinGroupResponse(TypedDict, total=False):
    """JoinGroup (API key 11) response, v0-9"""

    throttle_time_ms: int  # v2+
    error_code: int  # v0+
    generation_id: int  # v0+, default -1
    protocol_type: Optional[str]  # v7+, null v7+
    protocol_name: Optional[str]  # v0+, null v7+
    leader: str  # v0+
    skip_assignment: bool  # v9+, default False
    member_id: str  # v0+
    members: list[JoinGroupResponseMember]  # v0+


class HeartbeatResponse(TypedDict, total=False):
    """Heartbeat (API key 12) response, v0-4"""

    throttle_time_ms: int  # v1+
    error_code: int  # v0+


class MemberResponse(TypedDict, total=False):
    """An item of LeaveGroupResponse.members"""

    member_id: str  # v3+
    group_instance_id: Optional[str]  # v3+, null v3+
    error_code: int  # v3+


class LeaveGroupResponse(TypedDict, total=False):
    """LeaveGroup (API key 13) response, v0-5"""

    throttle_time_ms: int  # v1+
    error_code: int  # v0+
    members: list[MemberResponse]  # v3+


class SyncGroupResponse(TypedDict, total=False):
    """SyncGroup (API key 14) response, v0-5"""

    throttle_time_ms: int  # v1+
    error_code: int  # v0+
    protocol_type: Optional[str]  # v5+, null v5+
    protocol_name: Optional[str]  # v5+, null v5+
    assignment: bytes  # v0+


class DescribedGroupMember(TypedDict, total=False):
    """An item of DescribeGroupsResponse.groups.members"""

    member_id: str  # v0+
    group_instance_id: Optional[str]  # v4+, null v4+
    client_id: str  # v0+
    client_host: str  # v0+
    member_metadata: bytes  # v0+
    member_assignment: bytes  # v0+


class DescribedGroup(TypedDict, total=False):
    """An item of DescribeGroupsResponse.groups"""

    error_code: int  # v0+
    error_message: Optional[str]  # v6+, null v6+
    group_id: str  # v0+
    group_state: str  # v0+
    protocol_type: str  # v0+
    protocol_data: str  # v0+
    members: list[DescribedGroupMember]  # v0+
    authorized_operations: int  # v3+, default -2147483648


class DescribeGroupsResponse(TypedDict, total=False):
    """DescribeGroups (API key 15) response, v0-6"""

    throttle_time_ms: int  # v1+
    groups: list[DescribedGroup]  # v0+


class ListedGroup(TypedDict, total=False):
    """An item of ListGroupsResponse.groups"""

    group_id: str  # v0+
    protocol_type: str  # v0+
    group_state: str  # v4+
    group_type: str  # v5+


class ListGroupsResponse(TypedDict, total=False):
    """ListGroups (API key 16) response, v0-5"""

    throttle_time_ms: int  # v1+
    error_code: int  # v0+
    groups: list[ListedGroup]  # v0+


class ApiVersion(TypedDict, total=False):
    """An item of ApiVersionsResponse.api_keys"""

    api_key: int  # v0+
    min_version: int  # v0+
    max_version: int  # v0+


class SupportedFeatureKey(TypedDict, total=False):
    """An item of ApiVersionsResponse.supported_features"""

    name: str  # v3+
    min_version: int  # v3+
    max_version: int  # v3+


class FinalizedFeatureKey(TypedDict, total=False):
    """An item of ApiVersionsResponse.finalized_features"""

    name: str  # v3+
    max_version_level: int  # v3+
    min_version_level: int  # v3+


class ApiVersionsResponse(TypedDict, total=False):
    """ApiVersions (API key 18) response, v0-4"""

    error_code: int  # v0+
    api_keys: list[ApiVersion]  # v0+
    throttle_time_ms: int  # v1+
    supported_features: list[SupportedFeatureKey]  # v3+, tag 0
    finalized_features_epoch: int  # v3+, tag 1, default -1
    finalized_features: list[FinalizedFeatureKey]  # v3+, tag 2
    zk_migration_ready: bool  # v3+, tag 3, default False


class CreatableTopicConfigs(TypedDict, total=False):
    """An item of CreateTopicsResponse.topics.configs"""

    name: str  # v5+
    value: Optional[str]  # v5+, null v5+
    read_only: bool  # v5+
    config_source: int  # v5+, default -1
    is_sensitive: bool  # v5+


class CreatableTopicResult(TypedDict, total=False):
    """An item of CreateTopicsResponse.topics"""

    name: str  # v0+
    topic_id: bytes  # v7+
    error_code: int  # v0+
    error_message: Optional[str]  # v1+, null v0+
    topic_config_error_code: int  # v5+, tag 0
    num_partitions: int  # v5+, default -1
    replication_factor: int  # v5+, default -1
    configs: Optional[list[CreatableTopicConfigs]]  # v5+, null v5+


class CreateTopicsResponse(TypedDict, total=False):
    """CreateTopics (API key 19) response, v2-7"""

    throttle_time_ms: int  # v2+
    topics: list[CreatableTopicResult]  # v0+


class DeletableTopicResult(TypedDict, total=False):
    """An item of DeleteTopicsResponse.responses"""

    name: Optional[str]  # v0+, null v6+
    topic_id: bytes  # v6+
    error_code: int  # v0+
    error_message: Optional[str]  # v5+, null v5+


class DeleteTopicsResponse(TypedDict, total=False):
    """DeleteTopics (API key 20) response, v1-6"""

    throttle_time_ms: int  # v1+
    responses: list[DeletableTopicResult]  # v0+


class DeleteRecordsPartitionResult(TypedDict, total=False):
    """An item of DeleteRecordsResponse.topics.partitions"""

    partition_index: int  # v0+
    low_watermark: int  # v0+
    error_code: int  # v0+


class DeleteRecordsTopicResult(TypedDict, total=False):
    """An item of DeleteRecordsResponse.topics"""

    name: str  # v0+
    partitions: list[DeleteRecordsPartitionResult]  # v0+


class DeleteRecordsResponse(TypedDict, total=False):
    """DeleteRecords (API key 21) response, v0-2"""

    throttle_time_ms: int  # v0+
    topics: list[DeleteRecordsTopicResult]  # v0+


class InitProducerIdResponse(TypedDict, total=False):
    """InitProducerId (API key 22) response, v0-5"""

    throttle_time_ms: int  # v0+
    error_code: int  # v0+
    producer_id: int  # v0+, default -1
    producer_epoch: int  # v0+


class OffsetForLeaderEpochEndOffset(TypedDict, total=False):
    """An item of OffsetForLeaderEpochResponse.topics.partitions"""

    error_code: int  # v0+
    partition: int  # v0+
    leader_epoch: int  # v1+, default -1
    end_offset: int  # v0+, default -1


class OffsetForLeaderTopicResult(TypedDict, total=False):
    """An item of OffsetForLeaderEpochResponse.topics"""

    topic: str  # v0+
    partitions: list[OffsetForLeaderEpochEndOffset]  # v0+


class OffsetForLeaderEpochResponse(TypedDict, total=False):
    """OffsetForLeaderEpoch (API key 23) response, v2-4"""

    throttle_time_ms: int  # v2+
    topics: list[OffsetForLeaderTopicResult]  # v0+


class DescribeConfigsSynonym(TypedDict, total=False):
    """An item of DescribeConfigsResponse.results.configs.synonyms"""

    name: str  # v1+
    value: Optional[str]  # v1+, null v0+
    source: int  # v1+


class DescribeConfigsResourceResult(TypedDict, total=False):
    """An item of DescribeConfigsResponse.results.configs"""

    name: str  # v0+
    value: Optional[str]  # v0+, null v0+
    read_only: bool  # v0+
    config_source: int  # v1+, default -1
    is_sensitive: bool  # v0+
    synonyms: list[DescribeConfigsSynonym]  # v1+
    config_type: int  # v3+, default 0
    documentation: Optional[str]  # v3+, null v0+


class DescribeConfigsResult(TypedDict, total=False):
    """An item of DescribeConfigsResponse.results"""

    error_code: int  # v0+
    error_message: Optional[str]  # v0+, null v0+
    resource_type: int  # v0+
    resource_name: str  # v0+
    configs: list[DescribeConfigsResourceResult]  # v0+


class DescribeConfigsResponse(TypedDict, total=False):
    """DescribeConfigs (API key 32) response, v1-4"""

    throttle_time_ms: int  # v0+
    results: list[DescribeConfigsResult]  # v0+


class AlterConfigsResourceResponse(TypedDict, total=False):
    """An item of AlterConfigsResponse.responses"""

    error_code: int  # v0+
    error_message: Optional[str]  # v0+, null v0+
    resource_type: int  # v0+
    resource_name: str  # v0+


class AlterConfigsResponse(TypedDict, total=False):
    """AlterConfigs (API key 33) response, v0-2"""

    throttle_time_ms: int  # v0+
    responses: list[AlterConfigsResourceResponse]  # v0+


class CreatePartitionsTopicResult(TypedDict, total=False):
    """An item of CreatePartitionsResponse.results"""

    name: str  # v0+
    error_code: int  # v0+
    error_message: Optional[str]  # v0+, null v0+


class CreatePartitionsResponse(TypedDict, total=False):
    """CreatePartitions (API key 37) response, v0-3"""

    throttle_time_ms: int  # v0+
    results: list[CreatePartitionsTopicResult]  # v0+


class DeletableGroupResult(TypedDict, total=False):
    """An item of DeleteGroupsResponse.results"""

    group_id: str  # v0+
    error_code: int  # v0+


class DeleteGroupsResponse(TypedDict, total=False):
    """DeleteGroups (API key 42) response, v0-2"""

    throttle_time_ms: int  # v0+
    results: list[DeletableGroupResult]  # v0+


class IncrementalAlterConfigsResourceResponse(TypedDict, total=False):
    """An item of IncrementalAlterConfigsResponse.responses"""

    error_code: int  # v0+
    error_message: Optional[str]  # v0+, null v0+
    resource_type: int  # v0+
    resource_name: str  # v0+


class IncrementalAlterConfigsResponse(TypedDict, total=False):
    """IncrementalAlterConfigs (API key 44) response, v0-1"""

    throttle_time_ms: int  # v0+
    responses: list[IncrementalAlterConfigsResourceResponse]  # v0+


class OffsetDeleteResponsePartition(TypedDict, total=False):
    """An item of OffsetDeleteResponse.topics.partitions"""

    partition_index: int  # v0+
    error_code: int  # v0+


class OffsetDeleteResponseTopic(TypedDict, total=False):
    """An item of OffsetDeleteResponse.topics"""

    name: str  # v0+
    partitions: list[OffsetDeleteResponsePartition]  # v0+


class OffsetDeleteResponse(TypedDict, total=False):
    """OffsetDelete (API key 47) response, v0"""

    error_code: int  # v0+
    throttle_time_ms: int  # v0+
    topics: list[OffsetDeleteResponseTopic]  # v0+


class DescribeClusterBroker(TypedDict, total=False):
    """An item of DescribeClusterResponse.brokers"""

    broker_id: int  # v0+
    host: str  # v0+
    port: int  # v0+
    rack: Optional[str]  # v0+, null v0+
    is_fenced: bool  # v2+


class DescribeClusterResponse(TypedDict, total=False):
    """DescribeCluster (API key 60) response, v0-2"""

    throttle_time_ms: int  # v0+
    error_code: int  # v0+
    error_message: Optional[str]  # v0+, null v0+
    endpoint_type: int  # v1+, default 1
    cluster_id: str  # v0+
    controller_id: int  # v0+, default -1
    brokers: list[DescribeClusterBroker]  # v0+
    cluster_authorized_operations: int  # v0+, default -2147483648
