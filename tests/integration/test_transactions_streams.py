"""A Kafka Streams application with processing.guarantee=exactly_once_v2 (streams/, built with
Maven against kafka-streams 4.4.0 from Maven Central by the streams_classpath fixture) against fastlog.

The app counts input records per word through a repartition topic and a state store with a
changelog topic; with the store cache off every input record produces one count update. Exactly
once means: per word, the committed output is exactly 1, 2, ..., n, also when the app is killed
with SIGKILL in the middle of the input and started again (same state dir).
"""
from __future__ import annotations

import signal
import subprocess
import time
import uuid

import confluent_kafka
import pytest

from clients import create_topic, unique_topic

pytestmark = pytest.mark.timeout(600)

WORDS = 10


def produce(bootstrap: str, topic: str, start: int, end: int) -> None:
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(start, end):
        p.produce(topic, key=str(i).encode(), value=f"w{i % WORDS}:{i}".encode())
    assert p.flush(30) == 0


class Output:
    """A read_committed reader of the output topic that keeps every count update per word."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = confluent_kafka.Consumer({
            "bootstrap.servers": bootstrap, "group.id": "out-" + uuid.uuid4().hex[:6],
            "isolation.level": "read_committed", "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self.consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        self.updates: dict[str, list[int]] = {}

    def wait_for(self, count: int, alive, timeout: float = 240, every: bool = True) -> None:
        """Read until every word's last count is `count` (or, every=False, any word's count is past
        it), unless the app died or time is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive():
            for msg in self.consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                self.updates.setdefault(msg.key().decode(), []).append(int.from_bytes(msg.value(), "big"))
            if every and len(self.updates) == WORDS and all(u[-1] == count for u in self.updates.values()):
                return
            if not every and any(u[-1] > count for u in self.updates.values()):
                return
        raise AssertionError(f"counts did not reach {count}: {({w: u[-1:] for w, u in self.updates.items()})}")

    def close(self) -> None:
        self.consumer.close()


def test_streams_exactly_once_v2_across_a_kill(broker, streams_classpath, tmp_path):
    in_topic, out_topic = unique_topic("eos-in"), unique_topic("eos-out")
    create_topic(broker.bootstrap, in_topic, 3)
    create_topic(broker.bootstrap, out_topic, 1)
    app_id = "eos-" + uuid.uuid4().hex[:6]
    state_dir = tmp_path / "state"
    log = open(tmp_path / "app.log", "w")

    def start() -> subprocess.Popen:
        return subprocess.Popen(["java", "-Xmx512M", "-cp", streams_classpath, "fastlog.EosCount", broker.bootstrap,
                                 app_id, in_topic, out_topic, str(state_dir)], stdout=log, stderr=subprocess.STDOUT)

    per_word = 400
    output = Output(broker.bootstrap, out_topic)
    app = start()
    try:
        produce(broker.bootstrap, in_topic, 0, WORDS * per_word // 2)
        output.wait_for(per_word // 2, lambda: app.poll() is None)
        produce(broker.bootstrap, in_topic, WORDS * per_word // 2, WORDS * per_word)
        output.wait_for(per_word // 2, lambda: app.poll() is None, every=False)
        app.send_signal(signal.SIGKILL)  # in the middle of the second half
        app.wait()
        app = start()
        output.wait_for(per_word, lambda: app.poll() is None)
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(30)
        output.close()
        log.close()
    tail = (tmp_path / "app.log").read_text()[-3000:]
    for word, updates in output.updates.items():
        assert updates == list(range(1, per_word + 1)), f"{word}: {updates}\n{tail}"
