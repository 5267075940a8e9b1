"""Kafka Connect in distributed mode (ConnectDistributed, connect-runtime and connect-file 4.3.1 from
Maven Central, connect/pom.xml says why not 4.4.0) against fastlog.

A FileStreamSource connector copies a file into a topic and a FileStreamSink connector copies the
topic into another file; both are set up through Connect's REST API. The worker keeps its connector
configs, source offsets and statuses in three compacted topics it creates itself on the broker.
The worker is stopped (SIGTERM: Connect's graceful shutdown commits the source offsets and the sink
consumer's offsets), more lines are appended to the source file, and a new worker resumes from the
stored offsets: the sink file then holds every line exactly once (what Kafka 4.4.0 gives too).
With short segments on the internal topics the broker's cleaner compacts them meanwhile, and the
second worker starts from the compacted topics.

Two lines in the worker logs are the clients' own and come with Kafka 4.4.0 alike (the same
scenario run against KafkaBroker, 2026-12-01: the same WARN lines, once per worker each): the
status consumer's "Node 1 sent an invalid full fetch response with extraIds=(...), response=()"
(its session is emptied for the close while a fetch is still in flight) and the worker
coordinator's "Close timed out with 1 pending requests to coordinator".
"""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from fastlog import kafka_dist as kd

from clients import create_topic, read_partition_zero, unique_topic, wait_until

pytestmark = pytest.mark.timeout(600)

CONNECT_POM = Path(__file__).resolve().parent / "connect" / "pom.xml"
CONNECT_DISTRIBUTED = "org.apache.kafka.connect.cli.ConnectDistributed"
# The cleaner may compact a segment as soon as it is rolled: a record lands in a new segment once
# the active one is a second old, and any superseded record makes the log cleanable.
INTERNAL_TOPIC_SETTINGS = {"segment.ms": "1000", "min.cleanable.dirty.ratio": "0.01"}
FAST_CLEANER = {"log.cleaner.backoff.ms": 50}


class ConnectWorker:
    """One ConnectDistributed JVM with its REST listener on a free 127.0.0.1 port."""

    def __init__(self, classpath: str, bootstrap: str, work: Path, group: str, topics: dict[str, str],
                 extra: dict[str, object] | None = None) -> None:
        self.classpath = classpath
        self.rest_port = kd.free_port()
        self.url = f"http://127.0.0.1:{self.rest_port}"
        props = {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.flush.interval.ms": 500,
            "listeners": self.url,
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": self.rest_port,
            # The FileStream connectors are on the classpath with their ServiceLoader manifests.
            "plugin.discovery": "service_load",
            # Heartbeats and session as in the other group tests: a stopped worker is noticed fast.
            "session.timeout.ms": 10000,
            "heartbeat.interval.ms": 1000,
            "scheduled.rebalance.max.delay.ms": 0,
        }
        for kind, topic in topics.items():
            props[f"{kind}.storage.topic"] = topic
            props[f"{kind}.storage.replication.factor"] = 1
            # KIP-605: <kind>.storage.<topic config> is used when the worker creates the topic.
            for key, value in INTERNAL_TOPIC_SETTINGS.items():
                props[f"{kind}.storage.{key}"] = value
        props["offset.storage.partitions"] = 1
        props["status.storage.partitions"] = 1
        props.update(extra or {})
        self.config_file = work / f"worker-{self.rest_port}.properties"
        self.config_file.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        self.log_path = work / f"worker-{self.rest_port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ConnectWorker":
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["java", "-Xmx512M", "-XX:+UseSerialGC", f"-Dlog4j2.configurationFile={kd.log4j_config(CONNECT_POM)}",
             "-cp", self.classpath, CONNECT_DISTRIBUTED, str(self.config_file)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        assert wait_until(lambda: self.proc.poll() is not None or self._rest_up(), 180, 0.5), self.log_tail()
        assert self.proc.poll() is None, self.log_tail()
        return self

    def _rest_up(self) -> bool:
        try:
            return "version" in self.request("GET", "/")
        except (OSError, urllib.error.URLError):
            return False

    def request(self, method: str, path: str, body: object = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
            return json.loads(text) if text else {}

    def put_connector(self, name: str, config: dict[str, str]) -> None:
        # PUT /connectors/<name>/config creates or updates; the leader may still be joining the
        # group at first (409 REBALANCE_IN_PROGRESS), so retry until it answers.
        deadline = time.monotonic() + 120
        while True:
            try:
                self.request("PUT", f"/connectors/{name}/config", config)
                return
            except urllib.error.HTTPError as e:
                if time.monotonic() > deadline or e.code not in (409, 500):
                    raise AssertionError(f"PUT {name}: {e.code} {e.read()[:500]!r}\n{self.log_tail()}") from e
                time.sleep(0.5)

    def running(self, name: str) -> bool:
        try:
            status = self.request("GET", f"/connectors/{name}/status")
        except urllib.error.HTTPError:
            return False
        return status["connector"]["state"] == "RUNNING" and [t["state"] for t in status["tasks"]] == ["RUNNING"]

    def stop(self) -> None:
        """SIGTERM: Connect's shutdown hook stops the herder, committing offsets on the way."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                # Once seen (CI, 2026-12-01): the log ended inside Connect's RestServer.stop, beside
                # Jetty's own shutdown hook ("Unable to destroy ... STARTED"), before "Herder
                # stopping", so no request to the broker was pending. The threads say where it hangs.
                threads = self._thread_dump()
                self.proc.kill()
                self.proc.wait(30)
                raise AssertionError("the Connect worker did not stop on SIGTERM\n" + self.log_tail()
                                     + "\n--- its threads ---\n" + threads)

    def _thread_dump(self) -> str:
        assert self.proc is not None
        try:
            dump = subprocess.run(["jstack", str(self.proc.pid)], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"(jstack failed: {e})"
        return (dump.stdout or dump.stderr)[-20000:]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def append_lines(path: Path, start: int, end: int) -> list[str]:
    lines = [f"line-{i:05d} " + "x" * (i % 50) for i in range(start, end)]
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    return lines


def sink_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def topic_configs(bootstrap: str, topics: list[str]) -> dict[str, dict[str, str]]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, t) for t in topics])
    return {res.name: {k: e.value for k, e in fut.result(30).items()} for res, fut in futures.items()}


def run_connect_file_pipeline(classpath: str, bootstrap: str, work: Path) -> None:
    """The whole scenario against the broker at `bootstrap` (fastlog here; Kafka by hand)."""
    run = uuid.uuid4().hex[:6]
    data_topic = unique_topic("connect-data")
    create_topic(bootstrap, data_topic, 1)
    internal = {kind: f"connect-{kind}-{run}" for kind in ("config", "offset", "status")}
    source_file, sink_file = work / "source.txt", work / "sink.txt"
    source_file.write_text("")
    source = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "1",
              "file": str(source_file), "topic": data_topic}
    sink = {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": "1",
            "file": str(sink_file), "topics": data_topic}
    expected: list[str] = []

    def arrived() -> bool:
        return len(sink_lines(sink_file)) >= len(expected)

    worker = ConnectWorker(classpath, bootstrap, work, "connect-" + run, internal)
    try:
        worker.start()
        worker.put_connector("source", source)
        worker.put_connector("sink", sink)
        assert wait_until(lambda: worker.running("source") and worker.running("sink"), 120, 0.5), worker.log_tail()
        # Three rounds a little over a segment.ms apart: each leaves a source-offset record (same
        # key, a newer file position) in a segment of its own for the cleaner to drop.
        for round_no in range(3):
            expected += append_lines(source_file, round_no * 300, (round_no + 1) * 300)
            assert wait_until(arrived, 120, 0.2), f"{len(sink_lines(sink_file))} of {len(expected)}\n" \
                                                  f"{worker.log_tail()}"
            time.sleep(1.2)
        assert sink_lines(sink_file) == expected
        worker.stop()
        assert worker.proc is not None and worker.proc.returncode in (0, 143), worker.log_tail()

        # Lines written while no worker runs are picked up from the stored file position.
        expected += append_lines(source_file, 900, 1200)
        worker = ConnectWorker(classpath, bootstrap, work, "connect-" + run, internal).start()
        assert wait_until(arrived, 180, 0.2), f"{len(sink_lines(sink_file))} of {len(expected)}\n{worker.log_tail()}"
        # A line re-read or re-consumed would come before this one: once it is in, the file is final.
        expected += append_lines(source_file, 1200, 1201)
        assert wait_until(lambda: sink_lines(sink_file)[-1:] == expected[-1:], 120, 0.2), worker.log_tail()
        assert sink_lines(sink_file) == expected, "lines lost or repeated across the restart"
        assert worker.running("source") and worker.running("sink")
        assert sorted(worker.request("GET", "/connectors")) == ["sink", "source"]
        worker.stop()  # commits the source offset of the last line
    finally:
        worker.kill()

    configs = topic_configs(bootstrap, list(internal.values()))
    for topic in internal.values():
        assert configs[topic]["cleanup.policy"] == "compact", (topic, configs[topic])
        assert configs[topic]["segment.ms"] == "1000", (topic, configs[topic])
    # The source offsets: one key (the file), one record per flush that had new lines; compaction
    # keeps the newest (the file's end) and removes older ones from the rolled segments.
    offsets_topic = internal["offset"]
    end_position = source_file.stat().st_size

    def compacted() -> bool:
        records, high = read_partition_zero(bootstrap, offsets_topic)
        return len(records) < high

    assert wait_until(compacted, 90, 1.0), read_partition_zero(bootstrap, offsets_topic)
    records, _ = read_partition_zero(bootstrap, offsets_topic)
    latest = {key: value for _, key, value in records}
    assert len(latest) == 1, latest
    assert json.loads(next(iter(latest.values()))) == {"position": end_position}


@pytest.fixture(scope="module")
def connect_classpath() -> str:
    return kd.classpath(CONNECT_POM)


def test_connect_file_source_and_sink_resume_after_restart(broker_factory, connect_classpath, tmp_path):
    broker = broker_factory(FAST_CLEANER)
    run_connect_file_pipeline(connect_classpath, broker.bootstrap, tmp_path)


def committed_values(bootstrap: str, topic: str, last: str, timeout: float = 120.0) -> list[str]:
    """The values of partition 0 a read_committed reader sees, up to and including `last`."""
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": "reader-" + uuid.uuid4().hex[:6], "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
    values: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while last not in values[-1:]:
            assert time.monotonic() < deadline, f"{last!r} not read; {len(values)} values, last {values[-3:]}"
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                values.append(msg.value().decode())
    finally:
        consumer.close()
    return values


def run_connect_exactly_once(classpath: str, bootstrap: str, work: Path) -> None:
    """The exactly-once scenario of the test below against the broker at `bootstrap` (fastlog
    there; Kafka by hand)."""
    run = uuid.uuid4().hex[:6]
    data_topic = unique_topic("connect-eos")
    create_topic(bootstrap, data_topic, 1)
    internal = {kind: f"connect-eos-{kind}-{run}" for kind in ("config", "offset", "status")}
    source_file = work / "source.txt"
    source_file.write_text("")
    source = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": "1",
              "file": str(source_file), "topic": data_topic, "exactly.once.support": "required",
              "transaction.boundary": "interval", "transaction.boundary.interval.ms": "2000"}
    eos = {"exactly.once.source.support": "enabled"}

    def worker() -> ConnectWorker:
        return ConnectWorker(classpath, bootstrap, work, "connect-eos-" + run, internal, eos)

    first = worker().start()
    try:
        first.put_connector("source", source)
        assert wait_until(lambda: first.running("source"), 120, 0.5), first.log_tail()
        expected = append_lines(source_file, 0, 500)
        assert committed_values(bootstrap, data_topic, expected[-1]) == expected
        # Kill the worker while it copies, inside a transaction (one every 2 s) whose records are
        # in the log: the new worker's fencing must abort them.
        expected += append_lines(source_file, 500, 300_000)
        probe = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "probe-" + run,
                                          "isolation.level": "read_uncommitted"})  # the high watermark
        try:
            assert wait_until(lambda: probe.get_watermark_offsets(
                confluent_kafka.TopicPartition(data_topic, 0), timeout=5)[1] > 20_000, 120, 0.02), first.log_tail()
        finally:
            probe.close()
        first.kill()
    finally:
        first.kill()
    second = worker().start()
    try:
        assert wait_until(lambda: second.running("source"), 180, 0.5), second.log_tail()
        expected += append_lines(source_file, 300_000, 300_100)
        assert committed_values(bootstrap, data_topic, expected[-1], 180) == expected, \
            "lines lost or repeated across the killed worker"
        second.stop()
    finally:
        second.kill()


def test_connect_exactly_once_source_survives_a_killed_worker(broker_factory, connect_classpath, tmp_path):
    """KIP-618 exactly-once source (exactly.once.source.support=enabled): the FileStreamSource task
    writes its records and its file position in transactions (transaction.version 2 from the
    Java clients), the leader writes the config topic transactionally. The worker is killed
    (SIGKILL) while lines are being copied, inside a transaction whose records are in the log
    (in trial runs ~20,000 of them, aborted); a new worker fences the old task's producer,
    resumes from the committed position, and a read_committed reader sees every line exactly
    once. The same scenario passes against Kafka 4.4.0 (run by hand, 2026-12-02)."""
    broker = broker_factory()
    run_connect_exactly_once(connect_classpath, broker.bootstrap, tmp_path)
