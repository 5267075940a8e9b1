"""Our schema tables for the Kafka messages fastlog speaks, and the per-version plans both codecs walk.

The tables are a compact text format (one line per field, nesting by two-space indentation),
transcribed from the facts of Kafka 4.1's message definitions and cross-checked against the
kafka-clients jar by tests/unit/test_codec_schema.py:

    request|response API_KEY Name MIN-MAX flex=V+|none
      field_name type versions [null=VERSIONS] [tag=N[@VERSIONS]] [=DEFAULT]

- type: int8 int16 int32 int64 uint16 float64 bool string bytes uuid records, `[]T` for an array
  of T, or a struct name (children follow, indented); `[]Name` is an array of structs.
- versions: `N+`, `N-M`, `N`, or `none`. `null=` gives the nullable versions; `tag=N` marks a
  tagged field (KIP-482), tagged in the field's versions unless `@VERSIONS` says otherwise.
- `=DEFAULT`: Kafka's explicit default (`null`, `true`/`false`, ints, `""`). Without one a field
  defaults to 0 / "" / b"" / [] / False / zero uuid, or None when it is nullable in some version.

Only the APIs a handler serves have tables (a test checks it against the registry).
Versions are the ones Kafka 4.1 accepts (unstable latest versions left out), except Produce,
which keeps v0-v2 so that a broker can answer them properly (Kafka 4 itself rejects them).
Field names are Kafka's names in snake_case (`snake_case("ThrottleTimeMs") == "throttle_time_ms"`).
"""
from __future__ import annotations

import difflib
import re
import sys
from typing import Any, NamedTuple, Optional


class CodecError(ValueError):
    """Malformed, truncated or unencodable protocol data (both codec implementations raise it)."""


# Kind codes shared by the pure-Python twin and the compiled codec.
INT8, INT16, INT32, INT64, UINT16, FLOAT64, BOOL, STRING, BYTES, UUID, RECORDS, STRUCT = range(1, 13)
_KINDS = {
    "int8": INT8, "int16": INT16, "int32": INT32, "int64": INT64, "uint16": UINT16,
    "float64": FLOAT64, "bool": BOOL, "string": STRING, "bytes": BYTES, "uuid": UUID,
    "records": RECORDS,
}
ZERO_UUID = bytes(16)
NEVER = (1, 0)  # an empty version range


def snake_case(name: str) -> str:
    """Kafka's CamelCase field name -> our dict key (`TopicId` -> `topic_id`)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def parse_versions(text: str) -> tuple[int, int]:
    """`3+` -> (3, 32767), `0-12` -> (0, 12), `5` -> (5, 5), `none` -> NEVER."""
    if text == "none":
        return NEVER
    if text.endswith("+"):
        return (int(text[:-1]), 0x7FFF)
    lo, _, hi = text.partition("-")
    return (int(lo), int(hi or lo))


def _in(versions: tuple[int, int], v: int) -> bool:
    return versions[0] <= v <= versions[1]


class Field(NamedTuple):
    name: str
    type: str  # as written in the table: "int32", "[]int32", "[]Topic", "Assignment", ...
    versions: tuple[int, int]
    nullable: tuple[int, int]
    tag: Optional[int]
    tag_versions: tuple[int, int]
    default: Any  # parsed explicit default, or _NO_DEFAULT
    fields: tuple["Field", ...]  # children of a struct (or array of structs)

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def kind(self) -> int:
        base = self.type[2:] if self.is_array else self.type
        return _KINDS.get(base, STRUCT)


class Message(NamedTuple):
    api_key: int
    name: str
    kind: str  # "request" or "response"
    versions: tuple[int, int]
    flexible: tuple[int, int]
    fields: tuple[Field, ...]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


_NO_DEFAULT = _NoDefault()


def _parse_default(text: str) -> Any:
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text == '""':
        return ""
    return int(text, 0)


def _parse_field(line: str) -> tuple[int, Field]:
    indent = len(line) - len(line.lstrip(" "))
    name, ftype, versions, *opts = line.split()
    nullable, tag, tag_versions, default = NEVER, None, NEVER, _NO_DEFAULT
    for opt in opts:
        if opt.startswith("null="):
            nullable = parse_versions(opt[5:])
        elif opt.startswith("tag="):
            tag_text, _, tv = opt[4:].partition("@")
            tag = int(tag_text)
            tag_versions = parse_versions(tv or versions)
        elif opt.startswith("="):
            default = _parse_default(opt[1:])
        else:
            raise ValueError(f"bad schema option {opt!r} in {line!r}")
    # Interned: handlers' literal keys then match by identity in dict lookups.
    return indent, Field(sys.intern(name), ftype, parse_versions(versions), nullable, tag, tag_versions, default, ())


def _parse_tables(text: str) -> tuple[dict[int, Message], dict[int, Message]]:
    requests: dict[int, Message] = {}
    responses: dict[int, Message] = {}
    # Stack of (indent, children list) while reading nested fields.
    current: Optional[tuple[str, int, str, tuple[int, int], tuple[int, int]]] = None
    root: list = []
    stack: list = []

    def finish() -> None:
        if current is None:
            return
        kind, key, name, versions, flexible = current
        msg = Message(key, name, kind, versions, flexible, _freeze(root))
        (requests if kind == "request" else responses)[key] = msg

    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            finish()
            kind, key, name, versions, flex = line.split()
            current = (kind, int(key), name, parse_versions(versions), parse_versions(flex[5:]))
            root = []
            stack = [(0, root)]
            continue
        indent, field = _parse_field(line)
        while stack[-1][0] >= indent and len(stack) > 1:
            stack.pop()
        node: list = [field, []]
        stack[-1][1].append(node)
        stack.append((indent, node[1]))
    finish()
    return requests, responses


def _freeze(nodes: list) -> tuple[Field, ...]:
    return tuple(field._replace(fields=_freeze(children)) for field, children in nodes)


# --------------------------------------------------------------------------------------------
# Plans: one message at one version, flattened for the codecs to walk.

class FieldPlan(NamedTuple):
    name: str
    kind: int
    is_array: bool
    nullable: bool  # at this version
    default: Any  # immutable default; see `fresh_default` for lists and structs
    child: Optional["StructPlan"]
    tag: int  # -1 when not tagged at this version


class StructPlan(NamedTuple):
    fields: tuple[FieldPlan, ...]  # present and untagged at this version, in wire order
    tagged: tuple[FieldPlan, ...]  # tagged at this version, by tag
    absent: tuple[FieldPlan, ...]  # not in this version: decode fills in defaults
    # Every name the struct has at any version: encode refuses a dict key outside it (a typo),
    # while a known field that this version lacks is skipped (one handler dict serves all versions).
    known: frozenset[str]
    path: str  # where the struct is, for error messages: "ProduceResponse v9.responses"


class MessagePlan(NamedTuple):
    api_key: int
    version: int
    flexible: bool
    body: StructPlan


def _field_default(f: Field) -> Any:
    if f.default is not _NO_DEFAULT:
        return f.default
    if f.nullable != NEVER:
        return None
    if f.is_array:
        return []
    return {INT8: 0, INT16: 0, INT32: 0, INT64: 0, UINT16: 0, FLOAT64: 0.0, BOOL: False,
            STRING: "", BYTES: b"", UUID: ZERO_UUID, RECORDS: None, STRUCT: {}}[f.kind]


def _struct_plan(fields: tuple[Field, ...], v: int, path: str) -> StructPlan:
    present, tagged, absent = [], [], []
    for f in fields:
        child = _struct_plan(f.fields, v, f"{path}.{f.name}") if f.kind == STRUCT else None
        tag = f.tag if f.tag is not None and _in(f.tag_versions, v) else -1
        tagged_here = tag >= 0
        plan = FieldPlan(f.name, f.kind, f.is_array, _in(f.nullable, v), _field_default(f), child, tag)
        if not _in(f.versions, v):
            absent.append(plan)
        elif tagged_here:
            tagged.append(plan)
        else:
            present.append(plan)
    tagged.sort(key=lambda p: p.tag)
    return StructPlan(tuple(present), tuple(tagged), tuple(absent), frozenset(f.name for f in fields), path)


def unknown_fields_error(sp: StructPlan, body: dict) -> CodecError:
    """The error for dict keys that `sp` has at no version (both codecs raise it on encode)."""
    unknown = sorted(str(k) for k in body if k not in sp.known)
    hints = [f"did you mean {close[0]!r}?" for k in unknown
             for close in [difflib.get_close_matches(k, sp.known, n=1)] if close]
    return CodecError(f"unknown field {', '.join(map(repr, unknown))} in {sp.path}"
                      + (f" ({' '.join(hints)})" if hints else ""))


def fresh_default(fp: FieldPlan) -> Any:
    """The default value of a field, as a new object when it is mutable (list, struct dict)."""
    d = fp.default
    if d is None:
        return None
    if fp.is_array:
        return []
    if fp.kind == STRUCT:
        return default_struct(fp.child)  # type: ignore[arg-type]
    return d


def default_struct(sp: StructPlan) -> dict:
    out = {}
    for group in (sp.fields, sp.tagged, sp.absent):
        for fp in group:
            out[fp.name] = fresh_default(fp)
    return out


_PLANS: dict[tuple[str, int, int], MessagePlan] = {}


def plan(kind: str, api_key: int, version: int) -> MessagePlan:
    """The plan of a request or response at one version; CodecError if we do not know it."""
    key = (kind, api_key, version)
    p = _PLANS.get(key)
    if p is None:
        table = REQUESTS if kind == "request" else RESPONSES
        msg = table.get(api_key)
        if msg is None or not _in(msg.versions, version):
            raise CodecError(f"unsupported {kind} api_key={api_key} version={version}")
        p = MessagePlan(api_key, version, _in(msg.flexible, version),
                        _struct_plan(msg.fields, version, f"{msg.name}{kind.capitalize()} v{version}"))
        _PLANS[key] = p
    return p


def is_flexible(api_key: int, api_version: int) -> bool:
    """True when this request version uses compact types, tagged fields and header v2."""
    msg = REQUESTS.get(api_key)
    return msg is not None and _in(msg.versions, api_version) and _in(msg.flexible, api_version)


def request_versions(api_key: int) -> tuple[int, int]:
    """(min, max) request versions our tables define for an API; KeyError if unknown."""
    return REQUESTS[api_key].versions


# --------------------------------------------------------------------------------------------
TABLES = """
request 18 ApiVersions 0-4 flex=3+
  client_software_name string 3+
  client_software_version string 3+
response 18 ApiVersions 0-4 flex=3+
  error_code int16 0+
  api_keys []ApiVersion 0+
    api_key int16 0+
    min_version int16 0+
    max_version int16 0+
  throttle_time_ms int32 1+
  supported_features []SupportedFeatureKey 3+ tag=0
    name string 3+
    min_version int16 3+
    max_version int16 3+
  finalized_features_epoch int64 3+ tag=1 =-1
  finalized_features []FinalizedFeatureKey 3+ tag=2
    name string 3+
    max_version_level int16 3+
    min_version_level int16 3+
  zk_migration_ready bool 3+ tag=3 =false

request 3 Metadata 0-13 flex=9+
  topics []MetadataRequestTopic 0+ null=1+
    topic_id uuid 10+
    name string 0+ null=10+
  allow_auto_topic_creation bool 4+ =true
  include_cluster_authorized_operations bool 8-10
  include_topic_authorized_operations bool 8+
response 3 Metadata 0-13 flex=9+
  throttle_time_ms int32 3+
  brokers []MetadataResponseBroker 0+
    node_id int32 0+
    host string 0+
    port int32 0+
    rack string 1+ null=1+ =null
  cluster_id string 2+ null=2+ =null
  controller_id int32 1+ =-1
  topics []MetadataResponseTopic 0+
    error_code int16 0+
    name string 0+ null=12+
    topic_id uuid 10+
    is_internal bool 1+ =false
    partitions []MetadataResponsePartition 0+
      error_code int16 0+
      partition_index int32 0+
      leader_id int32 0+
      leader_epoch int32 7+ =-1
      replica_nodes []int32 0+
      isr_nodes []int32 0+
      offline_replicas []int32 5+
    topic_authorized_operations int32 8+ =-2147483648
  cluster_authorized_operations int32 8-10 =-2147483648
  error_code int16 13+

request 0 Produce 0-13 flex=9+
  transactional_id string 3+ null=3+ =null
  acks int16 0+
  timeout_ms int32 0+
  topic_data []TopicProduceData 0+
    name string 0-12
    topic_id uuid 13+
    partition_data []PartitionProduceData 0+
      index int32 0+
      records records 0+ null=0+
response 0 Produce 0-13 flex=9+
  responses []TopicProduceResponse 0+
    name string 0-12
    topic_id uuid 13+
    partition_responses []PartitionProduceResponse 0+
      index int32 0+
      error_code int16 0+
      base_offset int64 0+
      log_append_time_ms int64 2+ =-1
      log_start_offset int64 5+ =-1
      record_errors []BatchIndexAndErrorMessage 8+
        batch_index int32 8+
        batch_index_error_message string 8+ null=8+ =null
      error_message string 8+ null=8+ =null
      current_leader LeaderIdAndEpoch 10+ tag=0
        leader_id int32 10+ =-1
        leader_epoch int32 10+ =-1
  throttle_time_ms int32 1+ =0
  node_endpoints []NodeEndpoint 10+ tag=0
    node_id int32 10+
    host string 10+
    port int32 10+
    rack string 10+ null=10+ =null

request 1 Fetch 4-18 flex=12+
  cluster_id string 12+ null=12+ tag=0 =null
  replica_id int32 0-14 =-1
  replica_state ReplicaState 15+ tag=1
    replica_id int32 15+ =-1
    replica_epoch int64 15+ =-1
  max_wait_ms int32 0+
  min_bytes int32 0+
  max_bytes int32 3+ =0x7fffffff
  isolation_level int8 4+ =0
  session_id int32 7+ =0
  session_epoch int32 7+ =-1
  topics []FetchTopic 0+
    topic string 0-12
    topic_id uuid 13+
    partitions []FetchPartition 0+
      partition int32 0+
      current_leader_epoch int32 9+ =-1
      fetch_offset int64 0+
      last_fetched_epoch int32 12+ =-1
      log_start_offset int64 5+ =-1
      partition_max_bytes int32 0+
      replica_directory_id uuid 17+ tag=0
      high_watermark int64 18+ tag=1 =9223372036854775807
  forgotten_topics_data []ForgottenTopic 7+
    topic string 7-12
    topic_id uuid 13+
    partitions []int32 7+
  rack_id string 11+ =""
response 1 Fetch 4-18 flex=12+
  throttle_time_ms int32 1+
  error_code int16 7+
  session_id int32 7+ =0
  responses []FetchableTopicResponse 0+
    topic string 0-12
    topic_id uuid 13+
    partitions []PartitionData 0+
      partition_index int32 0+
      error_code int16 0+
      high_watermark int64 0+
      last_stable_offset int64 4+ =-1
      log_start_offset int64 5+ =-1
      diverging_epoch EpochEndOffset 12+ tag=0
        epoch int32 12+ =-1
        end_offset int64 12+ =-1
      current_leader LeaderIdAndEpoch 12+ tag=1
        leader_id int32 12+ =-1
        leader_epoch int32 12+ =-1
      snapshot_id SnapshotId 12+ tag=2
        end_offset int64 0+ =-1
        epoch int32 0+ =-1
      aborted_transactions []AbortedTransaction 4+ null=4+
        producer_id int64 4+
        first_offset int64 4+
      preferred_read_replica int32 11+ =-1
      records records 0+ null=0+
  node_endpoints []NodeEndpoint 16+ tag=0
    node_id int32 16+
    host string 16+
    port int32 16+
    rack string 16+ null=16+ =null

request 2 ListOffsets 1-10 flex=6+
  replica_id int32 0+
  isolation_level int8 2+
  topics []ListOffsetsTopic 0+
    name string 0+
    partitions []ListOffsetsPartition 0+
      partition_index int32 0+
      current_leader_epoch int32 4+ =-1
      timestamp int64 0+
  timeout_ms int32 10+
response 2 ListOffsets 1-10 flex=6+
  throttle_time_ms int32 2+
  topics []ListOffsetsTopicResponse 0+
    name string 0+
    partitions []ListOffsetsPartitionResponse 0+
      partition_index int32 0+
      error_code int16 0+
      timestamp int64 1+ =-1
      offset int64 1+ =-1
      leader_epoch int32 4+ =-1

request 8 OffsetCommit 2-9 flex=8+
  group_id string 0+
  generation_id_or_member_epoch int32 1+ =-1
  member_id string 1+
  group_instance_id string 7+ null=7+ =null
  retention_time_ms int64 2-4 =-1
  topics []OffsetCommitRequestTopic 0+
    name string 0-9
    partitions []OffsetCommitRequestPartition 0+
      partition_index int32 0+
      committed_offset int64 0+
      committed_leader_epoch int32 6+ =-1
      committed_metadata string 0+ null=0+
response 8 OffsetCommit 2-9 flex=8+
  throttle_time_ms int32 3+
  topics []OffsetCommitResponseTopic 0+
    name string 0-9
    partitions []OffsetCommitResponsePartition 0+
      partition_index int32 0+
      error_code int16 0+

request 9 OffsetFetch 1-9 flex=6+
  group_id string 0-7
  topics []OffsetFetchRequestTopic 0-7 null=2-7
    name string 0-7
    partition_indexes []int32 0-7
  groups []OffsetFetchRequestGroup 8+
    group_id string 8+
    member_id string 9+ null=9+ =null
    member_epoch int32 9+ =-1
    topics []OffsetFetchRequestTopics 8+ null=8+
      name string 8-9
      partition_indexes []int32 8+
  require_stable bool 7+ =false
response 9 OffsetFetch 1-9 flex=6+
  throttle_time_ms int32 3+
  topics []OffsetFetchResponseTopic 0-7
    name string 0-7
    partitions []OffsetFetchResponsePartition 0-7
      partition_index int32 0-7
      committed_offset int64 0-7
      committed_leader_epoch int32 5-7 =-1
      metadata string 0-7 null=0-7
      error_code int16 0-7
  error_code int16 2-7 =0
  groups []OffsetFetchResponseGroup 8+
    group_id string 8+
    topics []OffsetFetchResponseTopics 8+
      name string 8-9
      partitions []OffsetFetchResponsePartitions 8+
        partition_index int32 8+
        committed_offset int64 8+
        committed_leader_epoch int32 8+ =-1
        metadata string 8+ null=8+
        error_code int16 8+
    error_code int16 8+ =0

request 10 FindCoordinator 0-6 flex=3+
  key string 0-3
  key_type int8 1+ =0
  coordinator_keys []string 4+
response 10 FindCoordinator 0-6 flex=3+
  throttle_time_ms int32 1+
  error_code int16 0-3
  error_message string 1-3 null=1-3
  node_id int32 0-3
  host string 0-3
  port int32 0-3
  coordinators []Coordinator 4+
    key string 4+
    node_id int32 4+
    host string 4+
    port int32 4+
    error_code int16 4+
    error_message string 4+ null=4+

request 11 JoinGroup 0-9 flex=6+
  group_id string 0+
  session_timeout_ms int32 0+
  rebalance_timeout_ms int32 1+ =-1
  member_id string 0+
  group_instance_id string 5+ null=5+ =null
  protocol_type string 0+
  protocols []JoinGroupRequestProtocol 0+
    name string 0+
    metadata bytes 0+
  reason string 8+ null=8+ =null
response 11 JoinGroup 0-9 flex=6+
  throttle_time_ms int32 2+
  error_code int16 0+
  generation_id int32 0+ =-1
  protocol_type string 7+ null=7+ =null
  protocol_name string 0+ null=7+
  leader string 0+
  skip_assignment bool 9+ =false
  member_id string 0+
  members []JoinGroupResponseMember 0+
    member_id string 0+
    group_instance_id string 5+ null=5+ =null
    metadata bytes 0+

request 12 Heartbeat 0-4 flex=4+
  group_id string 0+
  generation_id int32 0+
  member_id string 0+
  group_instance_id string 3+ null=3+ =null
response 12 Heartbeat 0-4 flex=4+
  throttle_time_ms int32 1+
  error_code int16 0+

request 13 LeaveGroup 0-5 flex=4+
  group_id string 0+
  member_id string 0-2
  members []MemberIdentity 3+
    member_id string 3+
    group_instance_id string 3+ null=3+ =null
    reason string 5+ null=5+ =null
response 13 LeaveGroup 0-5 flex=4+
  throttle_time_ms int32 1+
  error_code int16 0+
  members []MemberResponse 3+
    member_id string 3+
    group_instance_id string 3+ null=3+
    error_code int16 3+

request 14 SyncGroup 0-5 flex=4+
  group_id string 0+
  generation_id int32 0+
  member_id string 0+
  group_instance_id string 3+ null=3+ =null
  protocol_type string 5+ null=5+ =null
  protocol_name string 5+ null=5+ =null
  assignments []SyncGroupRequestAssignment 0+
    member_id string 0+
    assignment bytes 0+
response 14 SyncGroup 0-5 flex=4+
  throttle_time_ms int32 1+
  error_code int16 0+
  protocol_type string 5+ null=5+ =null
  protocol_name string 5+ null=5+ =null
  assignment bytes 0+

request 15 DescribeGroups 0-6 flex=5+
  groups []string 0+
  include_authorized_operations bool 3+
response 15 DescribeGroups 0-6 flex=5+
  throttle_time_ms int32 1+
  groups []DescribedGroup 0+
    error_code int16 0+
    error_message string 6+ null=6+ =null
    group_id string 0+
    group_state string 0+
    protocol_type string 0+
    protocol_data string 0+
    members []DescribedGroupMember 0+
      member_id string 0+
      group_instance_id string 4+ null=4+ =null
      client_id string 0+
      client_host string 0+
      member_metadata bytes 0+
      member_assignment bytes 0+
    authorized_operations int32 3+ =-2147483648

request 16 ListGroups 0-5 flex=3+
  states_filter []string 4+
  types_filter []string 5+
response 16 ListGroups 0-5 flex=3+
  throttle_time_ms int32 1+
  error_code int16 0+
  groups []ListedGroup 0+
    group_id string 0+
    protocol_type string 0+
    group_state string 4+
    group_type string 5+

request 19 CreateTopics 2-7 flex=5+
  topics []CreatableTopic 0+
    name string 0+
    num_partitions int32 0+
    replication_factor int16 0+
    assignments []CreatableReplicaAssignment 0+
      partition_index int32 0+
      broker_ids []int32 0+
    configs []CreatableTopicConfig 0+
      name string 0+
      value string 0+ null=0+
  timeout_ms int32 0+ =60000
  validate_only bool 1+ =false
response 19 CreateTopics 2-7 flex=5+
  throttle_time_ms int32 2+
  topics []CreatableTopicResult 0+
    name string 0+
    topic_id uuid 7+
    error_code int16 0+
    error_message string 1+ null=0+
    topic_config_error_code int16 5+ tag=0
    num_partitions int32 5+ =-1
    replication_factor int16 5+ =-1
    configs []CreatableTopicConfigs 5+ null=5+
      name string 5+
      value string 5+ null=5+
      read_only bool 5+
      config_source int8 5+ =-1
      is_sensitive bool 5+

request 20 DeleteTopics 1-6 flex=4+
  topics []DeleteTopicState 6+
    name string 6+ null=6+ =null
    topic_id uuid 6+
  topic_names []string 0-5
  timeout_ms int32 0+
response 20 DeleteTopics 1-6 flex=4+
  throttle_time_ms int32 1+
  responses []DeletableTopicResult 0+
    name string 0+ null=6+
    topic_id uuid 6+
    error_code int16 0+
    error_message string 5+ null=5+ =null

request 21 DeleteRecords 0-2 flex=2+
  topics []DeleteRecordsTopic 0+
    name string 0+
    partitions []DeleteRecordsPartition 0+
      partition_index int32 0+
      offset int64 0+
  timeout_ms int32 0+
response 21 DeleteRecords 0-2 flex=2+
  throttle_time_ms int32 0+
  topics []DeleteRecordsTopicResult 0+
    name string 0+
    partitions []DeleteRecordsPartitionResult 0+
      partition_index int32 0+
      low_watermark int64 0+
      error_code int16 0+

request 22 InitProducerId 0-5 flex=2+
  transactional_id string 0+ null=0+
  transaction_timeout_ms int32 0+
  producer_id int64 3+ =-1
  producer_epoch int16 3+ =-1
response 22 InitProducerId 0-5 flex=2+
  throttle_time_ms int32 0+
  error_code int16 0+
  producer_id int64 0+ =-1
  producer_epoch int16 0+

request 23 OffsetForLeaderEpoch 2-4 flex=4+
  replica_id int32 3+ =-2
  topics []OffsetForLeaderTopic 0+
    topic string 0+
    partitions []OffsetForLeaderPartition 0+
      partition int32 0+
      current_leader_epoch int32 2+ =-1
      leader_epoch int32 0+
response 23 OffsetForLeaderEpoch 2-4 flex=4+
  throttle_time_ms int32 2+
  topics []OffsetForLeaderTopicResult 0+
    topic string 0+
    partitions []EpochEndOffset 0+
      error_code int16 0+
      partition int32 0+
      leader_epoch int32 1+ =-1
      end_offset int64 0+ =-1

request 32 DescribeConfigs 1-4 flex=4+
  resources []DescribeConfigsResource 0+
    resource_type int8 0+
    resource_name string 0+
    configuration_keys []string 0+ null=0+
  include_synonyms bool 1+ =false
  include_documentation bool 3+ =false
response 32 DescribeConfigs 1-4 flex=4+
  throttle_time_ms int32 0+
  results []DescribeConfigsResult 0+
    error_code int16 0+
    error_message string 0+ null=0+
    resource_type int8 0+
    resource_name string 0+
    configs []DescribeConfigsResourceResult 0+
      name string 0+
      value string 0+ null=0+
      read_only bool 0+
      config_source int8 1+ =-1
      is_sensitive bool 0+
      synonyms []DescribeConfigsSynonym 1+
        name string 1+
        value string 1+ null=0+
        source int8 1+
      config_type int8 3+ =0
      documentation string 3+ null=0+

request 33 AlterConfigs 0-2 flex=2+
  resources []AlterConfigsResource 0+
    resource_type int8 0+
    resource_name string 0+
    configs []AlterableConfig 0+
      name string 0+
      value string 0+ null=0+
  validate_only bool 0+
response 33 AlterConfigs 0-2 flex=2+
  throttle_time_ms int32 0+
  responses []AlterConfigsResourceResponse 0+
    error_code int16 0+
    error_message string 0+ null=0+
    resource_type int8 0+
    resource_name string 0+

request 37 CreatePartitions 0-3 flex=2+
  topics []CreatePartitionsTopic 0+
    name string 0+
    count int32 0+
    assignments []CreatePartitionsAssignment 0+ null=0+
      broker_ids []int32 0+
  timeout_ms int32 0+
  validate_only bool 0+
response 37 CreatePartitions 0-3 flex=2+
  throttle_time_ms int32 0+
  results []CreatePartitionsTopicResult 0+
    name string 0+
    error_code int16 0+
    error_message string 0+ null=0+ =null

request 42 DeleteGroups 0-2 flex=2+
  groups_names []string 0+
response 42 DeleteGroups 0-2 flex=2+
  throttle_time_ms int32 0+
  results []DeletableGroupResult 0+
    group_id string 0+
    error_code int16 0+

request 44 IncrementalAlterConfigs 0-1 flex=1+
  resources []AlterConfigsResource 0+
    resource_type int8 0+
    resource_name string 0+
    configs []AlterableConfig 0+
      name string 0+
      config_operation int8 0+
      value string 0+ null=0+
  validate_only bool 0+
response 44 IncrementalAlterConfigs 0-1 flex=1+
  throttle_time_ms int32 0+
  responses []AlterConfigsResourceResponse 0+
    error_code int16 0+
    error_message string 0+ null=0+
    resource_type int8 0+
    resource_name string 0+

request 47 OffsetDelete 0-0 flex=none
  group_id string 0+
  topics []OffsetDeleteRequestTopic 0+
    name string 0+
    partitions []OffsetDeleteRequestPartition 0+
      partition_index int32 0+
response 47 OffsetDelete 0-0 flex=none
  error_code int16 0+
  throttle_time_ms int32 0+
  topics []OffsetDeleteResponseTopic 0+
    name string 0+
    partitions []OffsetDeleteResponsePartition 0+
      partition_index int32 0+
      error_code int16 0+

request 60 DescribeCluster 0-2 flex=0+
  include_cluster_authorized_operations bool 0+
  endpoint_type int8 1+ =1
  include_fenced_brokers bool 2+
response 60 DescribeCluster 0-2 flex=0+
  throttle_time_ms int32 0+
  error_code int16 0+
  error_message string 0+ null=0+ =null
  endpoint_type int8 1+ =1
  cluster_id string 0+
  controller_id int32 0+ =-1
  brokers []DescribeClusterBroker 0+
    broker_id int32 0+
    host string 0+
    port int32 0+
    rack string 0+ null=0+ =null
    is_fenced bool 2+
  cluster_authorized_operations int32 0+ =-2147483648
"""

REQUESTS, RESPONSES = _parse_tables(TABLES)
API_NAMES: dict[int, str] = {key: msg.name for key, msg in REQUESTS.items()}
