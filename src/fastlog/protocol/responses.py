"""Typed shapes of the responses handlers build, one TypedDict per struct of the response tables.

GENERATED from schema.py by `python -m fastlog.protocol.gen_responses`: do not edit by hand.

A shape is a plain dict at run time (`HeartbeatResponse(error_code=27)` is `{"error_code": 27}`),
so building one costs what a dict literal costs. The classes are for mypy only (TYPE_CHECKING):
at run time each name is `dict` itself, as creating the classes took ~20 ms of every broker start.
Every key is optional (total=False): a key left out takes its schema default when encoded, and
keys of newer versions are skipped for older ones.
mypy checks key names and value types; the codec refuses unknown keys at run time anyway.
The comment after each field says what it is, the versions that carry it and any explicit default.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, TypedDict

if TYPE_CHECKING:
    class BatchIndexAndErrorMessage(TypedDict, total=False):
        """An item of ProduceResponse.responses.partition_responses.record_errors"""

        batch_index: int  # failed batch's index; v8+
        batch_index_error_message: Optional[str]  # why it failed; v8+, null v8+

    class ProduceLeaderIdAndEpoch(TypedDict, total=False):
        """ProduceResponse.responses.partition_responses.current_leader"""

        leader_id: int  # leader node; v10+, default -1
        leader_epoch: int  # leader epoch; v10+, default -1

    class PartitionProduceResponse(TypedDict, total=False):
        """An item of ProduceResponse.responses.partition_responses"""

        index: int  # partition; v0+
        error_code: int  # error; v0+
        base_offset: int  # first offset appended; v0+
        log_append_time_ms: int  # broker time (-1: create time); v2+, default -1
        log_start_offset: int  # first offset kept; v5+, default -1
        record_errors: list[BatchIndexAndErrorMessage]  # per-batch errors; v8+
        error_message: Optional[str]  # error text; v8+, null v8+
        current_leader: ProduceLeaderIdAndEpoch  # leader hint; v10+, tag 0

    class TopicProduceResponse(TypedDict, total=False):
        """An item of ProduceResponse.responses"""

        name: str  # topic; v0-12
        topic_id: bytes  # topic uuid; v13+
        partition_responses: list[PartitionProduceResponse]  # per partition; v0+

    class ProduceNodeEndpoint(TypedDict, total=False):
        """An item of ProduceResponse.node_endpoints"""

        node_id: int  # node; v10+
        host: str  # address; v10+
        port: int  # port; v10+
        rack: Optional[str]  # rack; v10+, null v10+

    class ProduceResponse(TypedDict, total=False):
        """Produce (API key 0) response, v0-13"""

        responses: list[TopicProduceResponse]  # per topic; v0+
        throttle_time_ms: int  # quota delay; v1+, default 0
        node_endpoints: list[ProduceNodeEndpoint]  # leaders' addresses; v10+, tag 0

    class FetchEpochEndOffset(TypedDict, total=False):
        """FetchResponse.responses.partitions.diverging_epoch"""

        epoch: int  # leader epoch; v12+, default -1
        end_offset: int  # epoch's end; v12+, default -1

    class FetchLeaderIdAndEpoch(TypedDict, total=False):
        """FetchResponse.responses.partitions.current_leader"""

        leader_id: int  # leader node; v12+, default -1
        leader_epoch: int  # leader epoch; v12+, default -1

    class SnapshotId(TypedDict, total=False):
        """FetchResponse.responses.partitions.snapshot_id"""

        end_offset: int  # snapshot's end; v0+, default -1
        epoch: int  # snapshot's epoch; v0+, default -1

    class AbortedTransaction(TypedDict, total=False):
        """An item of FetchResponse.responses.partitions.aborted_transactions"""

        producer_id: int  # producer id; v4+
        first_offset: int  # txn's first offset; v4+

    class FetchPartitionData(TypedDict, total=False):
        """An item of FetchResponse.responses.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        high_watermark: int  # end of committed records; v0+
        last_stable_offset: int  # first open txn offset; v4+, default -1
        log_start_offset: int  # first offset kept; v5+, default -1
        diverging_epoch: FetchEpochEndOffset  # where the log diverges; v12+, tag 0
        current_leader: FetchLeaderIdAndEpoch  # leader hint; v12+, tag 1
        snapshot_id: SnapshotId  # snapshot to fetch; v12+, tag 2
        aborted_transactions: Optional[list[AbortedTransaction]]  # aborted txns in range; v4+, null v4+
        preferred_read_replica: int  # fetch from (-1: here); v11+, default -1
        records: Any  # record batches; v0+, null v0+

    class FetchableTopicResponse(TypedDict, total=False):
        """An item of FetchResponse.responses"""

        topic: str  # topic; v0-12
        topic_id: bytes  # topic uuid; v13+
        partitions: list[FetchPartitionData]  # per partition; v0+

    class FetchNodeEndpoint(TypedDict, total=False):
        """An item of FetchResponse.node_endpoints"""

        node_id: int  # node; v16+
        host: str  # address; v16+
        port: int  # port; v16+
        rack: Optional[str]  # rack; v16+, null v16+

    class FetchResponse(TypedDict, total=False):
        """Fetch (API key 1) response, v4-18"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # session error; v7+
        session_id: int  # fetch session; v7+, default 0
        responses: list[FetchableTopicResponse]  # per topic; v0+
        node_endpoints: list[FetchNodeEndpoint]  # leaders' addresses; v16+, tag 0

    class ListOffsetsPartitionResponse(TypedDict, total=False):
        """An item of ListOffsetsResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        timestamp: int  # its timestamp; v1+, default -1
        offset: int  # found offset; v1+, default -1
        leader_epoch: int  # leader epoch; v4+, default -1

    class ListOffsetsTopicResponse(TypedDict, total=False):
        """An item of ListOffsetsResponse.topics"""

        name: str  # topic; v0+
        partitions: list[ListOffsetsPartitionResponse]  # per partition; v0+

    class ListOffsetsResponse(TypedDict, total=False):
        """ListOffsets (API key 2) response, v1-11"""

        throttle_time_ms: int  # quota delay; v2+
        topics: list[ListOffsetsTopicResponse]  # per topic; v0+

    class MetadataResponseBroker(TypedDict, total=False):
        """An item of MetadataResponse.brokers"""

        node_id: int  # node; v0+
        host: str  # address; v0+
        port: int  # port; v0+
        rack: Optional[str]  # rack; v1+, null v1+

    class MetadataResponsePartition(TypedDict, total=False):
        """An item of MetadataResponse.topics.partitions"""

        error_code: int  # error; v0+
        partition_index: int  # partition; v0+
        leader_id: int  # leader node; v0+
        leader_epoch: int  # leader epoch; v7+, default -1
        replica_nodes: list[int]  # replicas; v0+
        isr_nodes: list[int]  # in-sync replicas; v0+
        offline_replicas: list[int]  # replicas down; v5+

    class MetadataResponseTopic(TypedDict, total=False):
        """An item of MetadataResponse.topics"""

        error_code: int  # error; v0+
        name: Optional[str]  # topic; v0+, null v12+
        topic_id: bytes  # topic uuid; v10+
        is_internal: bool  # internal topic; v1+, default False
        partitions: list[MetadataResponsePartition]  # per partition; v0+
        topic_authorized_operations: int  # allowed topic ops bitfield; v8+, default -2147483648

    class MetadataResponse(TypedDict, total=False):
        """Metadata (API key 3) response, v0-13"""

        throttle_time_ms: int  # quota delay; v3+
        brokers: list[MetadataResponseBroker]  # this node; v0+
        cluster_id: Optional[str]  # cluster; v2+, null v2+
        controller_id: int  # controller node; v1+, default -1
        topics: list[MetadataResponseTopic]  # per topic; v0+
        cluster_authorized_operations: int  # allowed cluster ops bitfield; v8-10, default -2147483648
        error_code: int  # error; v13+

    class OffsetCommitResponsePartition(TypedDict, total=False):
        """An item of OffsetCommitResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+

    class OffsetCommitResponseTopic(TypedDict, total=False):
        """An item of OffsetCommitResponse.topics"""

        name: str  # topic; v0-9
        topic_id: bytes  # topic (v10+); v10+
        partitions: list[OffsetCommitResponsePartition]  # per partition; v0+

    class OffsetCommitResponse(TypedDict, total=False):
        """OffsetCommit (API key 8) response, v2-10"""

        throttle_time_ms: int  # quota delay; v3+
        topics: list[OffsetCommitResponseTopic]  # per topic; v0+

    class OffsetFetchResponsePartition(TypedDict, total=False):
        """An item of OffsetFetchResponse.topics.partitions"""

        partition_index: int  # partition; v0-7
        committed_offset: int  # committed position; v0-7
        committed_leader_epoch: int  # epoch of the offset; v5-7, default -1
        metadata: Optional[str]  # client's note; v0-7, null v0-7
        error_code: int  # error; v0-7

    class OffsetFetchResponseTopic(TypedDict, total=False):
        """An item of OffsetFetchResponse.topics"""

        name: str  # topic; v0-7
        partitions: list[OffsetFetchResponsePartition]  # per partition; v0-7

    class OffsetFetchResponsePartitions(TypedDict, total=False):
        """An item of OffsetFetchResponse.groups.topics.partitions"""

        partition_index: int  # partition; v8+
        committed_offset: int  # committed position; v8+
        committed_leader_epoch: int  # epoch of the offset; v8+, default -1
        metadata: Optional[str]  # client's note; v8+, null v8+
        error_code: int  # error; v8+

    class OffsetFetchResponseTopics(TypedDict, total=False):
        """An item of OffsetFetchResponse.groups.topics"""

        name: str  # topic; v8-9
        topic_id: bytes  # topic (v10+); v10+
        partitions: list[OffsetFetchResponsePartitions]  # per partition; v8+

    class OffsetFetchResponseGroup(TypedDict, total=False):
        """An item of OffsetFetchResponse.groups"""

        group_id: str  # group; v8+
        topics: list[OffsetFetchResponseTopics]  # per topic; v8+
        error_code: int  # error; v8+, default 0

    class OffsetFetchResponse(TypedDict, total=False):
        """OffsetFetch (API key 9) response, v1-10"""

        throttle_time_ms: int  # quota delay; v3+
        topics: list[OffsetFetchResponseTopic]  # per topic; v0-7
        error_code: int  # error; v2-7, default 0
        groups: list[OffsetFetchResponseGroup]  # groups; v8+

    class Coordinator(TypedDict, total=False):
        """An item of FindCoordinatorResponse.coordinators"""

        key: str  # group/txn id; v4+
        node_id: int  # node; v4+
        host: str  # address; v4+
        port: int  # port; v4+
        error_code: int  # error; v4+
        error_message: Optional[str]  # error text; v4+, null v4+

    class FindCoordinatorResponse(TypedDict, total=False):
        """FindCoordinator (API key 10) response, v0-6"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # error; v0-3
        error_message: Optional[str]  # error text; v1-3, null v1-3
        node_id: int  # node; v0-3
        host: str  # address; v0-3
        port: int  # port; v0-3
        coordinators: list[Coordinator]  # one per key; v4+

    class JoinGroupResponseMember(TypedDict, total=False):
        """An item of JoinGroupResponse.members"""

        member_id: str  # member; v0+
        group_instance_id: Optional[str]  # static member id; v5+, null v5+
        metadata: bytes  # subscription bytes; v0+

    class JoinGroupResponse(TypedDict, total=False):
        """JoinGroup (API key 11) response, v0-9"""

        throttle_time_ms: int  # quota delay; v2+
        error_code: int  # error; v0+
        generation_id: int  # group generation; v0+, default -1
        protocol_type: Optional[str]  # e.g. consumer; v7+, null v7+
        protocol_name: Optional[str]  # chosen protocol; v0+, null v7+
        leader: str  # leader's member id; v0+
        skip_assignment: bool  # leader need not assign; v9+, default False
        member_id: str  # member; v0+
        members: list[JoinGroupResponseMember]  # all members (leader only); v0+

    class HeartbeatResponse(TypedDict, total=False):
        """Heartbeat (API key 12) response, v0-4"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # error; v0+

    class MemberResponse(TypedDict, total=False):
        """An item of LeaveGroupResponse.members"""

        member_id: str  # member; v3+
        group_instance_id: Optional[str]  # static member id; v3+, null v3+
        error_code: int  # error; v3+

    class LeaveGroupResponse(TypedDict, total=False):
        """LeaveGroup (API key 13) response, v0-5"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # error; v0+
        members: list[MemberResponse]  # members; v3+

    class SyncGroupResponse(TypedDict, total=False):
        """SyncGroup (API key 14) response, v0-5"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # error; v0+
        protocol_type: Optional[str]  # e.g. consumer; v5+, null v5+
        protocol_name: Optional[str]  # chosen protocol; v5+, null v5+
        assignment: bytes  # this member's partitions; v0+

    class DescribedGroupMember(TypedDict, total=False):
        """An item of DescribeGroupsResponse.groups.members"""

        member_id: str  # member; v0+
        group_instance_id: Optional[str]  # static member id; v4+, null v4+
        client_id: str  # member's client id; v0+
        client_host: str  # member's address; v0+
        member_metadata: bytes  # subscription bytes; v0+
        member_assignment: bytes  # assignment bytes; v0+

    class DescribeGroupsDescribedGroup(TypedDict, total=False):
        """An item of DescribeGroupsResponse.groups"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v6+, null v6+
        group_id: str  # group; v0+
        group_state: str  # state name; v0+
        protocol_type: str  # e.g. consumer; v0+
        protocol_data: str  # chosen protocol; v0+
        members: list[DescribedGroupMember]  # members; v0+
        authorized_operations: int  # allowed ACL ops bitfield; v3+, default -2147483648

    class DescribeGroupsResponse(TypedDict, total=False):
        """DescribeGroups (API key 15) response, v0-6"""

        throttle_time_ms: int  # quota delay; v1+
        groups: list[DescribeGroupsDescribedGroup]  # groups; v0+

    class ListedGroup(TypedDict, total=False):
        """An item of ListGroupsResponse.groups"""

        group_id: str  # group; v0+
        protocol_type: str  # e.g. consumer; v0+
        group_state: str  # state name; v4+
        group_type: str  # classic/consumer; v5+

    class ListGroupsResponse(TypedDict, total=False):
        """ListGroups (API key 16) response, v0-5"""

        throttle_time_ms: int  # quota delay; v1+
        error_code: int  # error; v0+
        groups: list[ListedGroup]  # groups; v0+

    class SaslHandshakeResponse(TypedDict, total=False):
        """SaslHandshake (API key 17) response, v0-1"""

        error_code: int  # error; v0+
        mechanisms: list[str]  # mechanisms offered; v0+

    class ApiVersion(TypedDict, total=False):
        """An item of ApiVersionsResponse.api_keys"""

        api_key: int  # API; v0+
        min_version: int  # lowest; v0+
        max_version: int  # highest; v0+

    class SupportedFeatureKey(TypedDict, total=False):
        """An item of ApiVersionsResponse.supported_features"""

        name: str  # feature; v3+
        min_version: int  # lowest; v3+
        max_version: int  # highest; v3+

    class FinalizedFeatureKey(TypedDict, total=False):
        """An item of ApiVersionsResponse.finalized_features"""

        name: str  # feature; v3+
        max_version_level: int  # highest level; v3+
        min_version_level: int  # lowest level; v3+

    class ApiVersionsResponse(TypedDict, total=False):
        """ApiVersions (API key 18) response, v0-5"""

        error_code: int  # error; v0+
        api_keys: list[ApiVersion]  # APIs served; v0+
        throttle_time_ms: int  # quota delay; v1+
        supported_features: list[SupportedFeatureKey]  # feature ranges; v3+, tag 0
        finalized_features_epoch: int  # their version; v3+, tag 1, default -1
        finalized_features: list[FinalizedFeatureKey]  # cluster feature levels; v3+, tag 2
        zk_migration_ready: bool  # ready for ZK migration; v3+, tag 3, default False

    class CreatableTopicConfigs(TypedDict, total=False):
        """An item of CreateTopicsResponse.topics.configs"""

        name: str  # config; v5+
        value: Optional[str]  # value; v5+, null v5+
        read_only: bool  # cannot be changed; v5+
        config_source: int  # where the value comes from; v5+, default -1
        is_sensitive: bool  # value hidden; v5+

    class CreatableTopicResult(TypedDict, total=False):
        """An item of CreateTopicsResponse.topics"""

        name: str  # topic; v0+
        topic_id: bytes  # topic uuid; v7+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v1+, null v0+
        topic_config_error_code: int  # configs error; v5+, tag 0
        num_partitions: int  # partitions (-1: default); v5+, default -1
        replication_factor: int  # copies (-1: default); v5+, default -1
        configs: Optional[list[CreatableTopicConfigs]]  # resulting configs; v5+, null v5+

    class CreateTopicsResponse(TypedDict, total=False):
        """CreateTopics (API key 19) response, v2-7"""

        throttle_time_ms: int  # quota delay; v2+
        topics: list[CreatableTopicResult]  # per topic; v0+

    class DeletableTopicResult(TypedDict, total=False):
        """An item of DeleteTopicsResponse.responses"""

        name: Optional[str]  # topic; v0+, null v6+
        topic_id: bytes  # topic uuid; v6+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v5+, null v5+

    class DeleteTopicsResponse(TypedDict, total=False):
        """DeleteTopics (API key 20) response, v1-6"""

        throttle_time_ms: int  # quota delay; v1+
        responses: list[DeletableTopicResult]  # per topic; v0+

    class DeleteRecordsPartitionResult(TypedDict, total=False):
        """An item of DeleteRecordsResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        low_watermark: int  # new log start; v0+
        error_code: int  # error; v0+

    class DeleteRecordsTopicResult(TypedDict, total=False):
        """An item of DeleteRecordsResponse.topics"""

        name: str  # topic; v0+
        partitions: list[DeleteRecordsPartitionResult]  # per partition; v0+

    class DeleteRecordsResponse(TypedDict, total=False):
        """DeleteRecords (API key 21) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        topics: list[DeleteRecordsTopicResult]  # per topic; v0+

    class InitProducerIdResponse(TypedDict, total=False):
        """InitProducerId (API key 22) response, v0-5"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        producer_id: int  # producer id; v0+, default -1
        producer_epoch: int  # producer epoch; v0+

    class OffsetForLeaderEpochEndOffset(TypedDict, total=False):
        """An item of OffsetForLeaderEpochResponse.topics.partitions"""

        error_code: int  # error; v0+
        partition: int  # partition; v0+
        leader_epoch: int  # largest epoch <= asked; v1+, default -1
        end_offset: int  # epoch's end; v0+, default -1

    class OffsetForLeaderTopicResult(TypedDict, total=False):
        """An item of OffsetForLeaderEpochResponse.topics"""

        topic: str  # topic; v0+
        partitions: list[OffsetForLeaderEpochEndOffset]  # per partition; v0+

    class OffsetForLeaderEpochResponse(TypedDict, total=False):
        """OffsetForLeaderEpoch (API key 23) response, v2-4"""

        throttle_time_ms: int  # quota delay; v2+
        topics: list[OffsetForLeaderTopicResult]  # per topic; v0+

    class AddPartitionsToTxnPartitionResult(TypedDict, total=False):
        """An item of AddPartitionsToTxnResponse.results_by_transaction.topic_results.results_by_partition"""

        partition_index: int  # partition; v0+
        partition_error_code: int  # error; v0+

    class AddPartitionsToTxnTopicResult(TypedDict, total=False):
        """An item of AddPartitionsToTxnResponse.results_by_transaction.topic_results"""

        name: str  # topic; v0+
        results_by_partition: list[AddPartitionsToTxnPartitionResult]  # per partition; v0+

    class AddPartitionsToTxnResult(TypedDict, total=False):
        """An item of AddPartitionsToTxnResponse.results_by_transaction"""

        transactional_id: str  # txn id; v4+
        topic_results: list[AddPartitionsToTxnTopicResult]  # per topic; v4+

    class AddPartitionsToTxnResponse(TypedDict, total=False):
        """AddPartitionsToTxn (API key 24) response, v0-5"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # top-level error; v4+
        results_by_transaction: list[AddPartitionsToTxnResult]  # per transaction; v4+
        results_by_topic_v3_and_below: list[AddPartitionsToTxnTopicResult]  # per topic; v0-3

    class AddOffsetsToTxnResponse(TypedDict, total=False):
        """AddOffsetsToTxn (API key 25) response, v0-4"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+

    class EndTxnResponse(TypedDict, total=False):
        """EndTxn (API key 26) response, v0-5"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        producer_id: int  # new producer id (transaction.version 2); v5+, default -1
        producer_epoch: int  # new epoch (transaction.version 2); v5+, default -1

    class WritableTxnMarkerPartitionResult(TypedDict, total=False):
        """An item of WriteTxnMarkersResponse.markers.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+

    class WritableTxnMarkerTopicResult(TypedDict, total=False):
        """An item of WriteTxnMarkersResponse.markers.topics"""

        name: str  # topic; v0+
        partitions: list[WritableTxnMarkerPartitionResult]  # per partition; v0+

    class WritableTxnMarkerResult(TypedDict, total=False):
        """An item of WriteTxnMarkersResponse.markers"""

        producer_id: int  # producer id; v0+
        topics: list[WritableTxnMarkerTopicResult]  # per topic; v0+

    class WriteTxnMarkersResponse(TypedDict, total=False):
        """WriteTxnMarkers (API key 27) response, v1-2"""

        markers: list[WritableTxnMarkerResult]  # per producer; v0+

    class TxnOffsetCommitResponsePartition(TypedDict, total=False):
        """An item of TxnOffsetCommitResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+

    class TxnOffsetCommitResponseTopic(TypedDict, total=False):
        """An item of TxnOffsetCommitResponse.topics"""

        name: str  # topic; v0-5
        topic_id: bytes  # topic (by id); v6+
        partitions: list[TxnOffsetCommitResponsePartition]  # per partition; v0+

    class TxnOffsetCommitResponse(TypedDict, total=False):
        """TxnOffsetCommit (API key 28) response, v0-6"""

        throttle_time_ms: int  # quota delay; v0+
        topics: list[TxnOffsetCommitResponseTopic]  # per topic; v0+

    class AclDescription(TypedDict, total=False):
        """An item of DescribeAclsResponse.resources.acls"""

        principal: str  # User:name; v0+
        host: str  # host; v0+
        operation: int  # operation; v0+
        permission_type: int  # allow, deny; v0+

    class DescribeAclsResource(TypedDict, total=False):
        """An item of DescribeAclsResponse.resources"""

        resource_type: int  # type; v0+
        resource_name: str  # name; v0+
        pattern_type: int  # pattern type; v1+, default 3
        acls: list[AclDescription]  # its ACLs; v0+

    class DescribeAclsResponse(TypedDict, total=False):
        """DescribeAcls (API key 29) response, v1-3"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        resources: list[DescribeAclsResource]  # matching resources; v0+

    class AclCreationResult(TypedDict, total=False):
        """An item of CreateAclsResponse.results"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class CreateAclsResponse(TypedDict, total=False):
        """CreateAcls (API key 30) response, v1-3"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[AclCreationResult]  # per creation; v0+

    class DeleteAclsMatchingAcl(TypedDict, total=False):
        """An item of DeleteAclsResponse.filter_results.matching_acls"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        resource_type: int  # type; v0+
        resource_name: str  # name; v0+
        pattern_type: int  # pattern type; v1+, default 3
        principal: str  # User:name; v0+
        host: str  # host; v0+
        operation: int  # operation; v0+
        permission_type: int  # allow, deny; v0+

    class DeleteAclsFilterResult(TypedDict, total=False):
        """An item of DeleteAclsResponse.filter_results"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        matching_acls: list[DeleteAclsMatchingAcl]  # deleted ACLs; v0+

    class DeleteAclsResponse(TypedDict, total=False):
        """DeleteAcls (API key 31) response, v1-3"""

        throttle_time_ms: int  # quota delay; v0+
        filter_results: list[DeleteAclsFilterResult]  # per filter; v0+

    class DescribeConfigsSynonym(TypedDict, total=False):
        """An item of DescribeConfigsResponse.results.configs.synonyms"""

        name: str  # config name; v1+
        value: Optional[str]  # value; v1+, null v0+
        source: int  # where it comes from; v1+

    class DescribeConfigsResourceResult(TypedDict, total=False):
        """An item of DescribeConfigsResponse.results.configs"""

        name: str  # config; v0+
        value: Optional[str]  # value; v0+, null v0+
        read_only: bool  # cannot be changed; v0+
        config_source: int  # where the value comes from; v1+, default -1
        is_sensitive: bool  # value hidden; v0+
        synonyms: list[DescribeConfigsSynonym]  # other sources of it; v1+
        config_type: int  # value type; v3+, default 0
        documentation: Optional[str]  # config help text; v3+, null v0+

    class DescribeConfigsResult(TypedDict, total=False):
        """An item of DescribeConfigsResponse.results"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        resource_type: int  # 2 topic, 4 broker; v0+
        resource_name: str  # topic or broker; v0+
        configs: list[DescribeConfigsResourceResult]  # config entries; v0+

    class DescribeConfigsResponse(TypedDict, total=False):
        """DescribeConfigs (API key 32) response, v1-4"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[DescribeConfigsResult]  # per resource; v0+

    class AlterConfigsResourceResponse(TypedDict, total=False):
        """An item of AlterConfigsResponse.responses"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        resource_type: int  # 2 topic, 4 broker; v0+
        resource_name: str  # topic or broker; v0+

    class AlterConfigsResponse(TypedDict, total=False):
        """AlterConfigs (API key 33) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        responses: list[AlterConfigsResourceResponse]  # per resource; v0+

    class AlterReplicaLogDirPartitionResult(TypedDict, total=False):
        """An item of AlterReplicaLogDirsResponse.results.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+

    class AlterReplicaLogDirTopicResult(TypedDict, total=False):
        """An item of AlterReplicaLogDirsResponse.results"""

        topic_name: str  # topic; v0+
        partitions: list[AlterReplicaLogDirPartitionResult]  # per partition; v0+

    class AlterReplicaLogDirsResponse(TypedDict, total=False):
        """AlterReplicaLogDirs (API key 34) response, v1-2"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[AlterReplicaLogDirTopicResult]  # per topic; v0+

    class DescribeLogDirsPartition(TypedDict, total=False):
        """An item of DescribeLogDirsResponse.results.topics.partitions"""

        partition_index: int  # partition; v0+
        partition_size: int  # segment bytes; v0+
        offset_lag: int  # LEO minus high watermark; v0+
        is_future_key: bool  # a log being moved here; v0+

    class DescribeLogDirsTopic(TypedDict, total=False):
        """An item of DescribeLogDirsResponse.results.topics"""

        name: str  # topic; v0+
        partitions: list[DescribeLogDirsPartition]  # per partition; v0+

    class DescribeLogDirsResult(TypedDict, total=False):
        """An item of DescribeLogDirsResponse.results"""

        error_code: int  # dir error; v0+
        log_dir: str  # absolute path; v0+
        topics: list[DescribeLogDirsTopic]  # topics in it; v0+
        total_bytes: int  # volume size; v4+, default -1
        usable_bytes: int  # volume free space; v4+, default -1
        is_cordoned: bool  # closed to new partitions; v5+, default False

    class DescribeLogDirsResponse(TypedDict, total=False):
        """DescribeLogDirs (API key 35) response, v1-5"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v3+
        results: list[DescribeLogDirsResult]  # per log dir; v0+

    class SaslAuthenticateResponse(TypedDict, total=False):
        """SaslAuthenticate (API key 36) response, v0-2"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        auth_bytes: bytes  # server token; v0+
        session_lifetime_ms: int  # reauth deadline (0: none); v1+, default 0

    class CreatePartitionsTopicResult(TypedDict, total=False):
        """An item of CreatePartitionsResponse.results"""

        name: str  # topic; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class CreatePartitionsResponse(TypedDict, total=False):
        """CreatePartitions (API key 37) response, v0-3"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[CreatePartitionsTopicResult]  # per topic; v0+

    class DeletableGroupResult(TypedDict, total=False):
        """An item of DeleteGroupsResponse.results"""

        group_id: str  # group; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why, or null; v3+, null v3+

    class DeleteGroupsResponse(TypedDict, total=False):
        """DeleteGroups (API key 42) response, v0-3"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[DeletableGroupResult]  # per group; v0+

    class PartitionResult(TypedDict, total=False):
        """An item of ElectLeadersResponse.replica_election_results.partition_result"""

        partition_id: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class ReplicaElectionResult(TypedDict, total=False):
        """An item of ElectLeadersResponse.replica_election_results"""

        topic: str  # topic; v0+
        partition_result: list[PartitionResult]  # per partition; v0+

    class ElectLeadersResponse(TypedDict, total=False):
        """ElectLeaders (API key 43) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v1+
        replica_election_results: list[ReplicaElectionResult]  # per topic; v0+

    class IncrementalAlterConfigsResourceResponse(TypedDict, total=False):
        """An item of IncrementalAlterConfigsResponse.responses"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        resource_type: int  # 2 topic, 4 broker; v0+
        resource_name: str  # topic or broker; v0+

    class IncrementalAlterConfigsResponse(TypedDict, total=False):
        """IncrementalAlterConfigs (API key 44) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        responses: list[IncrementalAlterConfigsResourceResponse]  # per resource; v0+

    class ReassignablePartitionResponse(TypedDict, total=False):
        """An item of AlterPartitionReassignmentsResponse.responses.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class ReassignableTopicResponse(TypedDict, total=False):
        """An item of AlterPartitionReassignmentsResponse.responses"""

        name: str  # topic; v0+
        partitions: list[ReassignablePartitionResponse]  # per partition; v0+

    class AlterPartitionReassignmentsResponse(TypedDict, total=False):
        """AlterPartitionReassignments (API key 45) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        allow_replication_factor_change: bool  # as asked; v1+, default True
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        responses: list[ReassignableTopicResponse]  # per topic; v0+

    class OngoingPartitionReassignment(TypedDict, total=False):
        """An item of ListPartitionReassignmentsResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        replicas: list[int]  # current replicas; v0+
        adding_replicas: list[int]  # being added; v0+
        removing_replicas: list[int]  # being removed; v0+

    class OngoingTopicReassignment(TypedDict, total=False):
        """An item of ListPartitionReassignmentsResponse.topics"""

        name: str  # topic; v0+
        partitions: list[OngoingPartitionReassignment]  # per partition; v0+

    class ListPartitionReassignmentsResponse(TypedDict, total=False):
        """ListPartitionReassignments (API key 46) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        topics: list[OngoingTopicReassignment]  # ongoing, per topic; v0+

    class OffsetDeleteResponsePartition(TypedDict, total=False):
        """An item of OffsetDeleteResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+

    class OffsetDeleteResponseTopic(TypedDict, total=False):
        """An item of OffsetDeleteResponse.topics"""

        name: str  # topic; v0+
        partitions: list[OffsetDeleteResponsePartition]  # per partition; v0+

    class OffsetDeleteResponse(TypedDict, total=False):
        """OffsetDelete (API key 47) response, v0"""

        error_code: int  # error; v0+
        throttle_time_ms: int  # quota delay; v0+
        topics: list[OffsetDeleteResponseTopic]  # per topic; v0+

    class DescribeClientQuotasEntityData(TypedDict, total=False):
        """An item of DescribeClientQuotasResponse.entries.entity"""

        entity_type: str  # user, client-id or ip; v0+
        entity_name: Optional[str]  # name (null: the default); v0+, null v0+

    class ValueData(TypedDict, total=False):
        """An item of DescribeClientQuotasResponse.entries.values"""

        key: str  # quota key; v0+
        value: float  # quota value; v0+

    class DescribeClientQuotasEntryData(TypedDict, total=False):
        """An item of DescribeClientQuotasResponse.entries"""

        entity: list[DescribeClientQuotasEntityData]  # the entity's parts; v0+
        values: list[ValueData]  # its quotas; v0+

    class DescribeClientQuotasResponse(TypedDict, total=False):
        """DescribeClientQuotas (API key 48) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        entries: Optional[list[DescribeClientQuotasEntryData]]  # matching entities; v0+, null v0+

    class AlterClientQuotasEntityData(TypedDict, total=False):
        """An item of AlterClientQuotasResponse.entries.entity"""

        entity_type: str  # user, client-id or ip; v0+
        entity_name: Optional[str]  # name (null: the default); v0+, null v0+

    class AlterClientQuotasEntryData(TypedDict, total=False):
        """An item of AlterClientQuotasResponse.entries"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        entity: list[AlterClientQuotasEntityData]  # the entity's parts; v0+

    class AlterClientQuotasResponse(TypedDict, total=False):
        """AlterClientQuotas (API key 49) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        entries: list[AlterClientQuotasEntryData]  # per entity; v0+

    class CredentialInfo(TypedDict, total=False):
        """An item of DescribeUserScramCredentialsResponse.results.credential_infos"""

        mechanism: int  # 1: SHA-256, 2: SHA-512; v0+
        iterations: int  # iterations; v0+

    class DescribeUserScramCredentialsResult(TypedDict, total=False):
        """An item of DescribeUserScramCredentialsResponse.results"""

        user: str  # user; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        credential_infos: list[CredentialInfo]  # credentials; v0+

    class DescribeUserScramCredentialsResponse(TypedDict, total=False):
        """DescribeUserScramCredentials (API key 50) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        results: list[DescribeUserScramCredentialsResult]  # per user; v0+

    class AlterUserScramCredentialsResult(TypedDict, total=False):
        """An item of AlterUserScramCredentialsResponse.results"""

        user: str  # user; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class AlterUserScramCredentialsResponse(TypedDict, total=False):
        """AlterUserScramCredentials (API key 51) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        results: list[AlterUserScramCredentialsResult]  # per user; v0+

    class ReplicaState(TypedDict, total=False):
        """An item of DescribeQuorumResponse.topics.partitions.current_voters"""

        replica_id: int  # node; v0+
        replica_directory_id: bytes  # its log dir id; v2+
        log_end_offset: int  # its log end; v0+
        last_fetch_timestamp: int  # last fetch time; v1+, default -1
        last_caught_up_timestamp: int  # last caught up time; v1+, default -1

    class DescribeQuorumPartitionData(TypedDict, total=False):
        """An item of DescribeQuorumResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v2+, null v2+
        leader_id: int  # quorum leader; v0+
        leader_epoch: int  # its epoch; v0+
        high_watermark: int  # high watermark; v0+
        current_voters: list[ReplicaState]  # voters; v0+
        observers: list[ReplicaState]  # observers; v0+

    class DescribeQuorumTopicData(TypedDict, total=False):
        """An item of DescribeQuorumResponse.topics"""

        topic_name: str  # topic; v0+
        partitions: list[DescribeQuorumPartitionData]  # per partition; v0+

    class Listener(TypedDict, total=False):
        """An item of DescribeQuorumResponse.nodes.listeners"""

        name: str  # listener name; v2+
        host: str  # address; v2+
        port: int  # port; v2+

    class Node(TypedDict, total=False):
        """An item of DescribeQuorumResponse.nodes"""

        node_id: int  # node; v2+
        listeners: list[Listener]  # its endpoints; v2+

    class DescribeQuorumResponse(TypedDict, total=False):
        """DescribeQuorum (API key 55) response, v0-2"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v2+, null v2+
        topics: list[DescribeQuorumTopicData]  # per topic; v0+
        nodes: list[Node]  # quorum nodes; v2+

    class UpdatableFeatureResult(TypedDict, total=False):
        """An item of UpdateFeaturesResponse.results"""

        feature: str  # feature name; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+

    class UpdateFeaturesResponse(TypedDict, total=False):
        """UpdateFeatures (API key 57) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        results: list[UpdatableFeatureResult]  # per feature; v0-1

    class DescribeClusterBroker(TypedDict, total=False):
        """An item of DescribeClusterResponse.brokers"""

        broker_id: int  # node id; v0+
        host: str  # address; v0+
        port: int  # port; v0+
        rack: Optional[str]  # rack; v0+, null v0+
        is_fenced: bool  # fenced; v2+

    class DescribeClusterResponse(TypedDict, total=False):
        """DescribeCluster (API key 60) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        endpoint_type: int  # as asked; v1+, default 1
        cluster_id: str  # cluster; v0+
        controller_id: int  # controller node; v0+, default -1
        brokers: list[DescribeClusterBroker]  # this node; v0+
        cluster_authorized_operations: int  # allowed cluster ops bitfield; v0+, default -2147483648

    class ProducerState(TypedDict, total=False):
        """An item of DescribeProducersResponse.topics.partitions.active_producers"""

        producer_id: int  # producer id; v0+
        producer_epoch: int  # producer epoch; v0+
        last_sequence: int  # last sequence written; v0+, default -1
        last_timestamp: int  # last batch's timestamp; v0+, default -1
        coordinator_epoch: int  # epoch of the last marker's coordinator; v0+
        current_txn_start_offset: int  # first offset of the open txn; v0+, default -1

    class PartitionResponse(TypedDict, total=False):
        """An item of DescribeProducersResponse.topics.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # error text; v0+, null v0+
        active_producers: list[ProducerState]  # producers with state here; v0+

    class TopicResponse(TypedDict, total=False):
        """An item of DescribeProducersResponse.topics"""

        name: str  # topic; v0+
        partitions: list[PartitionResponse]  # per partition; v0+

    class DescribeProducersResponse(TypedDict, total=False):
        """DescribeProducers (API key 61) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        topics: list[TopicResponse]  # per topic; v0+

    class DescribeTransactionsTopicData(TypedDict, total=False):
        """An item of DescribeTransactionsResponse.transaction_states.topics"""

        topic: str  # topic; v0+
        partitions: list[int]  # partition indexes; v0+

    class DescribeTransactionsTransactionState(TypedDict, total=False):
        """An item of DescribeTransactionsResponse.transaction_states"""

        error_code: int  # error; v0+
        transactional_id: str  # txn id; v0+
        transaction_state: str  # Empty, Ongoing, ...; v0+
        transaction_timeout_ms: int  # txn time limit; v0+
        transaction_start_time_ms: int  # when it began (-1 none); v0+
        producer_id: int  # producer id; v0+
        producer_epoch: int  # producer epoch; v0+
        topics: list[DescribeTransactionsTopicData]  # partitions in the txn; v0+

    class DescribeTransactionsResponse(TypedDict, total=False):
        """DescribeTransactions (API key 65) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        transaction_states: list[DescribeTransactionsTransactionState]  # per txn id; v0+

    class ListTransactionsTransactionState(TypedDict, total=False):
        """An item of ListTransactionsResponse.transaction_states"""

        transactional_id: str  # txn id; v0+
        producer_id: int  # producer id; v0+
        transaction_state: str  # state name; v0+

    class ListTransactionsResponse(TypedDict, total=False):
        """ListTransactions (API key 66) response, v0-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        unknown_state_filters: list[str]  # filters naming no state; v0+
        transaction_states: list[ListTransactionsTransactionState]  # matching txns; v0+

    class ConsumerGroupHeartbeatTopicPartitions(TypedDict, total=False):
        """An item of ConsumerGroupHeartbeatResponse.assignment.topic_partitions"""

        topic_id: bytes  # topic uuid; v0+
        partitions: list[int]  # partitions; v0+

    class ConsumerGroupHeartbeatAssignment(TypedDict, total=False):
        """ConsumerGroupHeartbeatResponse.assignment"""

        topic_partitions: list[ConsumerGroupHeartbeatTopicPartitions]  # usable now; v0+

    class ConsumerGroupHeartbeatResponse(TypedDict, total=False):
        """ConsumerGroupHeartbeat (API key 68) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        member_id: Optional[str]  # member; v0+, null v0+
        member_epoch: int  # member's epoch; v0+
        heartbeat_interval_ms: int  # next heartbeat in; v0+
        assignment: Optional[ConsumerGroupHeartbeatAssignment]  # null: unchanged; v0+, null v0+

    class ConsumerGroupDescribeTopicPartitions(TypedDict, total=False):
        """An item of ConsumerGroupDescribeResponse.groups.members.assignment.topic_partitions"""

        topic_id: bytes  # topic uuid; v0+
        topic_name: str  # topic; v0+
        partitions: list[int]  # partitions; v0+

    class ConsumerGroupDescribeAssignment(TypedDict, total=False):
        """ConsumerGroupDescribeResponse.groups.members.assignment"""

        topic_partitions: list[ConsumerGroupDescribeTopicPartitions]  # per topic; v0+

    class ConsumerGroupDescribeMember(TypedDict, total=False):
        """An item of ConsumerGroupDescribeResponse.groups.members"""

        member_id: str  # member; v0+
        instance_id: Optional[str]  # static member id; v0+, null v0+
        rack_id: Optional[str]  # rack; v0+, null v0+
        member_epoch: int  # member epoch; v0+
        client_id: str  # client; v0+
        client_host: str  # client address; v0+
        subscribed_topic_names: list[str]  # topics; v0+
        subscribed_topic_regex: Optional[str]  # regex; v0+, null v0+
        assignment: ConsumerGroupDescribeAssignment  # current; v0+
        target_assignment: ConsumerGroupDescribeAssignment  # target; v0+
        member_type: int  # -1 unknown, 0 classic, 1 consumer; v1+, default -1

    class ConsumerGroupDescribeDescribedGroup(TypedDict, total=False):
        """An item of ConsumerGroupDescribeResponse.groups"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        group_id: str  # group; v0+
        group_state: str  # Empty/Assigning/Reconciling/Stable/Dead; v0+
        group_epoch: int  # group epoch; v0+
        assignment_epoch: int  # target assignment epoch; v0+
        assignor_name: str  # uniform/range; v0+
        members: list[ConsumerGroupDescribeMember]  # members; v0+
        authorized_operations: int  # allowed ops bitfield; v0+, default -2147483648

    class ConsumerGroupDescribeResponse(TypedDict, total=False):
        """ConsumerGroupDescribe (API key 69) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        groups: list[ConsumerGroupDescribeDescribedGroup]  # per group; v0+

    class GetTelemetrySubscriptionsResponse(TypedDict, total=False):
        """GetTelemetrySubscriptions (API key 71) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        client_instance_id: bytes  # assigned id; v0+
        subscription_id: int  # subscription set id; v0+
        accepted_compression_types: list[int]  # push codecs accepted; v0+
        push_interval_ms: int  # push interval; v0+
        telemetry_max_bytes: int  # largest push accepted; v0+
        delta_temporality: bool  # counters as deltas; v0+
        requested_metrics: list[str]  # metric prefixes wanted; v0+

    class PushTelemetryResponse(TypedDict, total=False):
        """PushTelemetry (API key 72) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+

    class ConfigResource(TypedDict, total=False):
        """An item of ListConfigResourcesResponse.config_resources"""

        resource_name: str  # name; v0+
        resource_type: int  # type; v1+, default 16

    class ListConfigResourcesResponse(TypedDict, total=False):
        """ListConfigResources (API key 74) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        config_resources: list[ConfigResource]  # per resource; v0+

    class DescribeTopicPartitionsResponsePartition(TypedDict, total=False):
        """An item of DescribeTopicPartitionsResponse.topics.partitions"""

        error_code: int  # error; v0+
        partition_index: int  # partition; v0+
        leader_id: int  # leader node; v0+
        leader_epoch: int  # leader epoch; v0+, default -1
        replica_nodes: list[int]  # replicas; v0+
        isr_nodes: list[int]  # in-sync replicas; v0+
        eligible_leader_replicas: Optional[list[int]]  # ELR (KIP-966); v0+, null v0+
        last_known_elr: Optional[list[int]]  # last known ELR; v0+, null v0+
        offline_replicas: list[int]  # replicas down; v0+

    class DescribeTopicPartitionsResponseTopic(TypedDict, total=False):
        """An item of DescribeTopicPartitionsResponse.topics"""

        error_code: int  # error; v0+
        name: Optional[str]  # topic; v0+, null v0+
        topic_id: bytes  # topic uuid; v0+
        is_internal: bool  # internal topic; v0+, default False
        partitions: list[DescribeTopicPartitionsResponsePartition]  # per partition; v0+
        topic_authorized_operations: int  # allowed topic ops bitfield; v0+, default -2147483648

    class Cursor(TypedDict, total=False):
        """DescribeTopicPartitionsResponse.next_cursor"""

        topic_name: str  # its topic; v0+
        partition_index: int  # its partition; v0+

    class DescribeTopicPartitionsResponse(TypedDict, total=False):
        """DescribeTopicPartitions (API key 75) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        topics: list[DescribeTopicPartitionsResponseTopic]  # per topic; v0+
        next_cursor: Optional[Cursor]  # where the next page starts; v0+, null v0+

    class ShareGroupHeartbeatTopicPartitions(TypedDict, total=False):
        """An item of ShareGroupHeartbeatResponse.assignment.topic_partitions"""

        topic_id: bytes  # topic uuid; v0+
        partitions: list[int]  # partitions; v0+

    class ShareGroupHeartbeatAssignment(TypedDict, total=False):
        """ShareGroupHeartbeatResponse.assignment"""

        topic_partitions: list[ShareGroupHeartbeatTopicPartitions]  # assigned; v0+

    class ShareGroupHeartbeatResponse(TypedDict, total=False):
        """ShareGroupHeartbeat (API key 76) response, v1"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        member_id: Optional[str]  # member; v0+, null v0+
        member_epoch: int  # member's epoch; v0+
        heartbeat_interval_ms: int  # next heartbeat in; v0+
        assignment: Optional[ShareGroupHeartbeatAssignment]  # null: unchanged; v0+, null v0+

    class ShareGroupDescribeTopicPartitions(TypedDict, total=False):
        """An item of ShareGroupDescribeResponse.groups.members.assignment.topic_partitions"""

        topic_id: bytes  # topic uuid; v0+
        topic_name: str  # topic; v0+
        partitions: list[int]  # partitions; v0+

    class ShareGroupDescribeAssignment(TypedDict, total=False):
        """ShareGroupDescribeResponse.groups.members.assignment"""

        topic_partitions: list[ShareGroupDescribeTopicPartitions]  # per topic; v0+

    class ShareGroupDescribeMember(TypedDict, total=False):
        """An item of ShareGroupDescribeResponse.groups.members"""

        member_id: str  # member; v0+
        rack_id: Optional[str]  # rack; v0+, null v0+
        member_epoch: int  # member epoch; v0+
        client_id: str  # client; v0+
        client_host: str  # client address; v0+
        subscribed_topic_names: list[str]  # topics; v0+
        assignment: ShareGroupDescribeAssignment  # assigned; v0+

    class ShareGroupDescribeDescribedGroup(TypedDict, total=False):
        """An item of ShareGroupDescribeResponse.groups"""

        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        group_id: str  # group; v0+
        group_state: str  # Empty/Stable/Dead; v0+
        group_epoch: int  # group epoch; v0+
        assignment_epoch: int  # target assignment epoch; v0+
        assignor_name: str  # simple; v0+
        members: list[ShareGroupDescribeMember]  # members; v0+
        authorized_operations: int  # allowed ops bitfield; v0+, default -2147483648

    class ShareGroupDescribeResponse(TypedDict, total=False):
        """ShareGroupDescribe (API key 77) response, v1"""

        throttle_time_ms: int  # quota delay; v0+
        groups: list[ShareGroupDescribeDescribedGroup]  # per group; v0+

    class ShareFetchLeaderIdAndEpoch(TypedDict, total=False):
        """ShareFetchResponse.responses.partitions.current_leader"""

        leader_id: int  # node; v0+
        leader_epoch: int  # epoch; v0+

    class AcquiredRecords(TypedDict, total=False):
        """An item of ShareFetchResponse.responses.partitions.acquired_records"""

        first_offset: int  # first; v0+
        last_offset: int  # last (inclusive); v0+
        delivery_count: int  # delivery attempt; v0+

    class ShareFetchPartitionData(TypedDict, total=False):
        """An item of ShareFetchResponse.responses.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # fetch error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        acknowledge_error_code: int  # acknowledge error; v0+
        acknowledge_error_message: Optional[str]  # why; v0+, null v0+
        current_leader: ShareFetchLeaderIdAndEpoch  # leader; v0+
        records: Any  # record batches; v0+, null v0
        acquired_records: list[AcquiredRecords]  # the offsets acquired; v0+

    class ShareFetchableTopicResponse(TypedDict, total=False):
        """An item of ShareFetchResponse.responses"""

        topic_id: bytes  # topic uuid; v0+
        partitions: list[ShareFetchPartitionData]  # per partition; v0+

    class ShareFetchNodeEndpoint(TypedDict, total=False):
        """An item of ShareFetchResponse.node_endpoints"""

        node_id: int  # node; v0+
        host: str  # host; v0+
        port: int  # port; v0+
        rack: Optional[str]  # rack; v0+, null v0+

    class ShareFetchResponse(TypedDict, total=False):
        """ShareFetch (API key 78) response, v1-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        acquisition_lock_timeout_ms: int  # lock duration; v1+
        responses: list[ShareFetchableTopicResponse]  # per topic; v0+
        node_endpoints: list[ShareFetchNodeEndpoint]  # leaders' addresses; v0+

    class ShareAcknowledgeLeaderIdAndEpoch(TypedDict, total=False):
        """ShareAcknowledgeResponse.responses.partitions.current_leader"""

        leader_id: int  # node; v0+
        leader_epoch: int  # epoch; v0+

    class ShareAcknowledgePartitionData(TypedDict, total=False):
        """An item of ShareAcknowledgeResponse.responses.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        current_leader: ShareAcknowledgeLeaderIdAndEpoch  # leader; v0+

    class ShareAcknowledgeTopicResponse(TypedDict, total=False):
        """An item of ShareAcknowledgeResponse.responses"""

        topic_id: bytes  # topic uuid; v0+
        partitions: list[ShareAcknowledgePartitionData]  # per partition; v0+

    class ShareAcknowledgeNodeEndpoint(TypedDict, total=False):
        """An item of ShareAcknowledgeResponse.node_endpoints"""

        node_id: int  # node; v0+
        host: str  # host; v0+
        port: int  # port; v0+
        rack: Optional[str]  # rack; v0+, null v0+

    class ShareAcknowledgeResponse(TypedDict, total=False):
        """ShareAcknowledge (API key 79) response, v1-2"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        acquisition_lock_timeout_ms: int  # lock duration; v2+
        responses: list[ShareAcknowledgeTopicResponse]  # per topic; v0+
        node_endpoints: list[ShareAcknowledgeNodeEndpoint]  # leaders' addresses; v0+

    class DescribeShareGroupOffsetsResponsePartition(TypedDict, total=False):
        """An item of DescribeShareGroupOffsetsResponse.groups.topics.partitions"""

        partition_index: int  # partition; v0+
        start_offset: int  # SPSO (-1: not initialized); v0+
        leader_epoch: int  # leader epoch; v0+
        lag: int  # records not yet done; v1+, default -1
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+

    class DescribeShareGroupOffsetsResponseTopic(TypedDict, total=False):
        """An item of DescribeShareGroupOffsetsResponse.groups.topics"""

        topic_name: str  # topic; v0+
        topic_id: bytes  # topic uuid; v0+
        partitions: list[DescribeShareGroupOffsetsResponsePartition]  # per partition; v0+

    class DescribeShareGroupOffsetsResponseGroup(TypedDict, total=False):
        """An item of DescribeShareGroupOffsetsResponse.groups"""

        group_id: str  # group; v0+
        topics: list[DescribeShareGroupOffsetsResponseTopic]  # per topic; v0+
        error_code: int  # group error; v0+
        error_message: Optional[str]  # why; v0+, null v0+

    class DescribeShareGroupOffsetsResponse(TypedDict, total=False):
        """DescribeShareGroupOffsets (API key 90) response, v0-1"""

        throttle_time_ms: int  # quota delay; v0+
        groups: list[DescribeShareGroupOffsetsResponseGroup]  # per group; v0+

    class AlterShareGroupOffsetsResponsePartition(TypedDict, total=False):
        """An item of AlterShareGroupOffsetsResponse.responses.partitions"""

        partition_index: int  # partition; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+

    class AlterShareGroupOffsetsResponseTopic(TypedDict, total=False):
        """An item of AlterShareGroupOffsetsResponse.responses"""

        topic_name: str  # topic; v0+
        topic_id: bytes  # topic uuid; v0+
        partitions: list[AlterShareGroupOffsetsResponsePartition]  # per partition; v0+

    class AlterShareGroupOffsetsResponse(TypedDict, total=False):
        """AlterShareGroupOffsets (API key 91) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        responses: list[AlterShareGroupOffsetsResponseTopic]  # per topic; v0+

    class DeleteShareGroupOffsetsResponseTopic(TypedDict, total=False):
        """An item of DeleteShareGroupOffsetsResponse.responses"""

        topic_name: str  # topic; v0+
        topic_id: bytes  # topic uuid; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+

    class DeleteShareGroupOffsetsResponse(TypedDict, total=False):
        """DeleteShareGroupOffsets (API key 92) response, v0"""

        throttle_time_ms: int  # quota delay; v0+
        error_code: int  # error; v0+
        error_message: Optional[str]  # why; v0+, null v0+
        responses: list[DeleteShareGroupOffsetsResponseTopic]  # per topic; v0+
else:  # what a TypedDict call makes at run time: a plain dict
    AbortedTransaction = dict
    AclCreationResult = dict
    AclDescription = dict
    AcquiredRecords = dict
    AddOffsetsToTxnResponse = dict
    AddPartitionsToTxnPartitionResult = dict
    AddPartitionsToTxnResponse = dict
    AddPartitionsToTxnResult = dict
    AddPartitionsToTxnTopicResult = dict
    AlterClientQuotasEntityData = dict
    AlterClientQuotasEntryData = dict
    AlterClientQuotasResponse = dict
    AlterConfigsResourceResponse = dict
    AlterConfigsResponse = dict
    AlterPartitionReassignmentsResponse = dict
    AlterReplicaLogDirPartitionResult = dict
    AlterReplicaLogDirTopicResult = dict
    AlterReplicaLogDirsResponse = dict
    AlterShareGroupOffsetsResponse = dict
    AlterShareGroupOffsetsResponsePartition = dict
    AlterShareGroupOffsetsResponseTopic = dict
    AlterUserScramCredentialsResponse = dict
    AlterUserScramCredentialsResult = dict
    ApiVersion = dict
    ApiVersionsResponse = dict
    BatchIndexAndErrorMessage = dict
    ConfigResource = dict
    ConsumerGroupDescribeAssignment = dict
    ConsumerGroupDescribeDescribedGroup = dict
    ConsumerGroupDescribeMember = dict
    ConsumerGroupDescribeResponse = dict
    ConsumerGroupDescribeTopicPartitions = dict
    ConsumerGroupHeartbeatAssignment = dict
    ConsumerGroupHeartbeatResponse = dict
    ConsumerGroupHeartbeatTopicPartitions = dict
    Coordinator = dict
    CreatableTopicConfigs = dict
    CreatableTopicResult = dict
    CreateAclsResponse = dict
    CreatePartitionsResponse = dict
    CreatePartitionsTopicResult = dict
    CreateTopicsResponse = dict
    CredentialInfo = dict
    Cursor = dict
    DeletableGroupResult = dict
    DeletableTopicResult = dict
    DeleteAclsFilterResult = dict
    DeleteAclsMatchingAcl = dict
    DeleteAclsResponse = dict
    DeleteGroupsResponse = dict
    DeleteRecordsPartitionResult = dict
    DeleteRecordsResponse = dict
    DeleteRecordsTopicResult = dict
    DeleteShareGroupOffsetsResponse = dict
    DeleteShareGroupOffsetsResponseTopic = dict
    DeleteTopicsResponse = dict
    DescribeAclsResource = dict
    DescribeAclsResponse = dict
    DescribeClientQuotasEntityData = dict
    DescribeClientQuotasEntryData = dict
    DescribeClientQuotasResponse = dict
    DescribeClusterBroker = dict
    DescribeClusterResponse = dict
    DescribeConfigsResourceResult = dict
    DescribeConfigsResponse = dict
    DescribeConfigsResult = dict
    DescribeConfigsSynonym = dict
    DescribeGroupsDescribedGroup = dict
    DescribeGroupsResponse = dict
    DescribeLogDirsPartition = dict
    DescribeLogDirsResponse = dict
    DescribeLogDirsResult = dict
    DescribeLogDirsTopic = dict
    DescribeProducersResponse = dict
    DescribeQuorumPartitionData = dict
    DescribeQuorumResponse = dict
    DescribeQuorumTopicData = dict
    DescribeShareGroupOffsetsResponse = dict
    DescribeShareGroupOffsetsResponseGroup = dict
    DescribeShareGroupOffsetsResponsePartition = dict
    DescribeShareGroupOffsetsResponseTopic = dict
    DescribeTopicPartitionsResponse = dict
    DescribeTopicPartitionsResponsePartition = dict
    DescribeTopicPartitionsResponseTopic = dict
    DescribeTransactionsResponse = dict
    DescribeTransactionsTopicData = dict
    DescribeTransactionsTransactionState = dict
    DescribeUserScramCredentialsResponse = dict
    DescribeUserScramCredentialsResult = dict
    DescribedGroupMember = dict
    ElectLeadersResponse = dict
    EndTxnResponse = dict
    FetchEpochEndOffset = dict
    FetchLeaderIdAndEpoch = dict
    FetchNodeEndpoint = dict
    FetchPartitionData = dict
    FetchResponse = dict
    FetchableTopicResponse = dict
    FinalizedFeatureKey = dict
    FindCoordinatorResponse = dict
    GetTelemetrySubscriptionsResponse = dict
    HeartbeatResponse = dict
    IncrementalAlterConfigsResourceResponse = dict
    IncrementalAlterConfigsResponse = dict
    InitProducerIdResponse = dict
    JoinGroupResponse = dict
    JoinGroupResponseMember = dict
    LeaveGroupResponse = dict
    ListConfigResourcesResponse = dict
    ListGroupsResponse = dict
    ListOffsetsPartitionResponse = dict
    ListOffsetsResponse = dict
    ListOffsetsTopicResponse = dict
    ListPartitionReassignmentsResponse = dict
    ListTransactionsResponse = dict
    ListTransactionsTransactionState = dict
    ListedGroup = dict
    Listener = dict
    MemberResponse = dict
    MetadataResponse = dict
    MetadataResponseBroker = dict
    MetadataResponsePartition = dict
    MetadataResponseTopic = dict
    Node = dict
    OffsetCommitResponse = dict
    OffsetCommitResponsePartition = dict
    OffsetCommitResponseTopic = dict
    OffsetDeleteResponse = dict
    OffsetDeleteResponsePartition = dict
    OffsetDeleteResponseTopic = dict
    OffsetFetchResponse = dict
    OffsetFetchResponseGroup = dict
    OffsetFetchResponsePartition = dict
    OffsetFetchResponsePartitions = dict
    OffsetFetchResponseTopic = dict
    OffsetFetchResponseTopics = dict
    OffsetForLeaderEpochEndOffset = dict
    OffsetForLeaderEpochResponse = dict
    OffsetForLeaderTopicResult = dict
    OngoingPartitionReassignment = dict
    OngoingTopicReassignment = dict
    PartitionProduceResponse = dict
    PartitionResponse = dict
    PartitionResult = dict
    ProduceLeaderIdAndEpoch = dict
    ProduceNodeEndpoint = dict
    ProduceResponse = dict
    ProducerState = dict
    PushTelemetryResponse = dict
    ReassignablePartitionResponse = dict
    ReassignableTopicResponse = dict
    ReplicaElectionResult = dict
    ReplicaState = dict
    SaslAuthenticateResponse = dict
    SaslHandshakeResponse = dict
    ShareAcknowledgeLeaderIdAndEpoch = dict
    ShareAcknowledgeNodeEndpoint = dict
    ShareAcknowledgePartitionData = dict
    ShareAcknowledgeResponse = dict
    ShareAcknowledgeTopicResponse = dict
    ShareFetchLeaderIdAndEpoch = dict
    ShareFetchNodeEndpoint = dict
    ShareFetchPartitionData = dict
    ShareFetchResponse = dict
    ShareFetchableTopicResponse = dict
    ShareGroupDescribeAssignment = dict
    ShareGroupDescribeDescribedGroup = dict
    ShareGroupDescribeMember = dict
    ShareGroupDescribeResponse = dict
    ShareGroupDescribeTopicPartitions = dict
    ShareGroupHeartbeatAssignment = dict
    ShareGroupHeartbeatResponse = dict
    ShareGroupHeartbeatTopicPartitions = dict
    SnapshotId = dict
    SupportedFeatureKey = dict
    SyncGroupResponse = dict
    TopicProduceResponse = dict
    TopicResponse = dict
    TxnOffsetCommitResponse = dict
    TxnOffsetCommitResponsePartition = dict
    TxnOffsetCommitResponseTopic = dict
    UpdatableFeatureResult = dict
    UpdateFeaturesResponse = dict
    ValueData = dict
    WritableTxnMarkerPartitionResult = dict
    WritableTxnMarkerResult = dict
    WritableTxnMarkerTopicResult = dict
    WriteTxnMarkersResponse = dict
