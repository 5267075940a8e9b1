"""Apache Kafka from Maven Central: run its tools and a real single-node KRaft broker.

Used by the Java-tool integration tests and by `python -m fastlog.bench` (side by side with
fastlog). The jars are resolved by Maven from fastlog/kafka_pom/pom.xml (downloaded into ~/.m2 on first
use); the resulting classpath is cached per pom content, so Maven runs once per machine.

    out = run_class(TOPIC_COMMAND, ["--bootstrap-server", "127.0.0.1:9092", "--list"])
    with KafkaBroker() as kafka:
        print(kafka.bootstrap, kafka.ready_seconds)

Environment: FASTLOG_KAFKA_POM points at another pom; FASTLOG_KAFKA_CLASSPATH skips Maven.
"""
from __future__ import annotations

import base64
import fcntl
import functools
import hashlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional, Sequence

from fastlog.testing import ChildBroker

REPO_ROOT = Path(__file__).resolve().parents[2]
# Packaged with fastlog (package data), so the bench also works from an installed wheel.
DEFAULT_POM = Path(__file__).resolve().parent / "kafka_pom" / "pom.xml"
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fastlog"

# Main classes (Kafka 4.x)
KAFKA_SERVER = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
CONFIG_COMMAND = "org.apache.kafka.tools.ConfigCommand"
TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand"
PRODUCER_PERFORMANCE = "org.apache.kafka.tools.ProducerPerformance"
CONSUMER_PERFORMANCE = "org.apache.kafka.tools.ConsumerPerformance"
CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer"
CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer"
CONSUMER_GROUP_COMMAND = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"

# Kafka's own JVM settings from bin/kafka-run-class.sh and bin/kafka-server-start.sh, so that the
# comparison is against Kafka as shipped, not a tuned one.
KAFKA_JVM_PERFORMANCE_OPTS = [
    "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent", "-XX:MaxInlineLevel=15", "-Djava.awt.headless=true",
]
BROKER_HEAP_OPTS = ["-Xmx1G", "-Xms1G"]      # kafka-server-start.sh
PERF_TOOL_HEAP_OPTS = ["-Xmx512M"]           # kafka-producer/consumer-perf-test.sh
# Short-lived CLI tools in tests: start fast (C1 only, serial GC); they move little data.
FAST_START_OPTS = ["-Xmx256M", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"]


class KafkaDistError(RuntimeError):
    pass


def pom_path() -> Path:
    return Path(os.environ.get("FASTLOG_KAFKA_POM", DEFAULT_POM))


def kafka_version(pom: Optional[Path] = None) -> str:
    text = (pom or pom_path()).read_text(encoding="utf-8")
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", text)
    if not match:
        raise KafkaDistError(f"no <kafka.version> in {pom or pom_path()}")
    return match.group(1).strip()


def log4j_config(pom: Optional[Path] = None) -> Path:
    return (pom or pom_path()).parent / "log4j2.properties"


def _jars_exist(cp: str) -> bool:
    parts = [p for p in cp.split(os.pathsep) if p]
    return bool(parts) and all(os.path.exists(p) for p in parts)


@functools.lru_cache(maxsize=None)
def classpath(pom: Optional[Path] = None) -> str:
    """The Kafka classpath; runs Maven once per pom content (cached in ~/.cache/fastlog)."""
    if os.environ.get("FASTLOG_KAFKA_CLASSPATH"):
        return os.environ["FASTLOG_KAFKA_CLASSPATH"]
    pom = Path(pom or pom_path()).resolve()
    if not pom.exists():
        raise KafkaDistError(f"Kafka pom not found: {pom} (set FASTLOG_KAFKA_POM)")
    digest = hashlib.sha1(pom.read_bytes()).hexdigest()[:12]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    cache = CACHE_DIR / f"kafka-classpath-{digest}.txt"
    # A lock so parallel test processes do not run Maven side by side on one ~/.m2.
    with open(CACHE_DIR / "kafka-classpath.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.exists():
            cp = cache.read_text(encoding="utf-8").strip()
            if _jars_exist(cp):
                return cp
        if shutil.which("mvn") is None:
            raise KafkaDistError("Maven (mvn) is needed to resolve the Kafka jars")
        tmp = cache.with_suffix(".tmp")
        proc = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(pom), "dependency:build-classpath", f"-Dmdep.outputFile={tmp}"],
            capture_output=True, text=True, timeout=900,
        )
        if proc.returncode != 0 or not tmp.exists():
            raise KafkaDistError(f"mvn dependency:build-classpath failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        cp = tmp.read_text(encoding="utf-8").strip()
        os.replace(tmp, cache)
        return cp


def missing_tools() -> str:
    """What of Java and Maven is not on PATH ("" if both are), unless a classpath is given."""
    needed = ["java"] if os.environ.get("FASTLOG_KAFKA_CLASSPATH") else ["java", "mvn"]
    return " and ".join(tool for tool in needed if shutil.which(tool) is None)


def java_command(main_class: str, args: Sequence[str] = (), jvm_opts: Sequence[str] = ()) -> list[str]:
    java = shutil.which("java") or "java"
    return [java, *jvm_opts, f"-Dlog4j2.configurationFile={log4j_config()}",
            "-cp", classpath(), main_class, *[str(a) for a in args]]


def run_class(
    main_class: str,
    args: Sequence[str] = (),
    *,
    input: Optional[str] = None,
    timeout: float = 120.0,
    jvm_opts: Sequence[str] = FAST_START_OPTS,
    check: bool = False,
) -> subprocess.CompletedProcess:
    """Run a Kafka main class to completion; stdout and stderr are captured as text."""
    cmd = java_command(main_class, args, jvm_opts)
    try:
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        # The command line holds the whole classpath: report the tool's output instead of it.
        def text(data: object) -> str:
            return data.decode(errors="replace") if isinstance(data, bytes) else str(data or "")
        return subprocess.CompletedProcess(cmd, -9, text(exc.stdout),
                                           text(exc.stderr) + f"\n[killed after {timeout:g} s]")
    if check and proc.returncode != 0:
        raise KafkaDistError(f"{main_class} {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


# --- readiness probe: one raw Metadata v1 request, no client library in the way ---------------

def metadata_request(correlation_id: int = 1, client_id: str = "fastlog-probe") -> bytes:
    cid = client_id.encode()
    # header v1 (api_key 3, version 1), body: topics = null (-1) i.e. all topics
    body = struct.pack(">hhih", 3, 1, correlation_id, len(cid)) + cid + struct.pack(">i", -1)
    return struct.pack(">i", len(body)) + body


def probe_metadata(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when the broker answers a Metadata request with at least one broker listed."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(metadata_request(7))
            head = _recv_exact(sock, 4)
            size = struct.unpack(">i", head)[0]
            if size < 8 or size > 64 << 20:
                return False
            body = _recv_exact(sock, size)
            corr, n_brokers = struct.unpack_from(">ii", body, 0)
            return corr == 7 and n_brokers >= 1
    except (OSError, struct.error, EOFError):
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return bytes(buf)


def wait_for_metadata(host: str, port: int, deadline: float, alive=lambda: True, interval: float = 0.005) -> bool:
    """Poll until a Metadata answer arrives (True) or time.monotonic() passes deadline (False)."""
    while time.monotonic() < deadline:
        if not alive():
            return False
        if probe_metadata(host, port, timeout=max(0.05, min(1.0, deadline - time.monotonic()))):
            return True
        time.sleep(interval)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_cluster_id() -> str:
    """What `StorageTool random-uuid` prints (base64url, no padding), without starting a JVM."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):   # Kafka avoids ids that look like command-line options
            return text


class KafkaBroker(ChildBroker):
    """A real Apache Kafka broker+controller (single-node KRaft) in a temp dir, on free ports.

    Started with Kafka's default broker JVM settings. `ready_seconds` is the time from launching
    the broker JVM (storage already formatted) to its first successful Metadata answer.
    """

    def __init__(
        self,
        data_dir: Optional[str] = None,
        port: int = 0,
        startup_timeout: float = 120.0,
        properties: Optional[dict[str, object]] = None,
        jvm_opts: Sequence[str] = (*BROKER_HEAP_OPTS, *KAFKA_JVM_PERFORMANCE_OPTS),
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="fastlog-kafka-")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.controller_port = free_port()
        self.startup_timeout = startup_timeout
        self.extra_properties = dict(properties or {})
        self.jvm_opts = list(jvm_opts)
        self.proc: Optional[subprocess.Popen] = None
        self.ready_seconds: Optional[float] = None
        self.log_file = os.path.join(self.data_dir, "kafka.log")
        self._formatted = False

    @property
    def config_file(self) -> str:
        return os.path.join(self.data_dir, "server.properties")

    def properties(self) -> dict[str, object]:
        props: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": os.path.join(self.data_dir, "data"),
            "num.partitions": 1,
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
        }
        props.update(self.extra_properties)
        return props

    def _write_config(self) -> None:
        with open(self.config_file, "w", encoding="utf-8") as f:
            for key, value in self.properties().items():
                f.write(f"{key}={value}\n")

    def format(self) -> None:
        self._write_config()
        run_class(STORAGE_TOOL, ["format", "-t", random_cluster_id(), "-c", self.config_file],
                  timeout=120, check=True)
        self._formatted = True

    def start(self) -> "KafkaBroker":
        assert not self.alive(), "already running"
        if not self._formatted:
            self.format()
        cmd = java_command(KAFKA_SERVER, [self.config_file], [
            *self.jvm_opts,
            # kafka-server-start.sh turns on GC logging to a file, as Kafka runs by default
            f"-Xlog:gc*:file={os.path.join(self.data_dir, 'kafkaServer-gc.log')}:time,tags:filecount=10,filesize=100M",
            f"-Dkafka.logs.dir={self.data_dir}",
        ])
        log = open(self.log_file, "a", encoding="utf-8")
        started = time.monotonic()
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()   # the child keeps its own descriptor
        ok = wait_for_metadata(self.host, self.port, started + self.startup_timeout, alive=self.alive)
        if not ok:
            code = self.proc.poll()
            self.kill()
            raise KafkaDistError(f"Kafka did not become ready (exit {code}); log:\n{self.log_tail()}")
        self.ready_seconds = time.monotonic() - started
        return self

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM (Kafka's controlled shutdown); SIGKILL if it takes longer than timeout."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

