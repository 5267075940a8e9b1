"""Running out of file descriptors: the broker raises its soft limit at start, and when they are
gone it answers the requests that needed a file with Kafka errors, logs a line now and then (not
a traceback per failure), keeps serving the connections it has, and recovers when fds free up.
A handler that fails unexpectedly answers UNKNOWN_SERVER_ERROR and keeps the connection."""
from __future__ import annotations

import collections
import os
import re
import shutil
import socket

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from fastlog.testing import BrokerProcess

from clients import NONE, RawConnection, consume_confluent, produce_confluent, unique_topic, wait_until

KAFKA_STORAGE_ERROR = 56
SOFT, HARD = 100, 400

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")


class LimitedBroker(BrokerProcess):
    """A broker started with a low open-files limit (soft SOFT, hard HARD)."""

    soft, hard = SOFT, HARD

    def command(self) -> list[str]:
        return ["prlimit", f"--nofile={self.soft}:{self.hard}", "--"] + super().command()


def test_out_of_file_descriptors(tmp_path):
    broker = LimitedBroker(data_dir=str(tmp_path / "d")).start()
    extra: list[socket.socket] = []
    try:
        assert f"open files limit (RLIMIT_NOFILE): {HARD}" in broker.log_tail()
        topic = unique_topic("fd")
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([confluent_kafka.admin.NewTopic(topic, 1, 1)])[topic].result(30)
        with RawConnection(broker.bootstrap) as keeper:
            for _ in range(HARD + 50):
                extra.append(socket.create_connection((broker.host, broker.port)))
            assert keeper.api_versions(0)[0] == NONE
            # CreateTopics needs files: a Kafka error, the connection stays, no ghost topic
            ghost = unique_topic("ghost")
            assert keeper.create_topics([(ghost, 30, 1)]) == {ghost: KAFKA_STORAGE_ERROR}
            assert ghost not in keeper.metadata(None)["topics"]
            # a topic config change needs a file too, and nothing expects that to fail: the
            # handler's OSError is answered UNKNOWN_SERVER_ERROR on the admin client's connection
            change = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
                ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)])
            with pytest.raises(confluent_kafka.KafkaException) as info:
                admin.incremental_alter_configs([change])[change].result(30)
            assert info.value.args[0].code() == confluent_kafka.KafkaError.UNKNOWN
            assert keeper.api_versions(0)[0] == NONE
            for s in extra:
                s.close()
            extra.clear()
            assert wait_until(lambda: _connects(broker), 30)
            assert keeper.create_topics([(ghost, 30, 1)]) == {ghost: NONE}
        produce_confluent(broker.bootstrap, topic, 10, 1)
        assert len(consume_confluent(broker.bootstrap, topic, 10, [0], timeout=30)) == 10
        log = broker.log_tail(10_000_000)
        assert log.count("Traceback") <= 2, log[-5000:]
        assert len(log.splitlines()) < 200, log[-5000:]
    finally:
        for s in extra:
            s.close()
        broker.stop()
        broker.cleanup()


def _connects(broker) -> bool:
    try:
        with RawConnection(broker.bootstrap, timeout=2) as conn:
            return conn.api_versions(0)[0] == NONE
    except (OSError, ConnectionError):
        return False


class FewFilesBroker(LimitedBroker):
    soft = hard = 600


def test_a_partition_holds_one_descriptor(tmp_path):
    """As Kafka, a partition holds one open file, its active segment's `.log`: the index files
    are written by path (rust/fastlog-core/src/index_file.rs). So 400 partitions fit in a limit
    of 600 open files, where four descriptors each would need 1,600."""
    broker = FewFilesBroker(data_dir=str(tmp_path / "d")).start()
    try:
        topic = unique_topic("many")
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([confluent_kafka.admin.NewTopic(topic, 400, 1)])[topic].result(60)
        produce_confluent(broker.bootstrap, topic, 800, 400)
        got = consume_confluent(broker.bootstrap, topic, 800, range(400), timeout=60)
        assert sorted((c.partition, c.offset) for c in got) == [(p, o) for p in range(400) for o in range(2)]
        assert broker.proc is not None
        held = [os.readlink(f"/proc/{broker.proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{broker.proc.pid}/fd")]
        names = [os.path.basename(path) for path in held]
        by_kind = collections.Counter(name.split(".")[1] for name in names if re.fullmatch(r"\d{20}\.\w+", name))
        assert by_kind["log"] >= 400, by_kind  # the internal topics' partitions hold theirs too
        assert set(by_kind) == {"log"}, by_kind  # no index file is held open
        assert "Too many open files" not in broker.log_tail(1_000_000)
    finally:
        broker.stop()
        broker.cleanup()
