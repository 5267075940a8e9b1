"""fastlog's internal topics read back by Kafka's own decoder (kafka-dump-log, Kafka 4.4's jars).

A fastlog broker is driven by real clients through a classic group with commits, a KIP-848
consumer group, a share group and a transaction; then it is stopped and Kafka's DumpLogSegments
decodes the segment files of `__consumer_offsets` (--offsets-decoder) and `__transaction_state`
(--transaction-log-decoder) with Kafka's record serdes. Every record must decode (a record laid out
differently fails to parse or parses into wrong values) and the decoded fields must be the ones
the clients caused. A second test reads what each of our encoders writes by the .json schemas in
the Kafka jars (field order, types, versions), for every record type we write.

Not covered: `__share_group_state` (share_state_log.py), whose values are fastlog's own JSON, not
Kafka's ShareSnapshot/ShareUpdate records (--share-group-state-decoder cannot read them).
"""
from __future__ import annotations

import json
import re
import uuid
import zipfile
from pathlib import Path

import confluent_kafka
import pytest

from fastlog import kafka_dist as kd
from fastlog.coordinator import consumer_records as cr
from fastlog.coordinator import share_records as sr

from clients import RawConnection, create_topic, unique_topic

pytestmark = pytest.mark.timeout(400)

DUMP_LOG_SEGMENTS = "org.apache.kafka.tools.DumpLogSegments"


def dump(files: list[Path], decoder: str) -> list[tuple[dict, dict | None]]:
    """Run DumpLogSegments over `files` -> the decoded (key, payload) of every data record; fails
    on anything Kafka's decoder could not parse."""
    assert files
    proc = kd.run_class(DUMP_LOG_SEGMENTS, ["--files", ",".join(map(str, files)), decoder], timeout=120)
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{proc.stderr[-3000:]}"
    for bad in ("Exception", "Error at offset", "Could not read", "unknown record"):
        assert bad not in out and bad not in proc.stderr, f"{bad!r} in DumpLogSegments' output:\n{out[-4000:]}"
    records = []
    for line in out.splitlines():
        if line.startswith("| offset:"):   # one line per record: each must have a decoded key and payload
            m = re.search(r" key: (\{.*\}) payload: (.*)$", line)
            assert m, f"not decoded: {line}"
            payload = m.group(2)
            records.append((json.loads(m.group(1)), None if payload == "<DELETE>" else json.loads(payload)))
    assert records
    return records


def segment_files(data_dir: str, topic: str) -> list[Path]:
    return sorted(p for p in Path(data_dir).glob(f"logs/{topic}-*/*.log") if p.stat().st_size > 0)


def classic_group(bootstrap: str, topic: str, group: str) -> None:
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                         "client.id": "classic-client", "session.timeout.ms": 30000,
                                         "max.poll.interval.ms": 120000,
                                         "partition.assignment.strategy": "range"})
    try:
        consumer.subscribe([topic])
        got = 0
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got += 1
                if got == 3:
                    break
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 3)], asynchronous=False)
    finally:
        consumer.close()


def consumer_group(bootstrap: str, topic: str, group: str) -> str:
    """A KIP-848 member that commits offset 2 -> its member id."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                         "group.protocol": "consumer", "group.remote.assignor": "range",
                                         "max.poll.interval.ms": 120000,
                                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                         "client.id": "kip848-client"})
    try:
        consumer.subscribe([topic])
        for _ in range(200):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                break
        consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 2)], asynchronous=False)
        return consumer.memberid()
    finally:
        consumer.close()


def share_group(bootstrap: str, topic: str, group: str) -> None:
    with RawConnection(bootstrap) as conn:   # share.auto.offset.reset=earliest: there is something to fetch
        answer = conn.call(44, 0, {"resources": [{"resource_type": 32, "resource_name": group, "configs": [
            {"name": "share.auto.offset.reset", "config_operation": 0, "value": "earliest"}]}],
            "validate_only": False})
    assert answer["responses"][0]["error_code"] == 0
    consumer = confluent_kafka.ShareConsumer({"bootstrap.servers": bootstrap, "group.id": group,
                                              "client.id": "share-client"})
    try:
        consumer.subscribe([topic])
        for _ in range(200):
            if consumer.poll(0.5):
                break
        consumer.commit_sync()
    finally:
        consumer.close()


def transaction(bootstrap: str, topic: str, tid: str) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "transactional.id": tid,
                                         "transaction.timeout.ms": 45000})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(topic, value=b"in-txn", partition=1)
    producer.commit_transaction(30)


def test_internal_topics_decode_with_kafkas_decoders(broker):
    bootstrap = broker.bootstrap
    topic = unique_topic("decoders")
    create_topic(bootstrap, topic, 2)
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap})
    for i in range(5):
        producer.produce(topic, value=f"v{i}".encode(), partition=0)
    producer.flush(30)

    suffix = uuid.uuid4().hex[:6]
    classic, kip848, share, tid = f"classic-{suffix}", f"kip848-{suffix}", f"share-{suffix}", f"tid-{suffix}"
    classic_group(bootstrap, topic, classic)
    member_id = consumer_group(bootstrap, topic, kip848)
    share_group(bootstrap, topic, share)
    transaction(bootstrap, topic, tid)
    assert broker.stop() == 0

    by_type: dict[int, list[tuple[dict, dict | None]]] = {}
    for key, payload in dump(segment_files(broker.data_dir, "__consumer_offsets"), "--offsets-decoder"):
        by_type.setdefault(int(key["type"]), []).append((key["data"], payload and payload["data"]))

    def values(record_type: int, group: str, member: str | None = None) -> list[dict]:
        return [v for k, v in by_type.get(record_type, [])
                if k.get("group", k.get("groupId")) == group and k.get("memberId", member) == member and v]

    # classic group: offset commits (type 1) and group metadata (type 2)
    assert [(c["offset"], c["leaderEpoch"], c["metadata"]) for c in values(1, classic)] == [(3, -1, "")], by_type.get(1)
    joined = [g for g in values(2, classic) if g["members"]]
    assert joined and joined[0]["protocolType"] == "consumer" and joined[0]["protocol"] == "range", joined
    member = joined[0]["members"][0]
    assert (member["clientId"], member["sessionTimeout"], member["rebalanceTimeout"]) == \
        ("classic-client", 30000, 120000), member

    # KIP-848 consumer group: types 3, 5, 6, 7, 8 and its commit
    assert values(3, kip848)[0]["epoch"] >= 1 and values(6, kip848)[0]["assignmentEpoch"] >= 1
    meta = values(5, kip848, member_id)
    assert meta, by_type.get(5)
    assert (meta[0]["clientId"], meta[0]["subscribedTopicNames"], meta[0]["subscribedTopicRegex"],
            meta[0]["rebalanceTimeoutMs"], meta[0]["serverAssignor"]) == \
        ("kip848-client", [topic], None, 120000, "range"), meta
    assert values(7, kip848, member_id)[0]["topicPartitions"][0]["partitions"] == [0, 1]
    current = values(8, kip848, member_id)[0]
    assert current["memberEpoch"] >= 1 and current["assignedPartitions"][0]["partitions"] == [0, 1], current
    assert values(1, kip848)[-1]["offset"] == 2

    # share group: types 10-14
    share_members = [k["memberId"] for k, v in by_type.get(10, []) if k["groupId"] == share and v]
    assert len(share_members) == 1, by_type.get(10)
    share_member = share_members[0]
    share_meta = values(10, share, share_member)[0]
    assert (share_meta["clientId"], share_meta["subscribedTopicNames"]) == ("share-client", [topic])
    assert values(11, share)[0]["epoch"] >= 1 and values(12, share)[0]["assignmentEpoch"] >= 1
    assert values(13, share, share_member)[0]["topicPartitions"][0]["partitions"] == [0, 1]
    assert values(14, share, share_member)[0]["assignedPartitions"][0]["partitions"] == [0, 1]

    # __transaction_state: the transactional id through its states, with the partition it wrote
    txn = [v for k, v in dump(segment_files(broker.data_dir, "__transaction_state"), "--transaction-log-decoder")
           if k["data"]["transactionalId"] == tid and v]
    states = [t["data"]["transactionStatus"] for t in txn]
    assert states == ["Empty", "Ongoing", "PrepareCommit", "CompleteCommit"], states
    ongoing = txn[1]["data"]
    assert ongoing["transactionTimeoutMs"] == 45000
    assert ongoing["transactionPartitions"] == [{"topic": topic, "partitionIds": [1]}]


# -- our encoders against the .json schemas inside Kafka's jars ---------------------------------
SCHEMA_JARS = ("kafka-group-coordinator", "kafka-transaction-coordinator", "kafka-share-coordinator")


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict]:
    """Every coordinator record schema (common/message/*.json) of the Kafka jars, by name."""
    out: dict[str, dict] = {}
    for jar in kd.classpath().split(":"):
        if any(f"/{name}-" in jar for name in SCHEMA_JARS):
            with zipfile.ZipFile(jar) as z:
                for entry in z.namelist():
                    if entry.startswith("common/message/") and entry.endswith(".json"):
                        text = "\n".join(line for line in z.read(entry).decode().splitlines()
                                         if not line.strip().startswith("//"))
                        schema = json.loads(text)
                        out[schema["name"]] = schema
    assert {"ConsumerGroupMemberMetadataValue", "TransactionLogValue", "ShareGroupMetadataValue"} <= set(out)
    return out


def in_versions(version: int, spec: str | None) -> bool:
    if spec is None or spec == "none":
        return False
    if spec.endswith("+"):
        return version >= int(spec[:-1])
    low, _, high = spec.partition("-")
    return int(low) <= version <= int(high or low)


class SchemaReader:
    """Reads bytes by a Kafka message schema (as Kafka's generated code does), into a dict of
    field name -> value; a tagged field of an integer type the schema names is read by its name,
    any other tagged field goes under "_tags" as raw bytes."""

    def __init__(self, schema: dict, data: bytes, version: int) -> None:
        self.data, self.pos, self.version = data, 0, version
        self.flexible = in_versions(version, schema.get("flexibleVersions"))
        self.structs = {s["name"]: s for s in schema.get("commonStructs", [])}

    def take(self, n: int) -> bytes:
        assert 0 <= n and self.pos + n <= len(self.data), "read past the end of the value"
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def uvarint(self) -> int:
        shift = out = 0
        while True:
            b = self.take(1)[0]
            out |= (b & 0x7F) << shift
            if not b & 0x80:
                return out
            shift += 7

    def length(self, width: int) -> int:
        """A string/bytes/array length (-1 = null): compact (unsigned varint + 1) in flexible
        versions, else a signed int of `width` bytes."""
        return self.uvarint() - 1 if self.flexible else int.from_bytes(self.take(width), "big", signed=True)

    def value(self, type_: str, field: dict):
        ints = {"int8": 1, "int16": 2, "int32": 4, "int64": 8}
        if type_ in ints:
            return int.from_bytes(self.take(ints[type_]), "big", signed=True)
        if type_ == "uuid":
            return self.take(16)
        if type_ in ("string", "bytes"):
            n = self.length(2 if type_ == "string" else 4)
            raw = None if n < 0 else self.take(n)
            return raw.decode() if raw is not None and type_ == "string" else raw
        if type_.startswith("[]"):
            n = self.length(4)
            return None if n < 0 else [self.value(type_[2:], field) for _ in range(n)]
        fields = field.get("fields") or self.structs[type_]["fields"]
        return self.fields(fields)

    def fields(self, fields: list[dict]) -> dict:
        out: dict = {}
        for f in fields:
            if "tag" not in f and in_versions(self.version, f["versions"]):
                out[f["name"]] = self.value(f["type"], f)
        if self.flexible:
            named = {f["tag"]: f for f in fields if "tag" in f and in_versions(self.version, f.get("taggedVersions"))}
            tags = {}
            for _ in range(self.uvarint()):
                tag = self.uvarint()
                raw = self.take(self.uvarint())
                if tag in named and named[tag]["type"] in ("int8", "int16", "int32", "int64"):
                    assert len(raw) == {"int8": 1, "int16": 2, "int32": 4, "int64": 8}[named[tag]["type"]], tag
                    out[named[tag]["name"]] = int.from_bytes(raw, "big", signed=True)
                else:
                    tags[tag] = raw
            if tags:
                out["_tags"] = tags
        return out


def read(schemas: dict, name: str, data: bytes) -> dict:
    """The fields of `data` read by Kafka's schema `name`; every byte must be consumed. A key
    starts with its record type (the schema's apiKey) and is read as version 0; a value starts
    with its version."""
    schema = schemas[name]
    prefix = int.from_bytes(data[:2], "big", signed=True)
    if schema["type"] == "coordinator-key":
        assert prefix == schema["apiKey"], (name, prefix)
        version = 0
    else:
        version = prefix
    assert in_versions(version, schema["validVersions"]), (name, version)
    r = SchemaReader(schema, data[2:], version)
    fields = r.fields(schema["fields"])
    assert r.pos == len(r.data), f"{name}: {len(r.data) - r.pos} bytes left over"
    return fields


def test_every_record_we_write_matches_kafkas_schema(schemas):
    from fastlog.coordinator import offsets_log as ol
    from fastlog.coordinator import txn_log
    from fastlog.coordinator.group_state import CommittedOffset

    topic_id = bytes(range(16))
    member = cr.StoredMember("inst", "rack", "cid", "/h", ["t1", "t2"], "^t.*", "range", 120000, 5, 4, 0,
                             {topic_id: {0, 1}}, {}, 45000, [("range", b"\x01")])
    share_member = sr.StoredShareMember("rack", "cid", "/h", ["t1"], 3, 2, {topic_id: {2}})
    tp = [{"TopicId": topic_id, "Partitions": [0, 1]}]
    gm = {"GroupId": "g", "MemberId": "m"}
    cases = [
        # (schema, bytes we write, the fields Kafka's schema must read from them)
        ("OffsetCommitKey", ol.offset_key("g", "t", 3), {"group": "g", "topic": "t", "partition": 3}),
        ("OffsetCommitValue", ol.offset_value(CommittedOffset(7, 2, "m", 1000)),
         {"offset": 7, "leaderEpoch": 2, "metadata": "m", "commitTimestamp": 1000}),
        ("OffsetCommitValue", ol.offset_value(CommittedOffset(7, -1, "m", 1000, 2000)),
         {"offset": 7, "metadata": "m", "commitTimestamp": 1000, "expireTimestamp": 2000}),
        ("GroupMetadataKey", ol.group_key("g"), {"group": "g"}),
        ("GroupMetadataValue", ol.group_value(ol.StoredGroup("consumer", 3, "range", "m1", 99, [
            ol.StoredMember("m1", None, "cid", "/h", 120000, 30000, b"s", b"a")])),
         {"protocolType": "consumer", "generation": 3, "protocol": "range", "leader": "m1",
          "currentStateTimestamp": 99, "members": [
              {"memberId": "m1", "groupInstanceId": None, "clientId": "cid", "clientHost": "/h",
               "rebalanceTimeout": 120000, "sessionTimeout": 30000, "subscription": b"s", "assignment": b"a"}]}),
        ("ConsumerGroupMetadataKey", cr.key(cr.GROUP_METADATA, "g"), {"GroupId": "g"}),
        ("ConsumerGroupMetadataValue", cr.group_value(4), {"Epoch": 4}),
        ("ConsumerGroupMemberMetadataKey", cr.key(cr.MEMBER_METADATA, "g", "m"), {"GroupId": "g", "MemberId": "m"}),
        ("ConsumerGroupMemberMetadataValue", cr.member_value(member),
         {"InstanceId": "inst", "RackId": "rack", "ClientId": "cid", "ClientHost": "/h",
          "SubscribedTopicNames": ["t1", "t2"], "SubscribedTopicRegex": "^t.*", "RebalanceTimeoutMs": 120000,
          "ServerAssignor": "range",
          "_tags": {0: b"\x00\x00\xaf\xc8" + b"\x02" + b"\x06range" + b"\x02\x01" + b"\x00" + b"\x00"}}),
        ("ConsumerGroupTargetAssignmentMetadataKey", cr.key(cr.TARGET_METADATA, "g"), {"GroupId": "g"}),
        ("ConsumerGroupTargetAssignmentMetadataValue", cr.target_metadata_value(4), {"AssignmentEpoch": 4}),
        ("ConsumerGroupTargetAssignmentMemberKey", cr.key(cr.TARGET_MEMBER, "g", "m"),
         {"GroupId": "g", "MemberId": "m"}),
        ("ConsumerGroupTargetAssignmentMemberValue", cr.target_member_value({topic_id: {1, 0}}),
         {"TopicPartitions": tp}),
        ("ConsumerGroupCurrentMemberAssignmentKey", cr.key(cr.CURRENT_MEMBER, "g", "m"),
         {"GroupId": "g", "MemberId": "m"}),
        ("ConsumerGroupCurrentMemberAssignmentValue", cr.current_member_value(member),
         {"MemberEpoch": 5, "PreviousMemberEpoch": 4, "State": 0, "AssignedPartitions": tp,
          "PartitionsPendingRevocation": []}),
        ("ShareGroupMemberMetadataKey", sr.key(sr.MEMBER_METADATA, "g", "m"), {"GroupId": "g", "MemberId": "m"}),
        ("ShareGroupMemberMetadataValue", sr.member_value(share_member),
         {"RackId": "rack", "ClientId": "cid", "ClientHost": "/h", "SubscribedTopicNames": ["t1"]}),
        ("ShareGroupMetadataKey", sr.key(sr.GROUP_METADATA, "g"), {"GroupId": "g"}),
        ("ShareGroupMetadataValue", sr.group_value(6), {"Epoch": 6, "MetadataHash": 0}),
        ("ShareGroupTargetAssignmentMetadataKey", sr.key(sr.TARGET_METADATA, "g"), {"GroupId": "g"}),
        ("ShareGroupTargetAssignmentMetadataValue", sr.target_metadata_value(6), {"AssignmentEpoch": 6}),
        ("ShareGroupTargetAssignmentMemberKey", sr.key(sr.TARGET_MEMBER, "g", "m"), gm),
        ("ShareGroupTargetAssignmentMemberValue", sr.target_member_value({topic_id: {0, 1}}), {"TopicPartitions": tp}),
        ("ShareGroupCurrentMemberAssignmentKey", sr.key(sr.CURRENT_MEMBER, "g", "m"), gm),
        ("ShareGroupCurrentMemberAssignmentValue", sr.current_member_value(share_member),
         {"MemberEpoch": 3, "PreviousMemberEpoch": 2, "State": 0,
          "AssignedPartitions": [{"TopicId": topic_id, "Partitions": [2]}]}),
        ("TransactionLogKey", txn_log.txn_key("tid"), {"TransactionalId": "tid"}),
        ("TransactionLogValue", txn_log.txn_value(txn_log.StoredTxn(9, 1, 60000, 1, [("t", 0), ("t", 2)], 50, 40)),
         {"ProducerId": 9, "ProducerEpoch": 1, "TransactionTimeoutMs": 60000, "TransactionStatus": 1,
          "TransactionPartitions": [{"Topic": "t", "PartitionIds": [0, 2]}],
          "TransactionLastUpdateTimestampMs": 50, "TransactionStartTimestampMs": 40}),
        ("TransactionLogValue", txn_log.txn_value(txn_log.StoredTxn(
            9, 32767, 60000, 2, [("t", 1)], 50, 40, previous_producer_id=8, next_producer_id=10,
            client_transaction_version=2)),
         {"ProducerId": 9, "ProducerEpoch": 32767, "TransactionTimeoutMs": 60000, "TransactionStatus": 2,
          "TransactionPartitions": [{"Topic": "t", "PartitionIds": [1]}],
          "TransactionLastUpdateTimestampMs": 50, "TransactionStartTimestampMs": 40,
          "PreviousProducerId": 8, "NextProducerId": 10, "ClientTransactionVersion": 2}),
    ]
    for name, data, expected in cases:
        assert read(schemas, name, data) == expected, name
