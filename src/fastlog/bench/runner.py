"""Orchestration of `python -m fastlog.bench`: brokers, workloads, repetitions, results.

Every measurement is repeated (3 times by default) and the brokers alternate within a
measurement (fastlog, kafka, then kafka, fastlog, ...) so that drift on the machine (page cache,
thermal, other load) does not favour one of them. Both brokers run during the whole bench.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from fastlog import kafka_dist as kd
from fastlog.bench import baseline, javaperf, load, pinning, procstats, report

PARTITIONS = 6
ALL_WORKLOADS = ("startup", "baseline", "produce", "consume", "latency", "small", "txn", "cleaning", "java")
CLEANING_KEYS = 1000
# The java workload's transactional case commits this often (the txn workload's librdkafka
# producer does too: 100 ms transactions).
JAVA_TRANSACTION_MS = 100
# The cleaner never cleans the active segment: the checkpoint reaching the filled records minus
# about one 1 MiB segment of 1 KiB records counts as "cleaned".
CLEANER_ACTIVE_SLACK = 1100


@dataclass
class Profile:
    name: str
    reps: int
    produce_mb: int          # per produce-throughput run
    consume_mb: int          # size of the topic read back from the start
    latency_rates_mb: list[float]
    latency_seconds: float
    java_records: int
    baseline_mb: int
    step_timeout: float      # seconds before one client run is given up (reported as an error)
    small_seconds: float = 5.0  # length of each many-small-requests run
    # many-small-requests runs: (partitions, producer processes, producers per process, keys)
    small_cases: list = field(default_factory=lambda: [(PARTITIONS, 4, 8, 0), (1000, 4, 25, 1000)])


PROFILES = {
    # seconds, for tests: every code path, tiny sizes, one repetition
    "smoke": Profile("smoke", 1, 4, 8, [2.0], 1.0, 2000, 16, 30, small_seconds=1.0,
                     small_cases=[(PARTITIONS, 2, 4, 0), (100, 2, 5, 100)]),
    # under five minutes on a 2-core machine
    "quick": Profile("quick", 3, 200, 400, [20.0, 100.0], 3.0, 100_000, 200, 300, small_seconds=5.0),
    # the published run
    "full": Profile("full", 3, 1000, 3000, [20.0, 100.0], 15.0, 1_000_000, 1000, 1200, small_seconds=15.0),
}

PRODUCE_CASES = [("acks=1", "none"), ("acks=1", "lz4"), ("acks=all", "none"), ("acks=all", "lz4")]


@dataclass
class Target:
    """One broker under test."""
    name: str
    bootstrap: str
    pid: Optional[int] = None
    handle: Any = None
    startup_s: list[float] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)
    bytes_moved: dict[str, int] = field(default_factory=dict)
    peak_rss_bytes: int = 0

    def account(self, kind: str, cpu: float, nbytes: int) -> None:
        self.cpu_s[kind] = self.cpu_s.get(kind, 0.0) + cpu
        self.bytes_moved[kind] = self.bytes_moved.get(kind, 0) + nbytes

    def alive(self) -> bool:
        return self.handle is None or self.handle.alive()

    def cpu_snapshot(self) -> float:
        return procstats.snapshot(self.pid).cpu_s if self.pid else 0.0

    def log_dir(self) -> Optional[str]:
        """Where the broker keeps its partitions (and cleaner-offset-checkpoint); None for --against."""
        if self.handle is None:
            return None
        return os.path.join(self.handle.data_dir, "data" if self.name == "kafka" else "logs")


class Bench:
    def __init__(self, args: argparse.Namespace, profile: Profile) -> None:
        self.args = args
        self.profile = profile
        self.reps = args.reps or profile.reps
        self.t0 = time.monotonic()
        self.results: dict[tuple[str, str, str, str], list[float]] = {}
        self.raw: list[dict] = []
        self.errors: list[str] = []
        self.targets: list[Target] = []
        self.baseline_samples: list[float] = []
        self.dead: set[str] = set()
        self.loadavg_start = loadavg()   # the machine may be shared: say how busy it was
        self.pinning = pinning.parse(args.pin) if args.pin else None

    # --- output -------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f}s] {text}", flush=True)

    def record(self, workload: str, case: str, metric: str, broker: str, value: Optional[float]) -> None:
        samples = self.results.setdefault((workload, case, metric, broker), [])
        if value is not None:
            samples.append(value)

    def record_cpu_per_gb(self, workload: str, case: str, target: Target, result: dict) -> None:
        """The broker's CPU seconds per GB moved in this one run (issue 12's per-byte goals are
        per case: produce uncompressed, lz4, consume), beside the whole-run totals of the
        resources table, which mix every workload of a kind."""
        cpu, nbytes = result.get("broker_cpu_s"), result.get("bytes")
        if cpu is not None and nbytes:
            self.record(workload, case, "broker CPU s/GB", target.name, cpu / (nbytes / 1e9))

    def failed(self, what: str, target: str, result: dict) -> bool:
        problem = result.get("error") or (f"{result['failed']} records failed {result.get('errors', '')}"
                                          if result.get("failed") else None)
        if problem:
            message = f"{what} on {target}: {str(problem)[:600]}"
            self.errors.append(message)
            self.say("ERROR " + message)
        return bool(problem)

    # --- brokers ------------------------------------------------------------------------------
    def start_fastlog(self) -> Target:
        from fastlog.testing import BrokerProcess

        byte_compile_fastlog()
        started = time.monotonic()
        proc = BrokerProcess(startup_timeout=60)
        proc.start()
        if not kd.wait_for_metadata(proc.host, proc.port, time.monotonic() + 30, alive=proc.alive):
            proc.cleanup()
            raise RuntimeError(f"fastlog never answered Metadata; log: {proc.log_tail()}")
        ready = time.monotonic() - started
        assert proc.proc is not None
        return Target("fastlog", proc.bootstrap, proc.proc.pid, proc, [ready])

    def start_kafka(self) -> Target:
        kafka = kd.KafkaBroker(startup_timeout=180)
        kafka.start()
        assert kafka.ready_seconds is not None
        return Target("kafka", kafka.bootstrap, kafka.pid, kafka, [kafka.ready_seconds])

    def stop(self, target: Target) -> None:
        if target.handle is None:
            return
        try:
            target.handle.stop()
        finally:
            target.handle.cleanup()

    def start_targets(self) -> None:
        if self.args.against:
            self.targets = [Target(self.args.name, self.args.against, self.args.pid)]
            if not kd.wait_for_metadata(*split_hostport(self.args.against), time.monotonic() + 10):
                raise RuntimeError(f"{self.args.against} does not answer Metadata")
            if self.pinning:
                if self.args.pid:
                    pinning.pin_process(self.args.pid, self.pinning.broker)
                pinning.pin_self(self.pinning.load)
            return
        starters = {"fastlog": self.start_fastlog, "kafka": self.start_kafka}
        names = [b for b in self.args.brokers.split(",") if b]
        if "kafka" in names:
            missing = kd.missing_tools()
            if missing:
                raise SystemExit(f"Apache Kafka cannot run here: {missing} not found (Kafka needs Java 17+, and Maven "
                                 "resolves its jars from Maven Central). Install them, or measure fastlog alone with "
                                 "--brokers fastlog, or any running broker with --against HOST:PORT.")
        measure_startup = "startup" in self.workloads
        if self.pinning:   # brokers inherit the broker CPUs; the clients started later the load CPUs
            pinning.pin_self(self.pinning.broker)
        for name in names:
            if name not in starters:
                raise SystemExit(f"unknown broker {name!r} (fastlog, kafka)")
            samples: list[float] = []
            # extra starts only to measure start-to-ready; the last one stays up for the workloads
            for _ in range(self.reps - 1 if measure_startup else 0):
                t = starters[name]()
                samples += t.startup_s
                self.say(f"startup  {name:8} start to first Metadata answer: {t.startup_s[0]:.3f} s")
                self.stop(t)
            target = starters[name]()
            self.say(f"startup  {name:8} start to first Metadata answer: {target.startup_s[0]:.3f} s "
                     f"(serving on {target.bootstrap}, pid {target.pid})")
            target.startup_s = samples + target.startup_s
            self.targets.append(target)
            if self.pinning and target.pid:
                threads = pinning.pin_process(target.pid, self.pinning.broker)
                self.say(f"pinned   {name:8} {threads} threads to CPU {sorted(self.pinning.broker)}")
            if measure_startup:
                for value in target.startup_s:
                    self.record("startup", "process start to Metadata", "s", name, value)
        if self.pinning:
            pinning.pin_self(self.pinning.load)

    # --- helpers ------------------------------------------------------------------------------
    def order(self, rep: int) -> list[Target]:
        """The live targets, in alternating order; a broker that died is reported once, with its log."""
        for target in self.targets:
            if not target.alive() and target.name not in self.dead:
                self.dead.add(target.name)
                tail = target.handle.log_tail(3000) if target.handle else ""
                self.errors.append(f"{target.name} exited during the run; log tail:\n{tail}")
                self.say(f"ERROR {target.name} exited during the run; log tail:\n{tail}")
        live = [t for t in self.targets if t.name not in self.dead]
        return live if rep % 2 == 0 else live[::-1]

    def measured(self, target: Target, kind: str, fn: Callable[[], dict], nbytes_key: str = "bytes") -> dict:
        before = target.cpu_snapshot()
        result = fn()
        cpu = target.cpu_snapshot() - before
        target.account(kind, cpu, int(result.get(nbytes_key) or 0))
        if target.pid:
            result["broker_cpu_s"] = cpu   # over the run's seconds: how many cores the broker used
        return result

    def create_topic(self, target: Target, prefix: str, partitions: int = PARTITIONS,
                     configs: Optional[dict[str, str]] = None) -> str:
        from confluent_kafka.admin import AdminClient, NewTopic

        name = f"bench-{prefix}-{uuid.uuid4().hex[:8]}"
        admin = AdminClient({"bootstrap.servers": target.bootstrap})
        admin.create_topics([NewTopic(name, partitions, 1, config=configs or {})])[name].result(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:   # wait until every partition has a leader
            meta = admin.list_topics(name, timeout=10).topics.get(name)
            if meta is not None and meta.error is None and len(meta.partitions) == partitions \
                    and all(p.leader >= 0 for p in meta.partitions.values()):
                return name
            time.sleep(0.05)
        raise RuntimeError(f"topic {name} not ready on {target.name}")

    def delete_topic(self, target: Target, name: str) -> None:
        """Best effort: keeps the disk from filling up over a full run."""
        from confluent_kafka.admin import AdminClient

        if not target.alive():
            return
        try:
            AdminClient({"bootstrap.servers": target.bootstrap}).delete_topics([name])[name].result(30)
        except Exception:
            pass

    # --- workloads ----------------------------------------------------------------------------
    def run_baseline(self) -> None:
        total = self.profile.baseline_mb * 1_000_000
        self.say(f"baseline: {self.profile.baseline_mb} MB over loopback TCP into a file, no protocol (baseline.c)")
        try:
            self.baseline_samples = baseline.measure(total, self.reps, self.pinning)
        except Exception as exc:   # no gcc or similar: the bench still runs
            self.errors.append(f"baseline: {exc}")
            self.say(f"ERROR baseline: {exc}")
            return
        for value in self.baseline_samples:
            self.record("baseline", "loopback to file", "MB/s", "machine", value)
        self.say("baseline: " + ", ".join(f"{v:.0f}" for v in self.baseline_samples) + " MB/s")

    def run_produce(self) -> None:
        total = self.profile.produce_mb * 1_000_000
        producers = self.args.producers
        for acks, compression in PRODUCE_CASES:
            settings = {"acks": acks.split("=")[1], "compression.type": compression}
            case = f"{acks} {compression}"
            self.say(f"produce  {case}: {self.profile.produce_mb} MB of 1 KiB records, {PARTITIONS} partitions, "
                     f"{producers} producer process(es), "
                     f"settings {settings_text({**load.PRODUCER_SETTINGS, **settings})}")
            for rep in range(self.reps):
                for target in self.order(rep):
                    topic = self.create_topic(target, "produce")
                    jobs = [(load.produce_throughput, {"bootstrap": target.bootstrap, "topic": topic,
                                                       "total_bytes": total // producers, "settings": settings})
                            for _ in range(producers)]
                    outs = self.measured(target, "produce",
                                         lambda: merge_throughput(load.run_workers(jobs, self.profile.step_timeout)))
                    self.raw.append({"workload": "produce", "case": case, "broker": target.name, **outs})
                    ok = not self.failed(f"produce {case}", target.name, outs)
                    self.record("produce", case, "MB/s", target.name, outs["mb_s"] if ok else None)
                    if ok:
                        self.record_cpu_per_gb("produce", case, target, outs)
                        self.say(f"produce  {case:14} {target.name:8} rep {rep + 1}/{self.reps}: "
                                 f"{outs['mb_s']:8.1f} MB/s"
                                 f" (client CPU {outs['client_cpu_s'] / outs['seconds']:.0%})")
                    self.delete_topic(target, topic)

    def run_consume(self) -> None:
        total = self.profile.consume_mb * 1_000_000
        self.say(f"consume: read {self.profile.consume_mb} MB back from the start of {PARTITIONS} partitions "
                 f"(assign, no group), settings {settings_text(load.CONSUMER_SETTINGS)}")
        topics = {}
        for target in self.order(0):
            topic = self.create_topic(target, "consume")
            jobs = [(load.produce_throughput, {"bootstrap": target.bootstrap, "topic": topic,
                                               "total_bytes": total // 2, "settings": {"acks": "1"}})] * 2
            outs = self.measured(target, "produce",
                                 lambda: merge_throughput(load.run_workers(jobs, self.profile.step_timeout)))
            if self.failed("consume (filling the topic)", target.name, outs):
                continue
            self.say(f"consume  filled {topic} on {target.name} ({outs['mb_s']:.0f} MB/s)")
            topics[target.name] = topic
        for rep in range(self.reps):
            for target in self.order(rep):
                if target.name not in topics:
                    continue
                outs = self.measured(target, "consume", lambda: load.run_workers(
                    [(load.consume_all, {"bootstrap": target.bootstrap, "topic": topics[target.name],
                                         "settings": {}, "timeout": self.profile.step_timeout})],
                    self.profile.step_timeout + 30)[0])
                self.raw.append({"workload": "consume", "case": "from start", "broker": target.name, **outs})
                ok = not self.failed("consume", target.name, outs)
                self.record("consume", "from start", "MB/s", target.name, outs["mb_s"] if ok else None)
                if ok:
                    self.record_cpu_per_gb("consume", "from start", target, outs)
                    self.say(f"consume  {'from start':14} {target.name:8} rep {rep + 1}/{self.reps}: "
                             f"{outs['mb_s']:8.1f} MB/s"
                             f" (client CPU {outs['client_cpu_s'] / outs['seconds']:.0%})")
        for target in self.targets:
            if target.name in topics:
                self.delete_topic(target, topics[target.name])

    def run_latency(self) -> None:
        settings = {"acks": "1", "compression.type": "none"}
        for rate in self.profile.latency_rates_mb:
            case = f"{rate:g} MB/s"
            self.say(f"latency  {case} for {self.profile.latency_seconds:g} s, 1 KiB records with a send timestamp; "
                     f"producer {settings_text({**load.PRODUCER_SETTINGS, **settings})}; "
                     f"consumer {settings_text(load.CONSUMER_SETTINGS)}")
            for rep in range(self.reps):
                for target in self.order(rep):
                    topic = self.create_topic(target, "latency")
                    expected = int(rate * 1e6 * self.profile.latency_seconds / load.RECORD_SIZE)
                    ready = load.new_event()
                    jobs: list[tuple[Callable[..., dict], dict]] = [
                            (load.e2e_consumer, {"bootstrap": target.bootstrap, "topic": topic, "expected": expected,
                                                 "settings": {}, "ready": ready,
                                                 "timeout": self.profile.latency_seconds + 60}),
                            (load.produce_at_rate, {"bootstrap": target.bootstrap, "topic": topic,
                                                    "rate_bytes": rate * 1e6, "settings": settings, "ready": ready,
                                                    "duration": self.profile.latency_seconds})]
                    outs = self.measured(target, "produce", lambda: pair_with_bytes(
                        load.run_workers(jobs, self.profile.latency_seconds + 120)))
                    cons, prod = outs["consumer"], outs["producer"]
                    self.raw.append({"workload": "latency", "case": case, "broker": target.name,
                                     "producer": prod, "consumer": cons})
                    bad = self.failed(f"latency {case} producer", target.name, prod)
                    bad = self.failed(f"latency {case} consumer", target.name, cons) or bad
                    lat, e2e = prod.get("latency_ms", {}), cons.get("e2e_latency_ms", {})
                    if not bad:
                        for metric, value in (("produce p50 ms", lat.get("p50")),
                                              ("produce p99 ms", lat.get("p99")),
                                              ("produce p99.9 ms", lat.get("p99.9")),
                                              ("end-to-end p99 ms", e2e.get("p99"))):
                            self.record("latency", case, metric, target.name, value)
                        self.record("latency", case, "achieved MB/s", target.name, prod.get("mb_s"))
                        self.say(f"latency  {case:14} {target.name:8} rep {rep + 1}/{self.reps}: produce p50 "
                                 f"{lat.get('p50', 0):.2f} p99 {lat.get('p99', 0):.2f} "
                                 f"p99.9 {lat.get('p99.9', 0):.2f} ms, "
                                 f"end-to-end p99 {e2e.get('p99', 0):.2f} ms, sent {prod['mb_s']:.1f} MB/s")
                    self.delete_topic(target, topic)

    def run_small(self) -> None:
        """Many producers, each record its own request (linger 0, acks=1): requests/s, the p99 of
        produce-to-ack, and the broker's CPU per request (issue 12's small-requests ceiling)."""
        seconds = self.profile.small_seconds
        for partitions, procs, clients, keys in self.profile.small_cases:
            case = f"{procs * clients} clients" + (f" {partitions} partitions" if keys else "")
            self.say(f"small    {case}: {procs} processes x {clients} producers, 1 KiB records, {partitions} "
                     f"partitions, {seconds:.0f} s, settings {settings_text(load.SMALL_PRODUCER_SETTINGS)}, "
                     "at most 8 records in flight per producer")
            for rep in range(self.reps):
                for target in self.order(rep):
                    topic = self.create_topic(target, "small", partitions)
                    jobs = [(load.produce_small, {"bootstrap": target.bootstrap, "topic": topic, "clients": clients,
                                                  "seconds": seconds, "keys": keys}) for _ in range(procs)]
                    before = target.cpu_snapshot()
                    # producers that each load the metadata of 1,000 partitions take a while to start
                    outs = load.run_workers(jobs, self.profile.step_timeout + 60)
                    cpu = target.cpu_snapshot() - before
                    if any([self.failed(f"small {case}", target.name, o) for o in outs]):
                        self.delete_topic(target, topic)
                        continue
                    requests = sum(o["requests"] for o in outs)
                    elapsed = max(o["seconds"] for o in outs)
                    records = sum(o["records"] for o in outs)
                    p99 = max(o["latency_ms"].get("p99", 0) for o in outs)
                    target.account("small", cpu, records * load.RECORD_SIZE)
                    self.raw.append({"workload": "small", "case": case, "broker": target.name, "requests": requests,
                                     "records": records, "seconds": elapsed, "broker_cpu_s": cpu,
                                     "latency_ms": [o["latency_ms"] for o in outs]})
                    self.record("small", case, "requests/s", target.name, requests / elapsed)
                    self.record("small", case, "records/s", target.name, records / elapsed)
                    self.record("small", case, "p99 ms", target.name, p99)
                    if requests:
                        self.record("small", case, "broker CPU us/request", target.name, cpu / requests * 1e6)
                    self.say(f"small    {case:28} {target.name:8} rep {rep + 1}/{self.reps}: "
                             f"{requests / elapsed:8.0f} requests/s, {records / elapsed:8.0f} records/s, "
                             f"p99 {p99:.1f} ms, broker CPU {cpu / max(requests, 1) * 1e6:.0f} us/request")
                    self.delete_topic(target, topic)

    def run_txn(self) -> None:
        """Exactly-once traffic: one producer sends produce_mb inside transactions committed every
        100 ms; then the topic is read back read_committed and read_uncommitted (issue 9)."""
        total = self.profile.produce_mb * 1_000_000
        settings = {"acks": "all", "compression.type": "none", "enable.idempotence": True}
        self.say(f"txn      {self.profile.produce_mb} MB of 1 KiB records in 100 ms transactions, {PARTITIONS} "
                 f"partitions, settings {settings_text({**load.PRODUCER_SETTINGS, **settings})}; then read back "
                 "with isolation.level read_committed and read_uncommitted")
        for rep in range(self.reps):
            for target in self.order(rep):
                topic = self.create_topic(target, "txn")
                outs = self.measured(target, "produce", lambda: load.run_workers(
                    [(load.produce_transactional, {"bootstrap": target.bootstrap, "topic": topic,
                                                   "total_bytes": total, "settings": settings})],
                    self.profile.step_timeout)[0])
                self.raw.append({"workload": "txn", "case": "produce", "broker": target.name, **outs})
                if self.failed("txn produce", target.name, outs):
                    self.delete_topic(target, topic)
                    continue
                self.record("txn", "produce in 100 ms transactions", "MB/s", target.name, outs["mb_s"])
                line = f"txn      {target.name:8} rep {rep + 1}/{self.reps}: produce {outs['mb_s']:.1f} MB/s " \
                       f"({outs['transactions']} transactions)"
                for isolation in ("read_committed", "read_uncommitted"):
                    read = self.measured(target, "consume", lambda: load.run_workers(
                        [(load.consume_all, {"bootstrap": target.bootstrap, "topic": topic,
                                             "settings": {"isolation.level": isolation},
                                             "timeout": self.profile.step_timeout, "expected": outs["records"]})],
                        self.profile.step_timeout + 30)[0])
                    self.raw.append({"workload": "txn", "case": isolation, "broker": target.name, **read})
                    if not self.failed(f"txn {isolation}", target.name, read):
                        self.record("txn", f"consume {isolation}", "MB/s", target.name, read["mb_s"])
                        line += f", {isolation} {read['mb_s']:.1f} MB/s"
                self.say(line)
                self.delete_topic(target, topic)

    def run_cleaning(self) -> None:
        """Produce while the log cleaner compacts another topic (issue 10). A compacted topic of
        1 MiB segments is filled with produce_mb of records over CLEANING_KEYS keys; then the
        broker's log.cleaner.backoff.ms (a dynamic broker config in both) goes to 100 ms so a
        pass starts at once, and the produce workload's acks=1 case runs on a plain topic
        meanwhile. The cleaner checkpoint in the broker's log dir (the same file and format in
        both) says when the filled part was cleaned: MB of log cleaned per second."""
        total = self.profile.produce_mb * 1_000_000
        settings = {"acks": "1", "compression.type": "none"}
        self.say(f"cleaning {self.profile.produce_mb} MB over {CLEANING_KEYS} keys into a compacted topic "
                 f"(segment.bytes=1048576, min.cleanable.dirty.ratio=0.01), cleaner backoff 100 ms, then "
                 f"{self.profile.produce_mb} MB produced to a plain topic while it is cleaned, settings "
                 f"{settings_text({**load.PRODUCER_SETTINGS, **settings})}")
        for rep in range(self.reps):
            for target in self.order(rep):
                compacted = self.create_topic(target, "compacted", 1, {
                    "cleanup.policy": "compact", "segment.bytes": "1048576", "min.cleanable.dirty.ratio": "0.01"})
                fill = load.run_workers([(load.produce_keyed, {"bootstrap": target.bootstrap, "topic": compacted,
                                                               "total_bytes": total, "keys": CLEANING_KEYS})],
                                        self.profile.step_timeout)[0]
                if self.failed("cleaning fill", target.name, fill):
                    self.delete_topic(target, compacted)
                    continue
                topic = self.create_topic(target, "cleaning")
                watch = CleanerWatch(target.log_dir(), compacted, cleanable_end=fill["records"] - CLEANER_ACTIVE_SLACK)
                set_broker_config(target.bootstrap, "log.cleaner.backoff.ms", "100")
                watch.start()
                try:
                    outs = self.measured(target, "produce", lambda: load.run_workers(
                        [(load.produce_throughput, {"bootstrap": target.bootstrap, "topic": topic,
                                                    "total_bytes": total, "settings": settings})],
                        self.profile.step_timeout)[0])
                    cleaned_s = watch.wait(self.profile.step_timeout)
                finally:
                    watch.stop()
                    set_broker_config(target.bootstrap, "log.cleaner.backoff.ms", None)
                self.raw.append({"workload": "cleaning", "broker": target.name, **outs, "cleaned_s": cleaned_s,
                                 "fill_bytes": fill["bytes"]})
                line = f"cleaning {target.name:8} rep {rep + 1}/{self.reps}:"
                if not self.failed("produce while cleaning", target.name, outs):
                    self.record("cleaning", "produce while compacting", "MB/s", target.name, outs["mb_s"])
                    line += f" produce {outs['mb_s']:.1f} MB/s"
                if cleaned_s is not None:
                    self.record("cleaning", "compacted topic cleaned", "MB/s", target.name,
                                fill["bytes"] / cleaned_s / 1e6)
                    line += f", {fill['bytes'] / 1e6:.0f} MB cleaned in {cleaned_s:.1f} s"
                else:
                    line += ", the cleaner checkpoint did not cover the filled log in time"
                self.say(line)
                self.delete_topic(target, topic)
                self.delete_topic(target, compacted)

    def run_java(self) -> None:
        records = self.profile.java_records
        self.say(f"java     ProducerPerformance {records} x 1 KiB records, {PARTITIONS} partitions, producer props "
                 f"{settings_text(javaperf.PRODUCER_PROPS)}; then ConsumerPerformance reads them (group)")
        try:
            kd.classpath()
        except Exception as exc:
            self.errors.append(f"java tools unavailable: {exc}")
            self.say(f"ERROR java tools unavailable: {exc}")
            return
        for rep in range(self.reps):
            for target in self.order(rep):
                topic = self.create_topic(target, "java")
                prod = self.measured(target, "produce", lambda: with_bytes(
                    javaperf.producer_performance(target.bootstrap, topic, records, timeout=self.profile.step_timeout),
                    records * load.RECORD_SIZE))
                self.raw.append({"workload": "java-produce", "broker": target.name, **prod})
                if not self.failed("ProducerPerformance", target.name, prod):
                    self.record("java-produce", "ProducerPerformance", "MB/s", target.name, prod["mb_s"])
                    self.record("java-produce", "ProducerPerformance", "p99 ms", target.name, prod["p99_ms"])
                    self.say(f"java     ProducerPerformance {target.name:8} rep {rep + 1}/{self.reps}: "
                             f"{prod['mb_s']:.1f} MB/s, p50 {prod['p50_ms']:.0f} p99 {prod['p99_ms']:.0f} ms")
                    cons = self.measured(target, "consume", lambda: with_bytes(
                        javaperf.consumer_performance(target.bootstrap, topic, records,
                                                      timeout=self.profile.step_timeout),
                        records * load.RECORD_SIZE))
                    self.raw.append({"workload": "java-consume", "broker": target.name, **cons})
                    if not self.failed("ConsumerPerformance", target.name, cons):
                        self.record("java-consume", "ConsumerPerformance", "MB/s", target.name, cons["mb_s"])
                        self.say(f"java     ConsumerPerformance {target.name:8} rep {rep + 1}/{self.reps}: "
                                 f"{cons['mb_s']:.1f} MB/s")
                self.delete_topic(target, topic)
                self.run_java_transactions(target, rep)

    def run_java_transactions(self, target, rep: int) -> None:
        """ProducerPerformance in transactions: the Java clients' transaction.version 2 flow."""
        records = self.profile.java_records
        topic = self.create_topic(target, "java-txn")
        prod = self.measured(target, "produce", lambda: with_bytes(
            javaperf.producer_performance(target.bootstrap, topic, records, timeout=self.profile.step_timeout,
                                          transaction_ms=JAVA_TRANSACTION_MS),
            records * load.RECORD_SIZE))
        self.raw.append({"workload": "java-produce-txn", "broker": target.name, **prod})
        case = f"ProducerPerformance, {JAVA_TRANSACTION_MS} ms transactions"
        if not self.failed(case, target.name, prod):
            self.record("java-produce", case, "MB/s", target.name, prod["mb_s"])
            self.record("java-produce", case, "p99 ms", target.name, prod["p99_ms"])
            self.say(f"java     {case} {target.name:8} rep {rep + 1}/{self.reps}: "
                     f"{prod['mb_s']:.1f} MB/s, p50 {prod['p50_ms']:.0f} p99 {prod['p99_ms']:.0f} ms")
        self.delete_topic(target, topic)

    # --- the run ------------------------------------------------------------------------------
    @property
    def workloads(self) -> list[str]:
        chosen = [w for w in self.args.workloads.split(",") if w]
        unknown = set(chosen) - set(ALL_WORKLOADS)
        if unknown:
            raise SystemExit(f"unknown workloads {sorted(unknown)}; choose from {ALL_WORKLOADS}")
        return chosen

    def run(self) -> dict:
        started = self.started = dt.datetime.now(dt.timezone.utc)
        self.say(f"fastlog bench, {self.profile.name} profile, {self.reps} repetitions, "
                 f"workloads {','.join(self.workloads)}")
        try:
            self.start_targets()
            steps = {"baseline": self.run_baseline, "produce": self.run_produce, "consume": self.run_consume,
                     "latency": self.run_latency, "small": self.run_small, "txn": self.run_txn,
                     "cleaning": self.run_cleaning, "java": self.run_java}
            for name in self.workloads:
                if name in steps:
                    try:
                        steps[name]()
                    except Exception as exc:   # keep going: the other workloads still say something
                        self.errors.append(f"{name}: {exc.__class__.__name__}: {exc}")
                        self.say(f"ERROR {name}: {traceback.format_exc(limit=3)}")
            self.order(0)   # reports a broker that died during the last workload
            for target in self.targets:
                if target.pid:
                    target.peak_rss_bytes = procstats.snapshot(target.pid).peak_rss_bytes
        finally:
            for target in self.targets:
                self.stop(target)
        return self.result(started)

    def result(self, started: dt.datetime) -> dict:
        machine = {**machine_info(), "loadavg_start": self.loadavg_start, "loadavg_end": loadavg()}
        brokers = {}
        for t in self.targets:
            per_gb = {kind: t.cpu_s[kind] / (t.bytes_moved[kind] / 1e9)
                      for kind in t.cpu_s if t.bytes_moved.get(kind)} if t.pid else {}
            total_bytes = sum(t.bytes_moved.values())
            if t.pid and total_bytes:
                per_gb["all"] = sum(t.cpu_s.values()) / (total_bytes / 1e9)
            brokers[t.name] = {"bootstrap": t.bootstrap, "startup_s": t.startup_s, "peak_rss_bytes": t.peak_rss_bytes,
                               "cpu_s": t.cpu_s, "bytes_moved": t.bytes_moved, "cpu_s_per_gb": per_gb}
        results = [{"workload": w, "case": c, "metric": m, "broker": b, "samples": s, "median": report.median(s)}
                   for (w, c, m, b), s in self.results.items()]
        return {
            "profile": self.profile.name,
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": time.monotonic() - self.t0,
            "reps": self.reps,
            "workloads": self.workloads,
            "partitions": PARTITIONS,
            "record_size": load.RECORD_SIZE,
            "profile_settings": self.profile.__dict__,
            "pinning": self.pinning.describe() if self.pinning else None,
            "broker_names": [t.name for t in self.targets],
            "brokers": brokers,
            "baseline_mb_s": report.median(self.baseline_samples),
            "machine": machine,
            "settings": {"librdkafka producer": load.PRODUCER_SETTINGS, "librdkafka consumer": load.CONSUMER_SETTINGS,
                         "ProducerPerformance": javaperf.PRODUCER_PROPS,
                         "Kafka broker JVM": [*kd.BROKER_HEAP_OPTS, *kd.KAFKA_JVM_PERFORMANCE_OPTS]},
            "results": results,
            "raw": self.raw,
            "errors": self.errors,
        }


def set_broker_config(bootstrap: str, key: str, value: Optional[str]) -> None:
    """Set (or, with None, delete) a dynamic config of the broker behind bootstrap."""
    from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

    admin = AdminClient({"bootstrap.servers": bootstrap})
    broker_id = next(iter(admin.list_topics(timeout=10).brokers))
    op = AlterConfigOpType.SET if value is not None else AlterConfigOpType.DELETE
    resource = ConfigResource(ConfigResource.Type.BROKER, str(broker_id),
                              incremental_configs=[ConfigEntry(key, value, incremental_operation=op)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(30)


class CleanerWatch(threading.Thread):
    """Polls cleaner-offset-checkpoint for one single-partition topic and notes how long after
    start() its cleaned offset reached `cleanable_end`."""

    def __init__(self, log_dir: Optional[str], topic: str, cleanable_end: int) -> None:
        super().__init__(daemon=True)
        self.path = os.path.join(log_dir, "cleaner-offset-checkpoint") if log_dir else None
        self.topic, self.cleanable_end = topic, cleanable_end
        self.started_at = 0.0
        self.cleaned_s: Optional[float] = None
        self.done = threading.Event()

    def start(self) -> None:
        self.started_at = time.monotonic()
        super().start()

    def cleaned_offset(self) -> int:
        try:
            with open(self.path or "", encoding="utf-8") as f:
                for line in f.read().splitlines()[2:]:
                    topic, partition, offset = line.split()
                    if topic == self.topic and partition == "0":
                        return int(offset)
        except (OSError, ValueError):
            pass
        return -1

    def run(self) -> None:
        while self.path and not self.done.is_set():
            if self.cleaned_offset() >= self.cleanable_end:
                self.cleaned_s = time.monotonic() - self.started_at
                return
            self.done.wait(0.05)

    def wait(self, timeout: float) -> Optional[float]:
        """Seconds the cleaning took, or None (not measurable, or not done within timeout)."""
        if self.path:
            self.join(timeout)
        return self.cleaned_s

    def stop(self) -> None:
        self.done.set()


def settings_text(settings: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in settings.items())


def split_hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def byte_compile_fastlog() -> None:
    """Write fastlog's bytecode (.pyc) before it is started, as `pip install` does when it
    installs the package: a source tree (editable install) on a machine that sets
    PYTHONDONTWRITEBYTECODE=1, as this one does, never keeps it, so every start compiled every
    module again, 0.2-0.5 s of the measured startup (Kafka's classes come compiled in its jars).
    Up-to-date files are skipped; a read-only install is left as it is."""
    import compileall

    import fastlog

    package = os.path.dirname(fastlog.__file__)
    if os.access(package, os.W_OK):
        compileall.compile_dir(package, quiet=1)


def merge_throughput(outs: list[dict]) -> dict:
    """Several producer processes into one result: total bytes over the slowest one's time."""
    errors = [o["error"] for o in outs if "error" in o]
    if errors:
        return {"error": "; ".join(errors)[:2000], "bytes": 0}
    total = sum(o["bytes"] for o in outs)
    seconds = max(o["seconds"] for o in outs)
    return {"records": sum(o["records"] for o in outs), "bytes": total, "seconds": seconds,
            "client_cpu_s": sum(o.get("client_cpu_s", 0.0) for o in outs),
            "mb_s": total / seconds / 1e6, "failed": sum(o.get("failed", 0) for o in outs),
            "errors": [e for o in outs for e in o.get("errors", [])][:5]}


def pair_with_bytes(outs: list[dict]) -> dict:
    """The (consumer, producer) results of a latency run, counted as the producer's bytes."""
    consumer, producer = outs
    return {"consumer": consumer, "producer": producer, "bytes": producer.get("bytes", 0)}


def with_bytes(result: dict, nbytes: int) -> dict:
    return {**result, "bytes": 0 if "error" in result else nbytes}


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return ""


def machine_info() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        memory_gb = None
    try:
        commit = subprocess.run(["git", "-C", str(kd.REPO_ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    try:
        import confluent_kafka
        ck, rdk = str(confluent_kafka.__version__), str(confluent_kafka.libversion()[0])
    except ImportError:
        ck = rdk = "missing"
    try:
        kafka_version = kd.kafka_version()
    except Exception:
        kafka_version = "unknown"
    try:   # which build of fastlog ran: compiled extensions or pure-Python stand-ins
        import fastlog._native as native
        from fastlog.protocol import codec
        build = f"storage {os.path.basename(native.__file__ or '?')}, codec {codec.IMPLEMENTATION}"
    except Exception as exc:
        build = f"unknown ({exc.__class__.__name__})"
    return {"cpu_model": cpu, "fastlog_build": build, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "kernel": platform.release(), "python": platform.python_version(), "kafka_version": kafka_version,
            "git_commit": commit, "confluent_kafka": ck, "librdkafka": rdk}


def write_readme_summary(json_file: str) -> int:
    """Rewrite the checkout's README benchmark section from a saved run (`--readme`)."""
    readme = kd.REPO_ROOT / "README.md"
    if not readme.is_file():
        raise SystemExit(f"--readme needs a source checkout: {readme} not found")
    with open(json_file, encoding="utf-8") as f:
        saved = json.load(f)
    relative = os.path.relpath(os.path.abspath(json_file), kd.REPO_ROOT)
    has_png = os.path.exists(os.path.splitext(json_file)[0] + ".png")
    readme.write_text(report.rewrite_readme(readme.read_text(encoding="utf-8"), saved, relative, has_png),
                      encoding="utf-8")
    print(f"{readme}: benchmark section from {relative}")
    return 0


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fastlog.bench", description=__doc__)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes: finishes in under five minutes")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition: checks that it works")
    p.add_argument("--against", metavar="HOST:PORT", help="run the workloads against this running broker only")
    p.add_argument("--name", default="target", help="label of the --against broker in the results")
    p.add_argument("--pid", type=int, help="pid of the --against broker, for its CPU and memory")
    p.add_argument("--brokers", default="fastlog,kafka", help="brokers to start (default fastlog,kafka)")
    p.add_argument("--workloads", default=",".join(ALL_WORKLOADS), help=f"subset of {','.join(ALL_WORKLOADS)}")
    p.add_argument("--reps", type=int, help="repetitions of each measurement (default 3)")
    p.add_argument("--producers", type=int, default=1, help="producer processes in the produce workload")
    p.add_argument("--pin", metavar="BROKER_CPUS:LOAD_CPUS",
                   help="per-core mode: brokers on these CPUs, clients on those (e.g. 0:1)")
    # in a source checkout the results go next to the committed ones; otherwise into the current folder
    in_repo = (kd.REPO_ROOT / "bench-results").is_dir()
    default_out = kd.REPO_ROOT / "bench-results" if in_repo else os.path.join(os.getcwd(), "bench-results")
    p.add_argument("--out-dir", default=str(default_out), help=f"where results are written (default {default_out})")
    p.add_argument("--label", help="file name stem of the results (default: UTC time and profile)")
    p.add_argument("--render", metavar="JSON", help="only rewrite the markdown and PNG of a results JSON file")
    p.add_argument("--readme", metavar="JSON",
                   help="only rewrite the README's benchmark section from a results JSON file (the newest full run)")
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.render:
        with open(args.render, encoding="utf-8") as f:
            saved = json.load(f)
        label = os.path.splitext(os.path.basename(args.render))[0]
        print(", ".join(report.write(saved, os.path.dirname(os.path.abspath(args.render)), label).values()))
        return 0
    if args.readme:
        return write_readme_summary(args.readme)
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.against:
        args.workloads = ",".join(w for w in args.workloads.split(",") if w != "startup")
    bench = Bench(args, profile)
    result = bench.run()
    print()
    print(report.render_plain(report.text_table(result)))
    print()
    print(report.render_plain(report.resources_table(result)))
    if result["baseline_mb_s"]:
        print(f"machine limit (loopback TCP into a file, no protocol): {result['baseline_mb_s']:.0f} MB/s")
    label = args.label or f"{bench.started:%Y%m%dT%H%M%SZ}-{profile.name}"
    paths = report.write(result, args.out_dir, label)
    print()
    print(f"bench took {result['duration_s']:.0f} s; results: " + ", ".join(paths.values()), flush=True)
    if result["errors"]:
        print(f"{len(result['errors'])} error(s) during the run (listed in the results)", file=sys.stderr)
        return 1
    return 0
