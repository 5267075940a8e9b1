"""A full disk: produce answers KAFKA_STORAGE_ERROR, and the operator can free space through the
Kafka API (DeleteRecords, DeleteTopics) at 0 bytes free; a failed CreateTopics leaves no ghost.

The data folder is a small tmpfs, so this needs root (CI runs as root)."""
from __future__ import annotations

import os
import subprocess
import uuid

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient

from fastlog.testing import BrokerProcess

from clients import NONE, RawConnection, RawRecord, build_batch, unique_topic

KAFKA_STORAGE_ERROR = 56
UNKNOWN_SERVER_ERROR = -1

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_up(path) -> None:
    """Write a filler file until the file system has not one byte left."""
    with open(os.path.join(path, f"filler-{uuid.uuid4().hex}"), "wb", buffering=0) as f:
        for chunk in (1 << 16, 4096, 512, 1):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass
    st = os.statvfs(path)
    assert st.f_bavail == 0


def big_batch() -> bytes:
    return build_batch([RawRecord(b"k", os.urandom(60_000), [])])


def test_disk_full_then_freed_through_the_kafka_api(small_disk, tmp_path):
    broker = BrokerProcess(data_dir=str(small_disk), log_file=str(tmp_path / "broker.log"),
                           overrides={"log.segment.bytes": 1 << 20}).start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        victim, trimmed = unique_topic("full-a"), unique_topic("full-b")
        with RawConnection(broker.bootstrap) as conn:
            assert conn.create_topics([(victim, 1, 1), (trimmed, 1, 1)]) == {victim: NONE, trimmed: NONE}
            errors = []
            for i in range(400):
                err, _ = conn.produce(trimmed if i % 2 else victim, 0, big_batch())
                if err:
                    errors.append(err)
                    break
            assert errors == [KAFKA_STORAGE_ERROR]
            fill_up(small_disk)
            # at 0 bytes free: produce is refused with Kafka's code, the connection stays usable
            assert conn.produce(victim, 0, big_batch())[0] == KAFKA_STORAGE_ERROR
            # a failed CreateTopics answers an error and leaves nothing behind
            ghost = unique_topic("ghost")
            assert conn.create_topics([(ghost, 3, 1)])[ghost] == KAFKA_STORAGE_ERROR
            assert ghost not in conn.metadata(None)["topics"]
            assert conn.api_versions(0)[0] == NONE

        # DeleteRecords at 0 bytes free frees the segments before the offset
        end = admin.list_topics(timeout=10).topics[trimmed]
        high = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "x"})
        try:
            _, hw = high.get_watermark_offsets(confluent_kafka.TopicPartition(trimmed, 0), timeout=10)
        finally:
            high.close()
        assert end is not None and hw > 1
        result = admin.delete_records([confluent_kafka.TopicPartition(trimmed, 0, hw)])
        for fut in result.values():
            assert fut.result(30).low_watermark == hw

        # DeleteTopics works at (near) 0 bytes free too, and frees the space for new appends
        fill_up(small_disk)
        admin.delete_topics([victim])[victim].result(30)
        assert victim not in admin.list_topics(timeout=10).topics
        with RawConnection(broker.bootstrap) as conn:
            assert conn.produce(trimmed, 0, big_batch())[0] == NONE
            # the failed CreateTopics did not block a retry with the same name
            assert conn.create_topics([(ghost, 3, 1)]) == {ghost: NONE}
        assert "Traceback" not in broker.log_tail(100_000)
    finally:
        broker.stop()
    # and everything is as the operator left it after a restart
    broker.start()
    try:
        topics = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=10).topics
        assert trimmed in topics and ghost in topics and victim not in topics
    finally:
        broker.stop()
