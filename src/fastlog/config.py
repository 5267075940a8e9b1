"""Every config key fastlog knows, in one typed table (Kafka's ConfigDef is the model), and the
broker's settings read through it.

Each key has Kafka's type, default, validator and importance, one doc line, whether fastlog can
change it at runtime and whether fastlog acts on it at all. A topic key also names the broker
keys its default comes from (Kafka's synonyms: retention.ms <- log.retention.ms <-
log.retention.minutes <- log.retention.hours). The defaults the broker runs with, what
DescribeConfigs reports, what CreateTopics/AlterConfigs accept and the README's settings tables
all come from here; nothing else spells a default.

Keys and defaults are Apache Kafka 4.4's unless `kafka_default` says what Kafka's is and `note`
why fastlog differs. A key not in the table is a warning at start ("unknown config ... ignored");
a key fastlog accepts but does not act on (`honoured=False`) is a warning too, and the README says so.
"""
from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Union

from fastlog.files import parse_properties

log = logging.getLogger("fastlog.config")

LONG_MAX = 2**63 - 1
INT_MAX = 2**31 - 1


class ConfigError(ValueError):
    """A setting fastlog cannot run with; the message says which and why."""


class Type(enum.IntEnum):
    """ConfigDef.Type, numbered as DescribeConfigs' config_type (KIP-569; 0 = UNKNOWN)."""
    BOOLEAN = 1
    STRING = 2
    INT = 3
    SHORT = 4
    LONG = 5
    DOUBLE = 6
    LIST = 7
    CLASS = 8
    PASSWORD = 9


class Importance(enum.Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Source(enum.IntEnum):
    """DescribeConfigs config_source ids (Kafka's ConfigSource)."""
    TOPIC_CONFIG = 1  # DYNAMIC_TOPIC_CONFIG: set on the topic
    DYNAMIC_BROKER_CONFIG = 2  # set at runtime for this broker (kafka-configs --entity-name 1)
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3  # set at runtime for every broker (--entity-default)
    STATIC_BROKER_CONFIG = 4  # server.properties or --override
    DEFAULT_CONFIG = 5
    GROUP_CONFIG = 8  # set on a group (IncrementalAlterConfigs, resource type GROUP)


_RANGES = {Type.INT: (-2**31, INT_MAX), Type.SHORT: (-2**15, 2**15 - 1), Type.LONG: (-2**63, LONG_MAX)}


def parse(type_: Type, text: str) -> Any:
    """A config value given as text -> its typed value (ConfigDef.parseType); ValueError says why."""
    text = text.strip() if type_ != Type.PASSWORD else text
    if type_ == Type.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError("Expected value to be either true or false")
        return text.lower() == "true"
    if type_ in _RANGES:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"Not a number of type {type_.name}") from None
        low, high = _RANGES[type_]
        if not low <= value <= high:
            raise ValueError(f"Not a number of type {type_.name}")
        return value
    if type_ == Type.DOUBLE:
        try:
            return float(text)
        except ValueError:
            raise ValueError("Not a number of type DOUBLE") from None
    if type_ == Type.LIST:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def to_text(type_: Type, value: Any) -> Optional[str]:
    """A typed value as DescribeConfigs shows it (ConfigDef.convertToString): booleans lowercase."""
    if value is None:
        return None
    if type_ == Type.BOOLEAN:
        return "true" if value else "false"
    if type_ == Type.LIST:
        return ",".join(value)
    if type_ == Type.DOUBLE:
        return java_double(value)
    return str(value)


def java_double(value: float) -> str:
    """Java's Double.toString: plain in [1e-3, 1e7), else `<mantissa>E<exponent>` (1.0E7)."""
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e7 or value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    text = repr(value) if "e" in repr(value) else f"{value:.15e}"
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


# -- validators: each takes a typed value and raises ValueError with the reason -----------------
def at_least(low: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value is not None and value < low:
            raise ValueError(f"Value must be at least {low}")
    return check


def between(low: float, high: float) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"Value must be no less than {low} and no more than {high}")
    return check


def one_of(*allowed: Any, why: str = "") -> Callable[[Any], None]:
    """Kafka's ValidString / ValidList.in: every item one of `allowed` (listed in Kafka's order)."""
    kind = "String " if all(isinstance(a, str) for a in allowed) else ""

    def check(value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item not in allowed:
                raise ValueError(f"{kind}must be one of: {', '.join(map(str, allowed))}{why}")
    return check


def must_be_false(why: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value:
            raise ValueError(why)
    return check


def positive_or_no_bound(value: Any) -> None:
    if value != -1 and value <= 0:
        raise ValueError("Value must be positive, or -1 for no bound")


def gzip_level(value: Any) -> None:
    if value != -1 and not 1 <= value <= 9:
        raise ValueError("Value must be between 1 and 9, or -1 for the default")


@dataclass(frozen=True)
class Key:
    name: str
    type: Type
    default: Any  # typed; None = no default (unset)
    importance: Importance
    doc: str
    validator: Optional[Callable[[Any], None]] = None
    honoured: bool = True  # False: accepted and reported, but has no effect on one fastlog node
    # Topic keys: the broker key whose value is this key's default (Kafka's TopicConfigSynonyms).
    broker_key: Optional[str] = None
    kafka_default: str = ""  # Kafka's default, as text, where fastlog's differs (`note` says why)
    fastlog_only: bool = False  # not a Kafka config
    note: str = ""  # what fastlog does differently, for the README

    def check(self, text: Optional[str]) -> Any:
        """Parse and validate a value given as text; ConfigError in Kafka's words."""
        if text is None:  # a SET without a value
            raise ConfigError(f"Null value not supported for config {self.name}")
        try:
            value = parse(self.type, text)
            if self.validator is not None:
                self.validator(value)
        except ValueError as e:
            raise ConfigError(f"Invalid value {text} for configuration {self.name}: {e}") from None
        return value


H, M, L = Importance.HIGH, Importance.MEDIUM, Importance.LOW
B, S, I, SH, LG, D, LS = Type.BOOLEAN, Type.STRING, Type.INT, Type.SHORT, Type.LONG, Type.DOUBLE, Type.LIST
ONE_NODE = "one node: no replicas, no controller quorum"
NO_TIERING = "no tiered storage"
# Where Kafka checks max.decompressed.message.bytes and fastlog does not.
DECOMPRESSED_NOTE = ("checked on the records of a Produce's compressed batches (INVALID_RECORD); Kafka also "
                     "checks it when the cleaner or a ListOffsets by timestamp decompresses stored batches")

# Listeners, TLS, SASL and ACLs (docs/security.md). The ssl.* and sasl.* keys may also be given
# per listener as listener.name.<listener>.<key> (Kafka's listener prefix), which wins.
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECURITY_KEYS = [
    Key("listener.security.protocol.map", S, "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
        L, "Listener name -> security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)."),
    Key("ssl.keystore.type", S, "JKS", M, "PEM or PKCS12 (JKS is not read).", one_of("JKS", "PEM", "PKCS12"),
        note="PEM and PKCS12 only"),
    Key("ssl.keystore.location", S, None, H, "Keystore file: PEM (key + chain) or PKCS12."),
    Key("ssl.keystore.password", Type.PASSWORD, None, H, "Password of a PKCS12 keystore."),
    Key("ssl.key.password", Type.PASSWORD, None, H, "Password of the private key (an encrypted PEM key)."),
    Key("ssl.keystore.certificate.chain", Type.PASSWORD, None, H, "Inline PEM certificate chain (ssl.keystore.type=PEM)."),
    Key("ssl.keystore.key", Type.PASSWORD, None, H, "Inline PEM private key (ssl.keystore.type=PEM)."),
    Key("ssl.truststore.type", S, "JKS", M, "PEM or PKCS12 (JKS is not read).", one_of("JKS", "PEM", "PKCS12"),
        note="PEM and PKCS12 only"),
    Key("ssl.truststore.location", S, None, H, "CA certificates that client certificates are checked against."),
    Key("ssl.truststore.password", Type.PASSWORD, None, H, "Password of a PKCS12 truststore."),
    Key("ssl.truststore.certificates", Type.PASSWORD, None, H, "Inline PEM CA certificates (ssl.truststore.type=PEM)."),
    Key("ssl.client.auth", S, "none", M, "Client certificates: none, requested or required.",
        one_of("none", "requested", "required")),
    Key("ssl.enabled.protocols", LS, ["TLSv1.2", "TLSv1.3"], M, "TLS versions served.",
        one_of("TLSv1.2", "TLSv1.3", why=": older TLS is not served")),
    Key("ssl.protocol", S, "TLSv1.3", M, "TLS protocol of the SSL context.", honoured=False,
        note="ssl.enabled.protocols decides"),
    Key("ssl.cipher.suites", LS, [], L, "TLS 1.2 cipher suites (OpenSSL names); empty: Python's defaults."),
    Key("ssl.principal.mapping.rules", S, "DEFAULT", L,
        "Rules mapping a client certificate's subject to a user name (RULE:pattern/replacement/[LU])."),
    Key("ssl.endpoint.identification.algorithm", S, "https", L, "Host name check of peers.", honoured=False,
        note="the broker makes no TLS connections"),
    Key("sasl.enabled.mechanisms", LS, ["GSSAPI"], M, "SASL mechanisms served.",
        one_of("GSSAPI", *SASL_MECHANISMS, why=": GSSAPI is accepted as the default but never offered"),
        note="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; GSSAPI is not offered"),
    Key("sasl.mechanism.inter.broker.protocol", S, "GSSAPI", M, "Mechanism between brokers.", honoured=False,
        note="one node"),
    Key("plain.sasl.jaas.config", Type.PASSWORD, None, M,
        "PLAIN users: PlainLoginModule required user_NAME=\"password\" ...; (usually listener-prefixed).",
        fastlog_only=True, note="Kafka: listener.name.X.plain.sasl.jaas.config only; here the prefix is optional"),
    Key("connections.max.reauth.ms", LG, 0, M, "Longest SASL session before the client must re-authenticate; 0: forever.",
        at_least(0)),
    Key("scram.bootstrap.users", Type.PASSWORD, None, M,
        "SCRAM users created at start if missing: SCRAM-SHA-512=[name=admin,password=s];... "
        "(the --add-scram syntax of kafka-storage format).", fastlog_only=True,
        note="Kafka: kafka-storage format --add-scram"),
    Key("authorizer.class.name", S, "", L, "ACL authorizer: empty (none) or StandardAuthorizer (fastlog's ACLs)."),
    Key("super.users", S, None, L, "Principals allowed everything: User:admin;User:other.", fastlog_only=True,
        note="Kafka's authorizer reads it; Kafka's DescribeConfigs does not report it"),
    Key("allow.everyone.if.no.acl.found", B, False, L, "A resource without ACLs is open to everyone.",
        fastlog_only=True, note="Kafka's authorizer reads it; Kafka's DescribeConfigs does not report it"),
]

BROKER_KEYS: dict[str, Key] = {k.name: k for k in [
    # -- the node and its listener --
    Key("listeners", LS, ["PLAINTEXT://127.0.0.1:9092"], H,
        "Listeners, NAME://host:port,...; port 0 picks a free one (docs/security.md).",
        kafka_default="PLAINTEXT://:9092", note="loopback by default"),
    Key("advertised.listeners", LS, None, H,
        "Addresses given to clients, NAME://host:port per listener; default: the bound ones."),
    Key("log.dirs", LS, None, H, "Data folders; fastlog uses the first.", note="only the first folder is used"),
    Key("log.dir", LS, ["./fastlog-data"], H, "Data folder when log.dirs is not set.",
        kafka_default="/tmp/kafka-logs", note="a folder beside where it is started"),
    Key("node.id", I, 1, H, "This node's id.", kafka_default="none, required",
        note="a lone node can default to 1"),
    Key("broker.id", I, -1, H, "Old name of node.id; used when node.id is not set."),
    Key("cluster.id", S, None, L, "Cluster id written to meta.properties on first start; random if unset.",
        fastlog_only=True, note="Kafka's kafka-storage format sets it"),
    # -- topics --
    Key("num.partitions", I, 1, M, "Partitions of an auto-created topic or one created with -1.", at_least(1)),
    Key("default.replication.factor", I, 1, M, "Replication factor of new topics.", one_of(1, why=": one node"),
        note="any other value is refused at start"),
    Key("auto.create.topics.enable", B, True, H, "Metadata and Produce create a topic that does not exist."),
    Key("delete.topic.enable", B, True, H, "DeleteTopics is allowed."),
    # -- requests --
    Key("message.max.bytes", I, 1048588, H, "Largest record batch accepted (MESSAGE_TOO_LARGE above).", at_least(0)),
    Key("socket.request.max.bytes", I, 104857600, H, "Largest request frame; a bigger one closes the connection.",
        at_least(1)),
    Key("queued.max.request.bytes", LG, 268435456, M,
        "Request bytes read but not yet handled, across all connections; -1 = no bound.", positive_or_no_bound,
        kafka_default="-1", note="bounded by default; see docs/reliability.md"),
    Key("request.arrival.timeout.ms", LG, 60000, M, "A request must arrive whole within this time after its first byte.",
        at_least(1), fastlog_only=True, note="closes slow or stuck senders"),
    Key("connections.max.idle.ms", LG, 600000, M, "A connection idle this long is closed.", at_least(1)),
    Key("max.connections", I, INT_MAX, M, "Most client connections.", at_least(1),
        note="connections beyond it are closed at once (Kafka stops accepting)"),
    Key("max.connections.per.ip", I, INT_MAX, M, "Most connections from one client address.", at_least(1),
        note="connections beyond it are closed at once"),
    Key("fetch.max.bytes", I, 57671680, M, "Most bytes one Fetch answer carries.", at_least(1024)),
    Key("max.incremental.fetch.session.cache.slots", I, 1000, M,
        "Most incremental fetch sessions (KIP-227) the broker keeps.", at_least(0),
        note="one cache with all the slots (Kafka splits them over 8 shards)"),
    Key("quota.window.num", I, 11, L, "Windows over which a client quota's rate is measured.", at_least(1)),
    Key("quota.window.size.seconds", I, 1, L, "Length of one quota window; the longest throttle.", at_least(1)),
    # -- the log --
    Key("log.segment.bytes", I, 1073741824, H, "Size at which a partition starts a new segment file.", at_least(14)),
    Key("log.index.interval.bytes", I, 4096, M, "Bytes between offset index entries.", at_least(0)),
    Key("log.index.size.max.bytes", I, 10485760, M, "Largest offset index file.", at_least(4), honoured=False,
        note="index files grow as needed"),
    Key("log.flush.interval.messages", LG, LONG_MAX, H, "Messages appended to a partition before fsync.",
        at_least(1)),
    Key("log.flush.interval.ms", LG, None, H, "Longest time data stays unflushed; unset: log.flush.scheduler.interval.ms.",
        at_least(0)),
    Key("log.flush.scheduler.interval.ms", LG, LONG_MAX, H, "How often the flusher runs (never by default: the page cache)."),
    Key("log.retention.ms", LG, None, H, "Age after which segments are deleted; -1 = forever.", at_least(-1)),
    Key("log.retention.minutes", I, None, H, "Retention in minutes, when log.retention.ms is not set."),
    Key("log.retention.hours", I, 168, H, "Retention in hours, when neither .ms nor .minutes is set."),
    Key("log.retention.bytes", LG, -1, H, "Size above which a partition's oldest segments are deleted; -1 = no limit."),
    Key("log.retention.check.interval.ms", LG, 300000, M, "How often retention is checked.", at_least(1)),
    Key("log.message.timestamp.type", S, "CreateTime", M, "CreateTime keeps the producer's timestamp; LogAppendTime stamps the broker's.",
        one_of("CreateTime", "LogAppendTime")),
    Key("log.message.timestamp.before.max.ms", LG, LONG_MAX, M, "Furthest in the past a CreateTime timestamp may be.",
        at_least(0)),
    Key("log.message.timestamp.after.max.ms", LG, 3600000, M, "Furthest in the future a CreateTime timestamp may be.",
        at_least(0)),
    Key("log.cleanup.policy", LS, ["delete"], M, "delete (by retention) and/or compact.", one_of("compact", "delete")),
    Key("compression.type", S, "producer", H, "Codec of stored batches; producer keeps each as sent.",
        one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
    Key("log.roll.ms", LG, None, M, "Age at which a segment is rolled.", at_least(1)),
    Key("log.roll.hours", I, 168, H, "Segment age in hours, when log.roll.ms is not set.", at_least(1)),
    Key("log.roll.jitter.ms", LG, None, M, "Random jitter subtracted from the roll time.", at_least(0)),
    Key("log.roll.jitter.hours", I, 0, M, "Roll jitter in hours.", at_least(0)),
    Key("log.segment.delete.delay.ms", LG, 60000, H, "Wait before a deleted segment's files are removed.", at_least(0),
        honoured=False, note="files are removed at once"),
    Key("log.preallocate", B, False, M, "Preallocate segment files.", honoured=False),
    Key("log.cleaner.enable", B, True, M, "Run the log cleaner (compaction of compact topics)."),
    Key("log.cleaner.threads", I, 1, M, "Cleaner threads (logs cleaned at the same time).", at_least(0)),
    Key("log.cleaner.backoff.ms", LG, 15000, M, "Pause of the cleaner when no log needs cleaning.", at_least(0)),
    Key("log.cleaner.dedupe.buffer.size", LG, 134217728, M,
        "Key map memory of all cleaner threads (24 bytes a key); a pass cleans the prefix that fits.", at_least(0)),
    Key("log.cleaner.io.buffer.load.factor", D, 0.9, M, "How full the key map may get.", between(0, 1)),
    Key("log.cleaner.io.buffer.size", I, 524288, M, "Cleaner I/O buffer size.", at_least(0), honoured=False,
        note="the cleaner reads 1 MiB windows"),
    Key("log.cleaner.io.max.bytes.per.second", D, 1.7976931348623157e308, M,
        "Cleaner I/O (read + written) limit, bytes per second, all threads together."),
    Key("log.cleaner.delete.retention.ms", LG, 86400000, M, "How long compaction keeps delete tombstones.",
        at_least(0)),
    Key("log.cleaner.min.cleanable.ratio", D, 0.5, M, "Dirty ratio at which a log is compacted.", between(0, 1)),
    Key("log.cleaner.min.compaction.lag.ms", LG, 0, M, "Least age of a record before compaction.", at_least(0)),
    Key("log.cleaner.max.compaction.lag.ms", LG, LONG_MAX, M, "Greatest age of an uncompacted record.", at_least(1)),
    Key("log.local.retention.ms", LG, -2, M, "Local retention with tiered storage.", at_least(-2), honoured=False,
        note=NO_TIERING),
    Key("log.local.retention.bytes", LG, -2, M, "Local size limit with tiered storage.", at_least(-2), honoured=False,
        note=NO_TIERING),
    Key("log.remote.copy.lag.bytes", LG, -1, M, "Bytes of newer data before a segment is copied to tiered storage.",
        at_least(-1), honoured=False, note=NO_TIERING),
    Key("log.remote.copy.lag.ms", LG, 0, M, "Age before a segment is copied to tiered storage.", at_least(-1),
        honoured=False, note=NO_TIERING),
    Key("max.decompressed.message.bytes", I, 2147483639, M, "Largest decompressed record accepted.", at_least(0),
        note=DECOMPRESSED_NOTE),
    Key("compression.gzip.level", I, -1, M, "gzip level when the broker compresses.", gzip_level),
    Key("compression.lz4.level", I, 9, M, "lz4 level when the broker compresses.", between(1, 17)),
    Key("compression.zstd.level", I, 3, M, "zstd level when the broker compresses.", between(-131072, 22)),
    Key("min.insync.replicas", I, 1, H, "Replicas that must have a write acknowledged with acks=all.", at_least(1),
        honoured=False, note="one replica, always in sync"),
    Key("unclean.leader.election.enable", B, False, H, "Elect an out-of-sync replica as leader.", honoured=False,
        note=ONE_NODE),
    # -- consumer groups --
    Key("offsets.topic.num.partitions", I, 50, H, "Partitions of __consumer_offsets.", at_least(1)),
    Key("offsets.topic.segment.bytes", I, 104857600, H, "Segment size of __consumer_offsets.", at_least(1)),
    Key("offsets.topic.replication.factor", SH, 3, H, "Replication factor of __consumer_offsets.", at_least(1),
        honoured=False, note=ONE_NODE),
    Key("offsets.retention.minutes", I, 10080, H, "How long committed offsets of an empty group are kept.", at_least(1)),
    Key("offsets.retention.check.interval.ms", LG, 600000, H, "How often stale offsets are removed.", at_least(1)),
    Key("offset.metadata.max.bytes", I, 4096, H, "Longest metadata string of a committed offset."),
    Key("group.initial.rebalance.delay.ms", I, 0, M, "Wait for more members before a new group's first rebalance.",
        kafka_default="3000", note="on one node used by tests and tools the wait only slows every first join"),
    Key("group.min.session.timeout.ms", I, 6000, M, "Shortest session timeout a member may ask for."),
    Key("group.max.session.timeout.ms", I, 1800000, M, "Longest session timeout a member may ask for."),
    Key("group.max.size", I, INT_MAX, M, "Most members of one group.", at_least(1)),
    # -- transactions (coordinator/transactions.py) --
    Key("transaction.state.log.num.partitions", I, 50, H, "Partitions of __transaction_state.", at_least(1)),
    Key("transaction.state.log.segment.bytes", I, 104857600, H, "Segment size of __transaction_state.", at_least(1)),
    Key("transaction.max.timeout.ms", I, 900000, H, "Longest transaction timeout a producer may ask for.",
        at_least(1)),
    Key("transactional.id.expiration.ms", I, 604800000, H,
        "How long an idle transactional id is remembered after its last transaction.", at_least(1)),
    Key("transaction.abort.timed.out.transaction.cleanup.interval.ms", I, 10000, L,
        "How often transactions past their timeout are looked for and aborted.", at_least(1)),
    Key("transaction.remove.expired.transaction.cleanup.interval.ms", I, 3600000, L,
        "How often expired transactional ids are removed.", at_least(1)),
    Key("producer.id.expiration.ms", I, 86400000, L,
        "How long a partition keeps an idle producer's state (its sequence numbers) when it has no "
        "ongoing transaction.", at_least(1)),
    Key("producer.id.expiration.check.interval.ms", I, 600000, L,
        "How often idle producers are looked for.", at_least(1), fastlog_only=True,
        note="an internal config in Kafka: its DescribeConfigs does not report it"),
    Key("transaction.partition.verification.enable", B, True, L,
        "Produce checks a transactional batch's partition is in its producer's ongoing transaction."),
    # -- consumer groups of the KIP-848 protocol (group.protocol=consumer) --
    Key("group.coordinator.rebalance.protocols", LS, ["classic", "consumer"], M,
        "Group protocols the coordinator serves.", one_of("classic", "consumer", "streams", "share"),
        kafka_default="classic,consumer,streams", note="no streams groups (KIP-1071)"),
    Key("group.consumer.session.timeout.ms", I, 45000, M, "Session timeout of a consumer-protocol member.",
        at_least(1)),
    Key("group.consumer.min.session.timeout.ms", I, 45000, M, "Lower bound of group.consumer.session.timeout.ms.",
        at_least(1)),
    Key("group.consumer.max.session.timeout.ms", I, 60000, M, "Upper bound of group.consumer.session.timeout.ms.",
        at_least(1)),
    Key("group.consumer.heartbeat.interval.ms", I, 5000, M, "How often consumer-protocol members heartbeat.",
        at_least(1)),
    Key("group.consumer.min.heartbeat.interval.ms", I, 5000, M,
        "Lower bound of group.consumer.heartbeat.interval.ms.", at_least(1)),
    Key("group.consumer.max.heartbeat.interval.ms", I, 15000, M,
        "Upper bound of group.consumer.heartbeat.interval.ms.", at_least(1)),
    Key("group.consumer.max.size", I, INT_MAX, M, "Most members of one consumer-protocol group.", at_least(1)),
    Key("group.consumer.assignors", LS, ["uniform", "range"], M,
        "Server-side assignors, the first is the default (short names or Kafka's class names).",
        one_of("uniform", "range", "org.apache.kafka.coordinator.group.assignor.UniformAssignor",
               "org.apache.kafka.coordinator.group.assignor.RangeAssignor"),
        kafka_default="org.apache.kafka.coordinator.group.assignor.UniformAssignor,"
                      "org.apache.kafka.coordinator.group.assignor.RangeAssignor",
        note="short names accepted too; custom assignor classes are not"),
    Key("group.consumer.migration.policy", S, "bidirectional", M,
        "Conversion between classic and consumer groups: bidirectional, upgrade, downgrade or disabled.",
        one_of("bidirectional", "upgrade", "downgrade", "disabled"),
        note="live groups too (online migration, docs/groups.md)"),
    # -- share groups (KIP-932): coordinator/share_groups.py, share_partition.py --
    Key("group.share.session.timeout.ms", I, 45000, M, "Session timeout of a share-group member.", at_least(1)),
    Key("group.share.min.session.timeout.ms", I, 45000, M, "Lower bound of group.share.session.timeout.ms.",
        at_least(1)),
    Key("group.share.max.session.timeout.ms", I, 60000, M, "Upper bound of group.share.session.timeout.ms.",
        at_least(1)),
    Key("group.share.heartbeat.interval.ms", I, 5000, M, "How often share-group members heartbeat.", at_least(1)),
    Key("group.share.min.heartbeat.interval.ms", I, 5000, M, "Lower bound of group.share.heartbeat.interval.ms.",
        at_least(1)),
    Key("group.share.max.heartbeat.interval.ms", I, 15000, M, "Upper bound of group.share.heartbeat.interval.ms.",
        at_least(1)),
    Key("group.share.max.size", I, 200, M, "Most members of one share group.", between(1, 1000)),
    Key("group.share.record.lock.duration.ms", I, 30000, M,
        "How long a share-group member holds the records a ShareFetch acquired for it.", at_least(1000)),
    Key("group.share.min.record.lock.duration.ms", I, 15000, M,
        "Lower bound of group.share.record.lock.duration.ms.", at_least(1000)),
    Key("group.share.max.record.lock.duration.ms", I, 60000, M,
        "Upper bound of group.share.record.lock.duration.ms.", at_least(1000)),
    Key("group.share.delivery.count.limit", I, 5, M,
        "The maximum number of delivery attempts for a record delivered to a share group.", between(2, 10)),
    Key("group.share.partition.max.record.locks", I, 2000, M, "Share-group record lock limit per share-partition.",
        between(100, 10000)),
    Key("group.share.max.share.sessions", I, 2000, M,
        "Most share sessions at once; a new one past it gets SHARE_SESSION_LIMIT_REACHED.", at_least(1)),
    # -- keys of a cluster or of threads: accepted, no effect on one asyncio node --
    Key("transaction.state.log.replication.factor", SH, 3, H, "Replication factor of __transaction_state.",
        at_least(1), honoured=False, note=ONE_NODE),
    Key("transaction.state.log.min.isr", I, 2, H, "min.insync.replicas of __transaction_state.", at_least(1),
        honoured=False, note=ONE_NODE),
    Key("share.coordinator.state.topic.replication.factor", SH, 3, M, "Replication factor of __share_group_state.",
        at_least(1), honoured=False, note=ONE_NODE),
    Key("share.coordinator.state.topic.min.isr", SH, 2, M, "min.insync.replicas of __share_group_state.", at_least(1),
        honoured=False, note=ONE_NODE),
    Key("process.roles", LS, None, H, "broker and/or controller.", honoured=False, note=ONE_NODE),
    Key("controller.quorum.voters", LS, [], H, "The controller quorum, id@host:port.", honoured=False, note=ONE_NODE),
    Key("controller.quorum.bootstrap.servers", LS, [], H, "Controllers to discover the quorum from.", honoured=False,
        note=ONE_NODE),
    Key("controller.listener.names", LS, None, H, "Listeners the controller uses.", honoured=False, note=ONE_NODE),
    Key("inter.broker.listener.name", S, None, M, "Listener brokers use between themselves.", honoured=False,
        note=ONE_NODE),
    Key("num.network.threads", I, 3, H, "Network threads.", at_least(1),
        note="event loops serving connections: the main one (handlers, coordinators) and this many less one "
             "threads, which frame, write and serve fast-path Produce requests and Fetches; read at start; 1 is "
             "the leanest where the broker has one core (docs/scaling.md)"),
    Key("num.io.threads", I, 8, H, "Request handler threads.", at_least(1),
        note="sizes the pools of append threads (the engine appends record sets of 64 KiB and more there, "
             "without the GIL; the Produce fast path's threads never take it); handlers run on the main asyncio "
             "loop (num.network.threads)"),
    Key("num.recovery.threads.per.data.dir", I, 2, H, "Threads recovering logs at start and flushing them at shutdown.",
        at_least(1), note="used at shutdown; logs are opened one by one"),
    Key("num.replica.fetchers", I, 1, H, "Replica fetcher threads.", honoured=False, note=ONE_NODE),
    Key("socket.send.buffer.bytes", I, 102400, H, "SO_SNDBUF of client sockets; -1 = the OS default.",
        honoured=False, note="the OS default is used"),
    Key("socket.receive.buffer.bytes", I, 102400, H, "SO_RCVBUF of client sockets; -1 = the OS default.",
        honoured=False, note="the OS default is used"),
    *SECURITY_KEYS,
]}

# Broker keys that may change at runtime (kafka-configs --entity-type brokers --alter, per broker
# or --entity-default): Kafka's DynamicBrokerConfig.AllDynamicConfigs that fastlog applies live
# (topic defaults are read at each use and handed to the open logs) or does not act on at all.
# DescribeConfigs reports the others read-only, and altering them is refused as Kafka refuses
# them. Kafka's that fastlog cannot apply live stay read-only: listeners, listener.security.protocol.map,
# the ssl.*/sasl.* keys (docs/security.md), max.connections[.per.ip].
DYNAMIC_BROKER_KEYS = frozenset([
    "compression.type", "compression.gzip.level", "compression.lz4.level", "compression.zstd.level",
    "log.cleaner.delete.retention.ms", "log.cleaner.min.cleanable.ratio", "log.cleaner.min.compaction.lag.ms",
    "log.cleaner.max.compaction.lag.ms", "log.cleanup.policy",
    # Kafka's LogCleaner.ReconfigurableConfigs; storage/cleaner.py reads them at each round/pass.
    "log.cleaner.threads", "log.cleaner.backoff.ms", "log.cleaner.dedupe.buffer.size",
    "log.cleaner.io.buffer.load.factor", "log.cleaner.io.buffer.size", "log.cleaner.io.max.bytes.per.second",
    "log.flush.interval.messages", "log.flush.interval.ms", "log.index.interval.bytes", "log.index.size.max.bytes",
    "log.local.retention.bytes", "log.local.retention.ms", "log.remote.copy.lag.bytes", "log.remote.copy.lag.ms",
    "log.message.timestamp.after.max.ms", "max.decompressed.message.bytes",
    "log.message.timestamp.before.max.ms", "log.message.timestamp.type", "log.preallocate", "log.retention.bytes",
    "log.retention.ms", "log.roll.jitter.ms", "log.roll.ms", "log.segment.bytes", "log.segment.delete.delay.ms",
    "message.max.bytes", "min.insync.replicas", "num.io.threads", "num.network.threads",
    "num.recovery.threads.per.data.dir", "num.replica.fetchers", "unclean.leader.election.enable",
    # Kafka's ProducerStateManagerConfig: produce.py reads the first at each transactional
    # batch, LogManager.expire_producers the second at each check.
    "transaction.partition.verification.enable", "producer.id.expiration.ms",
])

# Broker keys that stand for one setting in different units, most precise first; the first one
# set wins (Kafka's DynamicBrokerConfig.brokerConfigSynonyms). Value = milliseconds per unit.
_SYNONYM_GROUPS: list[list[tuple[str, int]]] = [
    [("log.retention.ms", 1), ("log.retention.minutes", 60_000), ("log.retention.hours", 3_600_000)],
    [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)],
    [("log.roll.jitter.ms", 1), ("log.roll.jitter.hours", 3_600_000)],
    [("log.flush.interval.ms", 1), ("log.flush.scheduler.interval.ms", 1)],
]
BROKER_SYNONYMS: dict[str, list[tuple[str, int]]] = {name: group for group in _SYNONYM_GROUPS for name, _ in group}


def _topic(name: str, type_: Type, default: Any, importance: Importance, doc: str, broker_key: Optional[str],
           validator: Optional[Callable[[Any], None]] = None, **kw: Any) -> Key:
    return Key(name, type_, default, importance, doc, validator, broker_key=broker_key, **kw)


# Every topic config Kafka 4.4 reports for a topic. Every one may change on a live topic and
# applies from the next append, segment roll or retention pass (LogManager.alter_topic_configs
# hands the new values to the open partition logs); a key fastlog does not act on is stored and
# reported all the same.
TOPIC_KEYS: dict[str, Key] = {k.name: k for k in [
    _topic("cleanup.policy", LS, ["delete"], M, "delete (by retention) and/or compact.", "log.cleanup.policy",
           one_of("compact", "delete")),
    _topic("compression.type", S, "producer", M, "Codec of stored batches; producer keeps each as sent, another "
           "recompresses batches not already in it.", "compression.type",
           one_of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
    _topic("compression.gzip.level", I, -1, M, "gzip level when the broker compresses.", "compression.gzip.level",
           gzip_level),
    _topic("compression.lz4.level", I, 9, M, "lz4 level when the broker compresses.", "compression.lz4.level",
           between(1, 17)),
    _topic("compression.zstd.level", I, 3, M, "zstd level when the broker compresses.", "compression.zstd.level",
           between(-131072, 22)),
    _topic("delete.retention.ms", LG, 86400000, M, "How long compaction keeps delete tombstones.",
           "log.cleaner.delete.retention.ms", at_least(0)),
    _topic("errors.deadletterqueue.group.enable", B, False, M, "Allow share groups to use this topic as a dead-letter queue.",
           None, honoured=False, note="share groups have no dead-letter queues here (share.version 2)"),
    _topic("file.delete.delay.ms", LG, 60000, M, "Wait before a deleted segment's files are removed.",
           "log.segment.delete.delay.ms", at_least(0), honoured=False, note="files are removed at once"),
    _topic("flush.messages", LG, LONG_MAX, M, "Messages appended before fsync.", "log.flush.interval.messages",
           at_least(1)),
    _topic("flush.ms", LG, LONG_MAX, M, "Longest time data stays unflushed.", "log.flush.interval.ms", at_least(0),
           note="checked once a second"),
    _topic("follower.replication.throttled.replicas", LS, [], M, "Replicas throttled on the follower side.", None,
           honoured=False, note=ONE_NODE),
    _topic("index.interval.bytes", I, 4096, M, "Bytes between offset index entries.", "log.index.interval.bytes",
           at_least(0)),
    _topic("leader.replication.throttled.replicas", LS, [], M, "Replicas throttled on the leader side.", None,
           honoured=False, note=ONE_NODE),
    _topic("local.retention.bytes", LG, -2, M, "Local size limit with tiered storage.", "log.local.retention.bytes",
           at_least(-2), honoured=False, note=NO_TIERING),
    _topic("local.retention.ms", LG, -2, M, "Local retention with tiered storage.", "log.local.retention.ms",
           at_least(-2), honoured=False, note=NO_TIERING),
    _topic("max.compaction.lag.ms", LG, LONG_MAX, M, "Greatest age of an uncompacted record.",
           "log.cleaner.max.compaction.lag.ms", at_least(1)),
    _topic("max.message.bytes", I, 1048588, M, "Largest record batch accepted.", "message.max.bytes", at_least(0)),
    _topic("max.decompressed.message.bytes", I, 2147483639, M, "Largest decompressed record accepted.",
           "max.decompressed.message.bytes", at_least(0), note=DECOMPRESSED_NOTE),
    _topic("message.timestamp.after.max.ms", LG, 3600000, M, "Furthest in the future a CreateTime timestamp may be.",
           "log.message.timestamp.after.max.ms", at_least(0)),
    _topic("message.timestamp.before.max.ms", LG, LONG_MAX, M, "Furthest in the past a CreateTime timestamp may be.",
           "log.message.timestamp.before.max.ms", at_least(0)),
    _topic("message.timestamp.type", S, "CreateTime", M, "CreateTime or LogAppendTime.", "log.message.timestamp.type",
           one_of("CreateTime", "LogAppendTime")),
    _topic("min.cleanable.dirty.ratio", D, 0.5, M, "Dirty ratio at which the log is compacted.",
           "log.cleaner.min.cleanable.ratio", between(0, 1)),
    _topic("min.compaction.lag.ms", LG, 0, M, "Least age of a record before compaction.",
           "log.cleaner.min.compaction.lag.ms", at_least(0)),
    _topic("min.insync.replicas", I, 1, M, "Replicas that must have a write acknowledged with acks=all.",
           "min.insync.replicas", at_least(1), honoured=False, note="one replica, always in sync"),
    _topic("preallocate", B, False, M, "Preallocate segment files.", "log.preallocate", honoured=False),
    _topic("remote.copy.lag.bytes", LG, -1, M, "Bytes of newer data before a segment is copied to tiered storage.",
           "log.remote.copy.lag.bytes", at_least(-1), honoured=False, note=NO_TIERING),
    _topic("remote.copy.lag.ms", LG, 0, M, "Age before a segment is copied to tiered storage.",
           "log.remote.copy.lag.ms", at_least(-1), honoured=False, note=NO_TIERING),
    _topic("remote.log.copy.disable", B, False, M, "Stop copying segments to tiered storage.", None,
           honoured=False, note=NO_TIERING),
    _topic("remote.log.delete.on.disable", B, False, M, "Delete tiered data when tiering is turned off.", None,
           honoured=False, note=NO_TIERING),
    _topic("remote.storage.enable", B, False, M, "Tier this topic's segments to remote storage.", None,
           must_be_false("Tiered Storage functionality is disabled in the broker"),
           note="true is refused, as by a Kafka broker without tiered storage"),
    _topic("retention.bytes", LG, -1, M, "Size above which the oldest segments are deleted; -1 = no limit.",
           "log.retention.bytes"),
    _topic("retention.ms", LG, 604800000, M, "Age after which segments are deleted; -1 = forever.", "log.retention.ms",
           at_least(-1)),
    _topic("segment.bytes", I, 1073741824, M, "Size at which a new segment file starts.", "log.segment.bytes",
           at_least(14), note="Kafka 4 wants at least 1048576; smaller is allowed (tests use small segments)"),
    _topic("segment.index.bytes", I, 10485760, M, "Largest offset index file.", "log.index.size.max.bytes",
           at_least(4), honoured=False, note="index files grow as needed"),
    _topic("segment.jitter.ms", LG, 0, M, "Random jitter subtracted from the roll time.", "log.roll.jitter.ms",
           at_least(0)),
    _topic("segment.ms", LG, 604800000, M, "Age at which a segment is rolled (checked at each append, as Kafka).",
           "log.roll.ms", at_least(1)),
    _topic("unclean.leader.election.enable", B, False, M, "Elect an out-of-sync replica as leader.",
           "unclean.leader.election.enable", honoured=False, note=ONE_NODE),
]}


# Group configs (DescribeConfigs / IncrementalAlterConfigs resource type GROUP, Kafka 4.4's
# GroupConfig): per group, overriding the broker's group.* setting named in `broker_key` (its
# synonym). A value must lie within the broker's bounds for it (GROUP_BOUNDS). The keys marked
# `acted_on` are read through DynamicConfigs.group_setting by coordinator/share_groups.py and
# coordinator/consumer_groups.py; the others are stored and reported.
NOT_ACTED_ON = "stored and reported; fastlog does not act on it"


def _group(name: str, type_: Type, default: Any, doc: str, broker_key: Optional[str],
           validator: Optional[Callable[[Any], None]] = None, acted_on: bool = False) -> Key:
    if acted_on:
        return Key(name, type_, default, M, doc, validator, broker_key=broker_key)
    return Key(name, type_, default, M, doc, validator, broker_key=broker_key, honoured=False, note=NOT_ACTED_ON)


def share_auto_offset_reset(value: Any) -> None:
    if value not in ("earliest", "latest") and not value.startswith("by_duration:"):
        raise ValueError(f"Invalid value `{value}` for configuration share.auto.offset.reset. The value must be "
                         "either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.")


GROUP_KEYS: dict[str, Key] = {k.name: k for k in [
    _group("consumer.assignment.interval.ms", I, 1000, "The interval between assignments of a consumer group.",
           "group.consumer.assignment.interval.ms", at_least(0)),
    _group("consumer.heartbeat.interval.ms", I, 5000, "The heartbeat interval given to the members of a consumer "
           "group.", "group.consumer.heartbeat.interval.ms", at_least(1), acted_on=True),
    _group("consumer.session.timeout.ms", I, 45000, "The timeout to detect client failures when using the consumer "
           "group protocol.", "group.consumer.session.timeout.ms", at_least(1), acted_on=True),
    _group("errors.deadletterqueue.copy.record.enable", B, False, "Copy the record to the share group's "
           "dead-letter queue topic.", None),
    _group("errors.deadletterqueue.topic.name", S, "", "The share group's dead-letter queue topic.", None),
    _group("share.assignment.interval.ms", I, 1000, "The interval between assignments of a share group.",
           "group.share.assignment.interval.ms", at_least(0)),
    _group("share.auto.offset.reset", S, "latest", "The strategy to initialize the share-partition start offset: "
           "earliest, latest or by_duration:<ISO8601 duration>.", None, share_auto_offset_reset, acted_on=True),
    _group("share.delivery.count.limit", I, 5, "Most delivery attempts of a record to a share group.",
           "group.share.delivery.count.limit", at_least(2), acted_on=True),
    _group("share.heartbeat.interval.ms", I, 5000, "The heartbeat interval given to the members of a share group.",
           "group.share.heartbeat.interval.ms", at_least(1), acted_on=True),
    _group("share.isolation.level", S, "read_uncommitted", "Controls how to read records written transactionally.",
           None, one_of("read_committed", "read_uncommitted"), acted_on=True),
    _group("share.partition.max.record.locks", I, 2000, "Most records in flight per share-partition.",
           "group.share.partition.max.record.locks", at_least(100), acted_on=True),
    _group("share.record.lock.duration.ms", I, 30000, "The record acquisition lock duration in milliseconds for "
           "share groups.", "group.share.record.lock.duration.ms", at_least(1000), acted_on=True),
    _group("share.renew.acknowledge.enable", B, True, "Members may renew a record's acquisition lock.", None),
    _group("share.session.timeout.ms", I, 45000, "The timeout to detect client failures when using the share group "
           "protocol.", "group.share.session.timeout.ms", at_least(1), acted_on=True),
    _group("streams.assignment.interval.ms", I, 1000, "The interval between assignments of a streams group.",
           "group.streams.assignment.interval.ms", at_least(0)),
    _group("streams.assignor.name", S, "sticky", "The task assignor of a streams group.", "group.streams.assignors"),
    _group("streams.heartbeat.interval.ms", I, 5000, "The heartbeat interval given to the members.",
           "group.streams.heartbeat.interval.ms", at_least(1)),
    _group("streams.initial.rebalance.delay.ms", I, 3000, "Wait for more members before a streams group's first "
           "rebalance.", "group.streams.initial.rebalance.delay.ms", at_least(0)),
    _group("streams.num.standby.replicas", I, 0, "The number of standby replicas for each task.",
           "group.streams.num.standby.replicas", at_least(0)),
    _group("streams.rack.aware.assignment.tags", LS, [], "Rack-aware assignment tags of a streams group.",
           "group.streams.rack.aware.assignment.tags"),
    _group("streams.session.timeout.ms", I, 45000, "The timeout to detect client failures when using the streams "
           "group protocol.", "group.streams.session.timeout.ms", at_least(1)),
]}
# The least and most value of a group key. A name is the broker key holding the bound (Kafka
# checks a group's value against the broker's current group.*.min/max.* settings); a number is
# Kafka's default bound where fastlog has no broker key for it.
GROUP_BOUNDS: dict[str, tuple[Union[str, int, None], Union[str, int]]] = {
    # In the order Kafka checks them (the first error wins).
    "consumer.heartbeat.interval.ms": ("group.consumer.min.heartbeat.interval.ms",
                                       "group.consumer.max.heartbeat.interval.ms"),
    "consumer.session.timeout.ms": ("group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms"),
    "consumer.assignment.interval.ms": (0, 15000),
    "share.heartbeat.interval.ms": ("group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"),
    "share.session.timeout.ms": ("group.share.min.session.timeout.ms", "group.share.max.session.timeout.ms"),
    "share.record.lock.duration.ms": ("group.share.min.record.lock.duration.ms",
                                      "group.share.max.record.lock.duration.ms"),
    "share.delivery.count.limit": (2, 10),
    "share.partition.max.record.locks": (100, 4000),
    "share.assignment.interval.ms": (0, 15000),
    "streams.heartbeat.interval.ms": (5000, 15000),
    "streams.session.timeout.ms": (45000, 60000),
    "streams.num.standby.replicas": (None, 2),
    "streams.assignment.interval.ms": (0, 15000),
}
# (session key, heartbeat key) of each group type: the session must outlast the heartbeat.
GROUP_SESSION_PAIRS = [("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"),
                       ("share.session.timeout.ms", "share.heartbeat.interval.ms"),
                       ("streams.session.timeout.ms", "streams.heartbeat.interval.ms")]


def group_bounds(config: "Config", key: str) -> tuple[Optional[int], int]:
    """The least (None: no least) and most value group key `key` may take on this broker now."""
    low, high = GROUP_BOUNDS[key]
    return (config.get_int(low) if isinstance(low, str) else low,
            config.get_int(high) if isinstance(high, str) else high)


def group_broker_value(config: "Config", key: str) -> Any:
    """What group key `key` is for a group that does not set it: its broker key's value."""
    spec = GROUP_KEYS[key]
    return config.get(spec.broker_key) if spec.broker_key in BROKER_KEYS else spec.default


def group_value(config: "Config", own: dict[str, str], key: str) -> Any:
    """The value of group key `key` for a group whose own configs are `own`: its own value held
    within the broker's current bounds (as Kafka's GroupConfig.evaluate clamps a value the
    bounds have moved past since it was set), else the broker's."""
    if key not in own:
        return group_broker_value(config, key)
    value = GROUP_KEYS[key].check(own[key])
    if key in GROUP_BOUNDS:
        low, high = group_bounds(config, key)
        value = min(value, high) if low is None else max(low, min(value, high))
    return value


def validate_group_configs(config: "Config", configs: dict[str, str]) -> None:
    """Check a group's configs as Kafka's GroupConfig.validate does, against this broker's
    bounds; ConfigError in its words."""
    for key in configs:  # names first, then values, then ranges: Kafka's order
        if key not in GROUP_KEYS:
            raise ConfigError(f"Unknown group config name: {key}")
    values = {key: GROUP_KEYS[key].check(text) for key, text in configs.items()}
    for key in GROUP_BOUNDS:
        if key in values:
            value = values[key]
            low, high = group_bounds(config, key)
            if low is None and value > high:
                raise ConfigError(f"{key} must be less than or equal to {high}")
            if low is not None and not low <= value <= high:
                raise ConfigError(f"{key} must be in the range {low} to {high} inclusive.")
    for session_key, heartbeat_key in GROUP_SESSION_PAIRS:
        if session_key in values or heartbeat_key in values:
            session = values.get(session_key, group_broker_value(config, session_key))
            heartbeat = values.get(heartbeat_key, group_broker_value(config, heartbeat_key))
            if session <= heartbeat:
                raise ConfigError(f"{session_key} must be greater than {heartbeat_key}")


def validate_topic_config(key: str, value: Optional[str]) -> Any:
    """Check one topic config as CreateTopics/AlterConfigs get it; ConfigError says why."""
    spec = TOPIC_KEYS.get(key)
    if spec is None:
        raise ConfigError(f"Unknown topic config name: {key}")
    if value is None:
        raise ConfigError(f"Null value not supported for topic config {key}")
    return spec.check(value)


def validate_topic_configs(config: "Config", configs: dict[str, str]) -> None:
    """Check a topic's whole set of configs: each key, then the rule between keys Kafka checks
    on the values the topic would have (LogConfig.validateValues)."""
    for key, value in configs.items():
        validate_topic_config(key, value)
    low = config.topic_value("min.compaction.lag.ms", configs)
    high = config.topic_value("max.compaction.lag.ms", configs)
    if low > high:
        raise ConfigError(f"conflict topic config setting min.compaction.lag.ms ({low}) > "
                          f"max.compaction.lag.ms ({high})")


class Config:
    """The broker's settings: `values` as given in server.properties and --override (Kafka's
    static broker configs), typed through BROKER_KEYS; a key not given has the table's default.
    Dynamic broker configs set at runtime (`set_dynamic`; storage.dynamic_configs keeps them on
    disk) take precedence, Kafka's order: this broker's, then the cluster default, then static."""

    def __init__(self, values: Optional[dict[str, str]] = None) -> None:
        self.values: dict[str, str] = dict(values or {})
        self._typed: dict[str, Any] = {}
        # Source.DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG -> typed values of known keys.
        self._dynamic: dict[Source, dict[str, Any]] = {Source.DYNAMIC_BROKER_CONFIG: {},
                                                       Source.DYNAMIC_DEFAULT_BROKER_CONFIG: {}}
        self._listener_keys: dict[str, Any] = {}  # listener.name.<listener>.<key> -> typed value
        # Resolved values of get() and topic_default(): the request path asks for the same keys
        # thousands of times a second (a walk over the layers each time was ~10% of a small
        # Produce's loop time). Cleared, and `generation` moved on, whenever a layer changes.
        self._resolved: dict[str, Any] = {}
        self._topic_defaults: dict[str, Any] = {}
        self.generation = 0
        for key, text in self.values.items():
            spec = BROKER_KEYS.get(key)
            if spec is None and key.startswith("listener.name."):
                self._listener_keys[key] = _listener_key(key).check(text)
                continue
            if spec is None:
                log.warning("unknown config %s ignored", key)
                continue
            self._typed[key] = spec.check(text)
            if not spec.honoured:
                log.warning("config %s is accepted but has no effect on a single fastlog node", key)
        self.validate()

    @classmethod
    def load(cls, config_file: Optional[str] = None, overrides: Iterable[str] = ()) -> "Config":
        values: dict[str, str] = {}
        if config_file:
            with open(config_file, encoding="utf-8") as f:
                values.update(parse_properties(f.read()))
        for item in overrides:
            if "=" not in item:
                raise ConfigError(f"--override expects key=value, got {item!r}")
            key, value = item.split("=", 1)
            values[key.strip()] = value.strip()
        return cls(values)

    # -- dynamic broker configs ---------------------------------------------------------
    @staticmethod
    def check_dynamic(values: dict[str, str]) -> dict[str, Any]:
        """Typed values of a set of dynamic broker configs; ConfigError in Kafka's words for a
        key that cannot change at runtime or a bad value. Keys Kafka does not know are kept as
        Kafka keeps them (custom configs), and have no effect."""
        fixed = sorted(k for k in values if k in BROKER_KEYS and k not in DYNAMIC_BROKER_KEYS)
        if fixed:
            raise ConfigError(f"Cannot update these configs dynamically: [{', '.join(fixed)}]")
        return {k: BROKER_KEYS[k].check(v) for k, v in values.items() if k in BROKER_KEYS}

    def set_dynamic(self, source: Source, values: dict[str, str]) -> None:
        """Replace this broker's (DYNAMIC_BROKER_CONFIG) or the cluster default's
        (DYNAMIC_DEFAULT_BROKER_CONFIG) dynamic configs; ConfigError leaves them unchanged."""
        self._dynamic[source] = self.check_dynamic(values)
        self._resolved.clear()
        self._topic_defaults.clear()
        self.generation += 1

    def dynamic_values(self, source: Source) -> dict[str, Any]:
        return dict(self._dynamic[source])

    def _layers(self) -> list[tuple[Source, dict[str, Any]]]:
        """Given values, most binding first (Kafka's DynamicBrokerConfig precedence)."""
        return [(Source.DYNAMIC_BROKER_CONFIG, self._dynamic[Source.DYNAMIC_BROKER_CONFIG]),
                (Source.DYNAMIC_DEFAULT_BROKER_CONFIG, self._dynamic[Source.DYNAMIC_DEFAULT_BROKER_CONFIG]),
                (Source.STATIC_BROKER_CONFIG, self._typed)]

    def _given(self, key: str) -> Any:
        for _, layer in self._layers():
            if key in layer:
                return layer[key]
        return None

    # -- typed access -------------------------------------------------------------------
    def get(self, key: str) -> Any:
        """The typed value of a broker key: as given (dynamic, then static), else the table's
        default (KeyError if unknown)."""
        try:
            return self._resolved[key]
        except KeyError:
            value = self._given(key) if self.is_set(key) else BROKER_KEYS[key].default
            self._resolved[key] = value
            return value

    def is_set(self, key: str) -> bool:
        return any(key in layer for _, layer in self._layers())

    def get_str(self, key: str) -> Optional[str]:
        return to_text(BROKER_KEYS[key].type, self.get(key))

    def get_int(self, key: str) -> int:
        """An INT/SHORT/LONG key that has a value (given or default); use get() for one that may be unset."""
        value = self.get(key)
        assert isinstance(value, int), key
        return value

    def get_bool(self, key: str) -> bool:
        return bool(self.get(key))

    def running_value(self, key: str) -> Any:
        """The value this node runs with, as DescribeConfigs reports it: node.id and broker.id
        both say the node's id, whichever of them was given."""
        if key in ("node.id", "broker.id"):
            return self.node_id
        return self.get(key)

    def synonym_chain(self, key: str) -> list[tuple[str, Any, Source]]:
        """(broker key, value, source) entries that decide a broker key's value, as Kafka lists
        them (ConfigHelper.configSynonyms): the given ones, then the defaults, of its synonym
        group, dropping those before the key itself."""
        group = [name for name, _ in BROKER_SYNONYMS.get(key, [(key, 1)])]
        if key in ("node.id", "broker.id") and (self.is_set("node.id") or self.is_set("broker.id")):
            # Either name given sets both (Kafka reports broker.id = node.id as given).
            self_given = [(key, self.node_id, Source.STATIC_BROKER_CONFIG)]
            default = BROKER_KEYS[key].default
            return self_given + ([(key, default, Source.DEFAULT_CONFIG)] if default is not None else [])
        chain = [(name, layer[name], source) for source, layer in self._layers() for name in group if name in layer]
        chain += [(name, BROKER_KEYS[name].default, Source.DEFAULT_CONFIG) for name in group
                  if BROKER_KEYS[name].default is not None]
        while chain and chain[0][0] != key:
            chain.pop(0)
        return chain

    # -- derived settings ----------------------------------------------------------------
    @property
    def node_id(self) -> int:
        """node.id, else broker.id when only that is given, else the table's default."""
        if not self.is_set("node.id") and self.get("broker.id") >= 0:
            return self.get("broker.id")
        return self.get("node.id")

    @property
    def data_dir(self) -> str:
        """The first of log.dirs, else log.dir (fastlog uses one data folder; see the README)."""
        dirs = self.get("log.dirs") or self.get("log.dir")
        return os.path.abspath(dirs[0].strip())

    def listeners(self) -> list["Listener"]:
        """The listeners to bind (`listeners`), each with its security protocol
        (listener.security.protocol.map) and its advertised address if one is given."""
        protocols = _parse_protocol_map(self.get("listener.security.protocol.map"))
        bound = _parse_listeners(",".join(self.get("listeners") or []), "listeners")
        advertised = {item[0]: item for item in _parse_listeners(",".join(self.get("advertised.listeners") or []),
                                                                 "advertised.listeners")}
        out = []
        for name, host, port in bound:
            protocol = protocols.get(name)
            if protocol is None:
                raise ConfigError(f"listeners: listener {name} has no security protocol in "
                                  f"listener.security.protocol.map")
            _, adv_host, adv_port = advertised.pop(name, (name, None, None))
            out.append(Listener(name, protocol, host, port, adv_host, adv_port))
        if advertised:
            raise ConfigError(f"advertised.listeners: {', '.join(advertised)} not among listeners")
        if not out:
            raise ConfigError("listeners: no listener given")
        return out

    def for_listener(self, listener: str, key: str) -> Any:
        """A key as one listener sees it: listener.name.<listener lowercase>.<key> if given, else the key."""
        prefixed = f"listener.name.{listener.lower()}.{key}"
        if prefixed in self._listener_keys:
            return self._listener_keys[prefixed]
        return self.get(key)

    def _first_of_group(self, key: str) -> Any:
        """A synonym group's value in milliseconds: the first key given, else the first default."""
        group = BROKER_SYNONYMS[key]
        for pick in (self._given, lambda name: BROKER_KEYS[name].default):
            for name, unit in group:
                value = pick(name)
                if value is not None:
                    return value * unit if value >= 0 or unit == 1 else value
        return None

    @property
    def retention_ms(self) -> int:
        """log.retention.ms, else .minutes, else .hours (Kafka's precedence); -1 = forever."""
        return self._first_of_group("log.retention.ms")

    @property
    def flush_interval_ms(self) -> int:
        return self._first_of_group("log.flush.interval.ms")

    def topic_default(self, topic_key: str) -> Any:
        """The typed value a topic config has when the topic does not set it: its broker key's
        (through that key's synonym group), else the topic key's own default."""
        try:
            return self._topic_defaults[topic_key]
        except KeyError:
            pass
        spec = TOPIC_KEYS[topic_key]
        if spec.broker_key is None:
            value = spec.default
        elif spec.broker_key in BROKER_SYNONYMS:
            value = self._first_of_group(spec.broker_key)
        else:
            value = self.get(spec.broker_key)
        self._topic_defaults[topic_key] = value
        return value

    def topic_value(self, topic_key: str, explicit: dict[str, str]) -> Any:
        """The typed value of a topic config, given the topic's own configs (validated when they
        were set, so only parsed here)."""
        if topic_key in explicit:
            return parse(TOPIC_KEYS[topic_key].type, explicit[topic_key])
        return self.topic_default(topic_key)

    def validate(self) -> None:
        """Settings that depend on each other or on what one node can do."""
        self.listeners()
        for what in ("session.timeout", "heartbeat.interval"):  # Kafka's GroupCoordinatorConfig checks
            low, value, high = (self.get_int(f"group.consumer.{bound}{what}.ms") for bound in ("min.", "", "max."))
            if not low <= value <= high:
                raise ConfigError(f"group.consumer.{what}.ms must be between group.consumer.min.{what}.ms "
                                  f"and group.consumer.max.{what}.ms")
        for kind in ("consumer", "share"):
            if self.get_int(f"group.{kind}.heartbeat.interval.ms") >= self.get_int(f"group.{kind}.session.timeout.ms"):
                raise ConfigError(f"group.{kind}.heartbeat.interval.ms must be less than "
                                  f"group.{kind}.session.timeout.ms")
        for what in ("session.timeout", "heartbeat.interval", "record.lock.duration"):
            low, value, high = (self.get_int(f"group.share.{bound}{what}.ms") for bound in ("min.", "", "max."))
            if not low <= value <= high:
                raise ConfigError(f"group.share.{what}.ms must be between group.share.min.{what}.ms "
                                  f"and group.share.max.{what}.ms")


@dataclass(frozen=True)
class Listener:
    """One entry of `listeners`: its name, security protocol, bind address and, when
    advertised.listeners names it, the address clients are told (None: the bound one)."""
    name: str
    protocol: str
    host: str
    port: int
    advertised_host: Optional[str] = None
    advertised_port: Optional[int] = None

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def address(self) -> tuple[str, int]:
        """The advertised address, once the broker has bound the listener and filled it in."""
        assert self.advertised_host is not None and self.advertised_port is not None
        return self.advertised_host, self.advertised_port

    def advertised(self, bound_host: str, bound_port: int) -> tuple[str, int]:
        """The address clients are told for this listener: its advertised one, else the bound one
        (a wildcard bind advertises 127.0.0.1)."""
        if self.advertised_host or self.advertised_port:
            return self.advertised_host or bound_host, self.advertised_port or bound_port
        host = bound_host if bound_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return host, bound_port


def _parse_protocol_map(value: str) -> dict[str, str]:
    out = {}
    for item in value.split(","):
        if not item.strip():
            continue
        name, sep, protocol = item.partition(":")
        if not sep or protocol.strip().upper() not in PROTOCOLS:
            raise ConfigError(f"listener.security.protocol.map: expected NAME:PROTOCOL with a protocol of "
                              f"{', '.join(PROTOCOLS)}, got {item.strip()!r}")
        out[name.strip().upper()] = protocol.strip().upper()
    return out


def _parse_listeners(value: str, key: str) -> list[tuple[str, str, int]]:
    """`NAME://host:port,...` -> [(NAME, host, port)]; names are unique, as Kafka requires."""
    out: list[tuple[str, str, int]] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if "://" not in item:
            raise ConfigError(f"{key}: expected NAME://host:port, got {item!r}")
        name, address = item.split("://", 1)
        name = name.upper()
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        try:
            port_number = int(port)
        except ValueError:
            raise ConfigError(f"{key}: bad port in {item!r}") from None
        if any(name == seen for seen, _, _ in out):
            raise ConfigError(f"{key}: listener name {name} given twice")
        if port_number and any(port_number == p and host == h for _, h, p in out):
            raise ConfigError(f"{key}: port {port_number} given twice")
        out.append((name, host, port_number))
    return out


def _listener_key(key: str) -> Key:
    """The table entry of a listener-prefixed key: listener.name.<listener>.<ssl or sasl key>."""
    rest = key[len("listener.name."):]
    _, _, suffix = rest.partition(".")
    spec = BROKER_KEYS.get(suffix)
    for mechanism in ("scram-sha-256.", "scram-sha-512."):  # per-mechanism jaas configs name no users
        if suffix.startswith(mechanism) and suffix.endswith("sasl.jaas.config"):
            spec = BROKER_KEYS["plain.sasl.jaas.config"]
    if spec is None or not any(spec is k for k in SECURITY_KEYS):
        raise ConfigError(f"unknown listener config {key}: the listener prefix takes ssl.* and sasl.* keys")
    return spec


# -- the README's settings tables --------------------------------------------------------------
def _default_text(spec: Key, value: Any) -> str:
    if value is None:
        return "(unset)"
    text = to_text(spec.type, value)
    return text or "(empty)"


def _row(spec: Key) -> str:
    default = _default_text(spec, spec.default)
    notes = ["fastlog only"] if spec.fastlog_only else []
    if spec.kafka_default:
        notes.append(f"Kafka: {spec.kafka_default}")
    if not spec.honoured:
        notes.append("**no effect**")
    if spec.note:
        notes.append(spec.note)
    return f"| {spec.name} | {spec.type.name} | {default} | {spec.doc} | {'; '.join(notes)} |"


def readme_tables() -> str:
    """The README's settings section tables, generated from the table (a test checks they match)."""
    lines = ["Broker settings (server.properties / --override). `dynamic`: can also change at runtime, per broker or "
             "as the cluster default (`kafka-configs --entity-type brokers --alter`; kept in the data folder's "
             "fastlog-dynamic-configs.json); the others are read-only at runtime.", "",
             "| key | type | default | dynamic | meaning | fastlog |", "|---|---|---|---|---|---|"]
    for spec in BROKER_KEYS.values():
        row = _row(spec).split(" | ")
        row[3:3] = ["yes" if spec.name in DYNAMIC_BROKER_KEYS else ""]
        lines.append(" | ".join(row))
    lines += ["", "Topic configs (CreateTopics, AlterConfigs, IncrementalAlterConfigs). A topic that does not set "
              "one takes its broker key's value (`broker key` column). Every one can change on a live topic and "
              "applies from the next append (segment limits from the next roll check, retention from the next "
              "pass), as in Kafka.", "",
              "| key | type | default | broker key | meaning | fastlog |", "|---|---|---|---|---|---|"]
    for spec in TOPIC_KEYS.values():
        row = _row(spec).split(" | ")
        row[3:3] = [spec.broker_key or ""]
        lines.append(" | ".join(row))
    lines += ["", "Group configs (DescribeConfigs / IncrementalAlterConfigs, resource type GROUP; `kafka-configs "
              "--entity-type groups`), each within the bounds the broker's group.*.min/max.* settings set for it "
              "(Kafka's default bounds where fastlog has no such setting).", "",
              "| key | type | default | broker key | meaning | fastlog |", "|---|---|---|---|---|---|"]
    for spec in GROUP_KEYS.values():
        row = _row(spec).split(" | ")
        row[3:3] = [spec.broker_key or ""]
        lines.append(" | ".join(row))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m fastlog.config: print the README tables
    print(readme_tables(), end="")
