"""A Kafka Streams state store restored from its changelog on fastlog (the streams/ app, EosCount:
a count per word, its store's changelog a compacted topic that Streams creates).

The app counts the first half of the input and is stopped (SIGTERM: Streams closes cleanly and
commits); the local state dir is deleted; the second half is produced and the app started again
with an empty state dir. It must rebuild the store from the changelog: per word the output goes on
from the restored count, so the whole output per word is exactly 1, 2, ..., n.

With either guarantee the changelog is compacted by the broker's cleaner before the restore (short
segments through Streams' `topic.` prefix); with exactly_once_v2 it is written in transactions,
which the cleaner deduplicates once committed, and the restore reads it with read_committed.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource
from test_transactions_streams import WORDS, Output, produce

from clients import create_topic, unique_topic, wait_until

pytestmark = pytest.mark.timeout(600)

# Streams passes `topic.<config>` to the internal topics it creates: a record lands in a new
# segment once the active one is a second old, and the cleaner may take any rolled segment.
# (The app's arguments after the state dir are Streams configs.)
FAST_COMPACTION = ["topic.segment.ms=1000", "topic.min.cleanable.dirty.ratio=0.01"]


def changelog_records(bootstrap: str, topic: str, partitions: int) -> list[tuple[bytes, bytes]]:
    """Every committed record of the changelog (all partitions), read from the start to the end."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "cl-" + uuid.uuid4().hex[:6],
                                         "isolation.level": "read_committed", "enable.auto.commit": False})
    try:
        tps = [confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(partitions)]
        ends = {p: consumer.get_watermark_offsets(tp, timeout=10)[1] for p, tp in enumerate(tps)}
        consumer.assign(tps)
        out: list[tuple[bytes, bytes]] = []
        position = {p: 0 for p in ends}
        deadline = time.monotonic() + 60
        while any(position[p] < ends[p] for p in ends) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                out.append((msg.key(), msg.value()))
            # Transaction markers end a partition without a record at end - 1: ask the consumer.
            for tp in consumer.position(tps):
                if tp.offset >= 0:
                    position[tp.partition] = tp.offset
        assert all(position[p] >= ends[p] for p in ends), f"read to {position} of {ends}"
        return out
    finally:
        consumer.close()


def run_restore(streams_classpath: str, bootstrap: str, tmp_path: Path, guarantee: str) -> list[int]:
    """The whole scenario against the broker at `bootstrap` (fastlog here; Kafka by hand); returns
    the number of records restored per store partition."""
    in_topic, out_topic = unique_topic("restore-in"), unique_topic("restore-out")
    create_topic(bootstrap, in_topic, 3)
    create_topic(bootstrap, out_topic, 1)
    app_id = "restore-" + uuid.uuid4().hex[:6]
    state_dir = tmp_path / "state"
    per_word = 200

    def start(run: int) -> subprocess.Popen:
        with open(tmp_path / f"app{run}.log", "w") as log:
            return subprocess.Popen(["java", "-Xmx512M", "-cp", streams_classpath, "fastlog.EosCount", bootstrap,
                                     app_id, in_topic, out_topic, str(state_dir), f"processing.guarantee={guarantee}",
                                     *FAST_COMPACTION],
                                    stdout=log, stderr=subprocess.STDOUT)

    def log_of(run: int) -> str:
        return (tmp_path / f"app{run}.log").read_text(errors="replace")

    def stop(app: subprocess.Popen) -> int:
        if app.poll() is None:
            app.terminate()  # the app's shutdown hook closes Streams: the last transaction commits
            try:
                return app.wait(60)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait(30)
                raise
        return app.returncode

    output = Output(bootstrap, out_topic)
    app = start(1)
    try:
        # The first half in two rounds a segment.ms apart: the first round's changelog records are
        # in a rolled segment, superseded by the second's, so the cleaner has something to remove.
        half = WORDS * per_word // 2
        produce(bootstrap, in_topic, 0, half // 2)
        output.wait_for(per_word // 4, lambda: app.poll() is None)
        time.sleep(1.2)
        produce(bootstrap, in_topic, half // 2, half)
        output.wait_for(per_word // 2, lambda: app.poll() is None)
        assert stop(app) in (0, 143), log_of(1)[-3000:]

        changelogs = [t for t in AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
                      if t.startswith(app_id) and t.endswith("-changelog")]
        assert len(changelogs) == 1, changelogs
        changelog = changelogs[0]
        admin = AdminClient({"bootstrap.servers": bootstrap})
        resource = ConfigResource(ConfigResource.Type.TOPIC, changelog)
        config = admin.describe_configs([resource])[resource].result(30)
        assert config["cleanup.policy"].value == "compact"
        # Without compaction the changelog holds one record per count update: per_word / 2 a word.
        assert wait_until(lambda: len(changelog_records(bootstrap, changelog, 3)) < half, 90, 1.0), \
            len(changelog_records(bootstrap, changelog, 3))
        restored_from = {}
        for key, value in changelog_records(bootstrap, changelog, 3):
            restored_from[key.decode()] = int.from_bytes(value, "big")
        assert restored_from == {f"w{i}": per_word // 2 for i in range(WORDS)}

        assert any(state_dir.rglob("*")), "the store kept no local state"
        shutil.rmtree(state_dir)
        produce(bootstrap, in_topic, half, WORDS * per_word)
        app = start(2)
        output.wait_for(per_word, lambda: app.poll() is None)
        assert stop(app) in (0, 143), log_of(2)[-3000:]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(30)
        output.close()
    for word, updates in output.updates.items():
        assert updates == list(range(1, per_word + 1)), f"{word}: {updates}\n{log_of(2)[-3000:]}"
    # The store partitions were rebuilt from the changelog (all three, at least one record per word).
    restored = [int(n) for n in re.findall(r"^RESTORED \S+ \d+ (\d+)$", log_of(2), re.M)]
    assert len(restored) == 3 and sum(restored) >= WORDS, log_of(2)[-3000:]
    assert sum(restored) < half, restored  # from the compacted changelog
    return restored


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_streams_store_restored_from_the_changelog(broker_factory, streams_classpath, tmp_path, guarantee):
    broker = broker_factory({"log.cleaner.backoff.ms": 50})
    run_restore(streams_classpath, broker.bootstrap, tmp_path, guarantee)
