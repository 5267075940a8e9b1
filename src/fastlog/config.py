"""Broker configuration: server.properties keys, Kafka's defaults, and fastlog's differences.

Keys and defaults are Apache Kafka's unless the comment says otherwise. A key we do not know is a
warning, not an error (Kafka configs carry many keys that mean nothing on one node); a known key
that we accept but that has no effect here is listed in IGNORED_KEYS and also warned about once.
"""
from __future__ import annotations

import logging
import os
from typing import Iterable, Optional

log = logging.getLogger("fastlog.config")

LONG_MAX = 2**63 - 1

# key -> default (as Kafka documents it; None = unset). Types follow the default's type.
DEFAULTS: dict[str, object] = {
    # fastlog listens on loopback by default (Kafka: PLAINTEXT://:9092, every interface).
    "listeners": "PLAINTEXT://127.0.0.1:9092",
    "advertised.listeners": None,
    # fastlog keeps data in a folder beside where it is started (Kafka: /tmp/kafka-logs).
    "log.dirs": None,
    "log.dir": "./fastlog-data",
    "node.id": 1,
    "broker.id": -1,
    "num.partitions": 1,
    "default.replication.factor": 1,
    "auto.create.topics.enable": True,
    "delete.topic.enable": True,
    "message.max.bytes": 1048588,
    "socket.request.max.bytes": 104857600,
    # Bytes of requests read but not yet handled, across all connections (Kafka's memory pool);
    # a connection waits when it is used up. Kafka's default is -1 (no bound); fastlog bounds it.
    "queued.max.request.bytes": 268435456,
    "connections.max.idle.ms": 600000,
    # fastlog's own: a request must arrive whole within this time (slow or stuck senders are
    # closed; Kafka has no such bound).
    "request.arrival.timeout.ms": 60000,
    "max.connections": 2147483647,
    "max.connections.per.ip": 2147483647,
    "fetch.max.bytes": 57671680,
    "log.segment.bytes": 1073741824,
    "log.index.interval.bytes": 4096,
    "log.flush.interval.messages": LONG_MAX,
    "log.flush.interval.ms": None,
    "log.flush.scheduler.interval.ms": LONG_MAX,
    "log.retention.hours": 168,
    "log.retention.minutes": None,
    "log.retention.ms": None,
    "log.retention.bytes": -1,
    "log.retention.check.interval.ms": 300000,
    "log.message.timestamp.type": "CreateTime",
    "log.message.timestamp.before.max.ms": LONG_MAX,
    "log.message.timestamp.after.max.ms": 3600000,
    "log.cleanup.policy": "delete",
    "compression.type": "producer",
    "offsets.topic.num.partitions": 50,
    "offsets.topic.replication.factor": 3,
    "offsets.retention.minutes": 10080,
    "offsets.retention.check.interval.ms": 600000,
    # Kafka waits 3 s for more members before the first rebalance of a new group. On a
    # single-node broker used in test suites and tools that delay is pure waiting: fastlog uses 0.
    "group.initial.rebalance.delay.ms": 0,
    "group.min.session.timeout.ms": 6000,
    "group.max.session.timeout.ms": 1800000,
    "group.max.size": 2147483647,
    "transaction.state.log.replication.factor": 3,
    "transaction.state.log.min.isr": 2,
    "min.insync.replicas": 1,
    "cluster.id": None,
}

# Known Kafka keys that have no meaning on a single asyncio node; accepted with a notice.
IGNORED_KEYS = {
    "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
    "controller.listener.names", "listener.security.protocol.map", "inter.broker.listener.name",
    "num.network.threads", "num.io.threads", "num.recovery.threads.per.data.dir",
    "socket.send.buffer.bytes", "socket.receive.buffer.bytes", "num.replica.fetchers",
    "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
    "zookeeper.connect", "log.cleaner.enable", "unclean.leader.election.enable",
}

# Topic-level config name -> the broker key that gives its default (Kafka's mapping).
TOPIC_CONFIG_DEFAULTS: dict[str, str] = {
    "segment.bytes": "log.segment.bytes",
    "index.interval.bytes": "log.index.interval.bytes",
    "flush.messages": "log.flush.interval.messages",
    "flush.ms": "log.flush.interval.ms",
    "retention.ms": "log.retention.ms",
    "retention.bytes": "log.retention.bytes",
    "max.message.bytes": "message.max.bytes",
    "message.timestamp.type": "log.message.timestamp.type",
    "message.timestamp.before.max.ms": "log.message.timestamp.before.max.ms",
    "message.timestamp.after.max.ms": "log.message.timestamp.after.max.ms",
    "cleanup.policy": "log.cleanup.policy",
    "compression.type": "compression.type",
    "min.insync.replicas": "min.insync.replicas",
}


class ConfigError(ValueError):
    """A setting fastlog cannot run with; the message says which and why."""


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties, the subset server.properties files use: key=value or key: value lines,
    # and ! comments, trailing backslash continues a line."""
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep < 0:
            key, value = line, ""
        else:
            key, value = line[:sep].strip(), line[sep + 1:].strip()
        out[key] = value
    return out


class Config:
    """Settings after file and overrides are applied; typed getters fall back to DEFAULTS."""

    def __init__(self, values: Optional[dict[str, str]] = None) -> None:
        self.values: dict[str, str] = dict(values or {})
        for key in self.values:
            if key in IGNORED_KEYS:
                log.warning("config %s is accepted but has no effect on a single fastlog node", key)
            elif key not in DEFAULTS and key not in TOPIC_CONFIG_DEFAULTS:
                log.warning("unknown config %s ignored", key)
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

    # -- typed access -------------------------------------------------------------------
    def get_str(self, key: str) -> Optional[str]:
        if key in self.values:
            return self.values[key]
        default = DEFAULTS.get(key)
        return None if default is None else str(default)

    def get_int(self, key: str) -> Optional[int]:
        value = self.get_str(key)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{key} must be an integer, got {value!r}") from None

    def get_bool(self, key: str) -> bool:
        value = self.get_str(key)
        if value is None:
            return False
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return lowered == "true"

    # -- derived settings ----------------------------------------------------------------
    @property
    def node_id(self) -> int:
        node = self.get_int("node.id")
        broker = self.get_int("broker.id")
        if "node.id" not in self.values and broker is not None and broker >= 0:
            return broker
        return node if node is not None else 1

    @property
    def data_dir(self) -> str:
        """The first of log.dirs (fastlog uses one data folder; see the README)."""
        dirs = self.get_str("log.dirs") or self.get_str("log.dir") or "./fastlog-data"
        first = dirs.split(",")[0].strip()
        return os.path.abspath(first)

    def listener(self) -> tuple[str, int]:
        return _parse_listener(self.get_str("listeners") or "", "listeners")

    def advertised(self, bound_host: str, bound_port: int) -> tuple[str, int]:
        """The address clients are told to connect to: advertised.listeners, else the bound one."""
        value = self.get_str("advertised.listeners")
        if value:
            host, port = _parse_listener(value, "advertised.listeners")
            return host or bound_host, port or bound_port
        host = bound_host if bound_host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        return host, bound_port

    @property
    def retention_ms(self) -> int:
        """log.retention.ms, else .minutes, else .hours (Kafka's precedence); -1 = forever."""
        ms = self.get_int("log.retention.ms")
        if ms is not None:
            return ms
        minutes = self.get_int("log.retention.minutes")
        if minutes is not None:
            return minutes * 60_000
        return (self.get_int("log.retention.hours") or 168) * 3_600_000

    @property
    def flush_interval_ms(self) -> int:
        ms = self.get_int("log.flush.interval.ms")
        return ms if ms is not None else (self.get_int("log.flush.scheduler.interval.ms") or LONG_MAX)

    def topic_default(self, topic_key: str) -> Optional[str]:
        """The broker-level default of a topic config, as DescribeConfigs reports it."""
        if topic_key == "retention.ms":
            return str(self.retention_ms)
        if topic_key == "flush.ms":
            return str(self.flush_interval_ms)
        broker_key = TOPIC_CONFIG_DEFAULTS.get(topic_key)
        return self.get_str(broker_key) if broker_key else None

    def validate(self) -> None:
        rf = self.get_int("default.replication.factor")
        if rf != 1:
            raise ConfigError(
                f"default.replication.factor={rf}: fastlog is a single node, so only 1 is possible")
        self.listener()
        for key in ("message.max.bytes", "socket.request.max.bytes", "log.segment.bytes",
                    "log.index.interval.bytes", "num.partitions", "connections.max.idle.ms",
                    "request.arrival.timeout.ms", "max.connections", "max.connections.per.ip"):
            value = self.get_int(key)
            if value is None or value <= 0:
                raise ConfigError(f"{key} must be a positive integer, got {self.get_str(key)!r}")
        pool = self.get_int("queued.max.request.bytes")
        if pool is None or pool == 0 or pool < -1:
            raise ConfigError(f"queued.max.request.bytes must be positive or -1 (no bound), got {pool!r}")
        for key in ("auto.create.topics.enable", "delete.topic.enable"):
            self.get_bool(key)
        if self.get_str("log.message.timestamp.type") not in ("CreateTime", "LogAppendTime"):
            raise ConfigError("log.message.timestamp.type must be CreateTime or LogAppendTime")


def _parse_listener(value: str, key: str) -> tuple[str, int]:
    """First PLAINTEXT listener `NAME://host:port` -> (host, port). Only PLAINTEXT is served."""
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        if "://" not in item:
            raise ConfigError(f"{key}: expected NAME://host:port, got {item!r}")
        name, address = item.split("://", 1)
        if name.upper() not in ("PLAINTEXT",):
            log.warning("%s: listener %s is not served (fastlog serves PLAINTEXT only)", key, item)
            continue
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        try:
            return host, int(port)
        except ValueError:
            raise ConfigError(f"{key}: bad port in {item!r}") from None
    raise ConfigError(f"{key}: no PLAINTEXT listener in {value!r}")
