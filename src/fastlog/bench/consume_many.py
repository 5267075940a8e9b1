"""Consume 1,000 partitions with Kafka's Java consumer, fastlog beside Apache Kafka: what fetch
sessions (KIP-227) are worth to a real Java application.

`python -m fastlog.bench.consume_many --label NAME` starts a fastlog broker from the tree it runs in
and an Apache Kafka broker (kafka_dist: Maven Central; `--brokers fastlog` without it), then
measures two phases on each, the brokers taking turns within every repetition (the first one
alternating), with Kafka's ConsumerPerformance (a consumer group; the Java consumer uses fetch
sessions whenever the broker grants them):
- backlog: 1,000 partitions x `--per-partition` 1 KiB records written first, then read from the
  start: MB/s, and the broker's CPU seconds (per GB read);
- tail: the consumer waits at the end of an empty 1,000-partition topic while a producer trickles
  `--tail-rate` records/s over random partitions for `--tail-seconds`: the broker's CPU seconds
  per second, and from the consumer's own metrics its fetch requests and bytes received per fetch
  (and so, roughly, the broker's CPU per fetch: the CPU is counted over the trickle, the fetches
  over the consumer's whole run, which is mostly the trickle).
Without sessions every fetch names and answers all 1,000 partitions; with them an incremental
fetch names the few that moved and is answered with the few that have news.

The JSON (machine, load average, git commit, every number) and a Markdown table of the medians go
to bench-results/.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

from fastlog import kafka_dist as kd
from fastlog.bench import javaperf, procstats
from fastlog.bench.report import median
from fastlog.testing import BrokerProcess, ChildBroker

PARTITIONS = 1000
METRIC = re.compile(r"^(consumer-metrics|consumer-fetch-manager-metrics):([a-z-]+):\{client-id=[^}]*\}\s*:\s*([\d.]+)",
                    re.MULTILINE)


def create_topic(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values():
        future.result(60)


def produce(bootstrap: str, topic: str, per_partition: int) -> None:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1,
                                         "batch.num.messages": 10000, "queue.buffering.max.messages": 1000000})
    value = os.urandom(512).hex().encode()  # 1 KiB
    for n in range(per_partition * PARTITIONS):
        while True:
            try:
                producer.produce(topic, value, partition=n % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.05)
    assert producer.flush(120) == 0


def trickle(bootstrap: str, topic: str, rate: int, seconds: float) -> int:
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": 1})
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        producer.produce(topic, b"x" * 1024, partition=random.randrange(PARTITIONS))
        sent += 1
        producer.poll(0)
        time.sleep(max(0.0, start + sent / rate - time.monotonic()))
    assert producer.flush(60) == 0
    return sent


def consumer_performance(bootstrap: str, topic: str, records: int, out: dict) -> None:
    """ConsumerPerformance with --print-metrics; its summary and the consumer's metrics into `out`."""
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(records),
            "--group", f"consume-many-{uuid.uuid4().hex[:8]}", "--timeout", "60000", "--print-metrics"]
    proc = kd.run_class(kd.CONSUMER_PERFORMANCE, args, timeout=600, jvm_opts=javaperf.JVM_OPTS)
    out["summary"] = javaperf.parse_consumer(proc.stdout)
    metrics = {f"{group}:{name}": float(v) for group, name, v in METRIC.findall(proc.stdout)}
    out["fetch_total"] = metrics.get("consumer-fetch-manager-metrics:fetch-total")
    out["incoming_byte_total"] = metrics.get("consumer-metrics:incoming-byte-total")
    out["outgoing_byte_total"] = metrics.get("consumer-metrics:outgoing-byte-total")
    if proc.returncode != 0 or out["summary"] is None:
        out["error"] = f"exit {proc.returncode}: {proc.stdout[-600:]} {proc.stderr[-1200:]}"


def backlog(broker: ChildBroker, per_partition: int) -> dict[str, Any]:
    topic = f"backlog-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic)
    produce(broker.bootstrap, topic, per_partition)
    assert broker.pid is not None
    before = procstats.snapshot(broker.pid)
    out: dict[str, Any] = {"records": per_partition * PARTITIONS}
    consumer_performance(broker.bootstrap, topic, per_partition * PARTITIONS, out)
    out["broker_cpu_s"] = procstats.snapshot(broker.pid).cpu_s - before.cpu_s
    summary = out.get("summary")
    if summary and summary.get("mb"):
        out["broker_cpu_s_per_gb"] = out["broker_cpu_s"] / (summary["mb"] / 1000)
    return out


def tail(broker: ChildBroker, rate: int, seconds: float) -> dict[str, Any]:
    topic = f"tail-{uuid.uuid4().hex[:6]}"
    create_topic(broker.bootstrap, topic)
    expected = int(rate * seconds)
    out: dict[str, Any] = {"rate": rate, "seconds": seconds}
    reader = threading.Thread(target=consumer_performance, args=(broker.bootstrap, topic, expected, out))
    reader.start()
    time.sleep(10)  # JVM start and group join: the consumer is polling the empty partitions
    assert broker.pid is not None
    before = procstats.snapshot(broker.pid)
    t0 = time.monotonic()
    sent = trickle(broker.bootstrap, topic, rate, seconds)
    # the rest of the expected count, so the consumer stops
    producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})
    for _ in range(max(0, expected - sent)):
        producer.produce(topic, b"x" * 1024, partition=random.randrange(PARTITIONS))
    producer.flush(60)
    elapsed = time.monotonic() - t0
    cpu_s = procstats.snapshot(broker.pid).cpu_s - before.cpu_s
    out["broker_cpu_s_per_s"] = cpu_s / elapsed
    reader.join()
    if out.get("fetch_total"):
        out["bytes_in_per_fetch"] = out["incoming_byte_total"] / out["fetch_total"]
        out["bytes_out_per_fetch"] = out["outgoing_byte_total"] / out["fetch_total"]
        out["broker_cpu_ms_per_fetch"] = 1000 * cpu_s / out["fetch_total"]
    return out


def start_broker(name: str) -> ChildBroker:
    broker: ChildBroker
    if name == "fastlog":
        broker = BrokerProcess(startup_timeout=60)
    elif name == "kafka":
        broker = kd.KafkaBroker(startup_timeout=180)
    else:
        raise SystemExit(f"unknown broker {name!r}: fastlog or kafka")
    broker.start()
    return broker


# (phase, key, label) of the Markdown table, each the median over the repetitions
SUMMARY_ROWS = [
    ("backlog", "summary.mb_s", "backlog read, MB/s"),
    ("backlog", "broker_cpu_s_per_gb", "backlog read, broker CPU s per GB"),
    ("tail", "broker_cpu_s_per_s", "tailing, broker CPU s per s"),
    ("tail", "fetch_total", "tailing, consumer fetch requests"),
    ("tail", "broker_cpu_ms_per_fetch", "tailing, broker CPU ms per fetch (approx.)"),
    ("tail", "bytes_out_per_fetch", "tailing, bytes per fetch request"),
    ("tail", "bytes_in_per_fetch", "tailing, bytes per fetch answer"),
]


def _value(run: dict, key: str) -> float | None:
    value: Any = run
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def markdown(result: dict) -> str:
    names = list(result["brokers"])
    machine = result["machine"]
    lines = [f"# 1,000 partitions with Kafka's Java consumer: {result['label']}", "",
             f"{result['started']}, {machine['cpu']}, {machine['cores']} cores, Linux {machine['kernel']}, "
             f"Python {machine['python']}, fastlog {result['commit']}; load average "
             f"{' '.join(f'{x:.2f}' for x in machine['load_avg_start'])} at the start, "
             f"{' '.join(f'{x:.2f}' for x in machine['load_avg_end'])} at the end. Settings: "
             f"{json.dumps(result['settings'])}. Medians of {result['settings']['reps']} repetitions, the brokers "
             "taking turns; `python -m fastlog.bench.consume_many` (its docstring says what each phase does).", "",
             "| measure | " + " | ".join(names) + (" | fastlog/kafka |" if names == ["fastlog", "kafka"] else " |"),
             "|---|" + "---|" * (len(names) + (1 if names == ["fastlog", "kafka"] else 0))]
    for phase, key, label in SUMMARY_ROWS:
        medians = []
        for name in names:
            values = [v for v in (_value(run, key) for run in result["brokers"][name][phase]) if v is not None]
            medians.append(median(values))
        cells = ["" if m is None else f"{m:,.3g}" if m < 1000 else f"{m:,.0f}" for m in medians]
        if names == ["fastlog", "kafka"]:
            fast, kafka = medians
            cells.append(f"{fast / kafka:.2f}x" if fast is not None and kafka else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    errors = [f"{name} {phase}: {run['error']}" for name in names for phase in ("backlog", "tail")
              for run in result["brokers"][name][phase] if run.get("error")]
    if errors:
        lines += ["", "Errors:", *[f"- {e[:300]}" for e in errors]]
    return "\n".join(lines) + "\n"


def git_commit() -> str:
    root = Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="names the run, e.g. before / after")
    parser.add_argument("--brokers", default="fastlog,kafka", help="comma-separated: fastlog, kafka")
    parser.add_argument("--per-partition", type=int, default=100, help="backlog records per partition")
    parser.add_argument("--tail-rate", type=int, default=200)
    parser.add_argument("--tail-seconds", type=float, default=20)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--out-dir", default="bench-results")
    args = parser.parse_args()
    import fastlog

    names = [name.strip() for name in args.brokers.split(",") if name.strip()]
    result: dict[str, Any] = {
        "label": args.label, "fastlog": os.path.dirname(fastlog.__file__), "commit": git_commit(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": _cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
                    "python": platform.python_version(), "load_avg_start": os.getloadavg()},
        "settings": vars(args), "brokers": {name: {"backlog": [], "tail": []} for name in names}}
    brokers: dict[str, ChildBroker] = {}
    try:
        for name in names:
            brokers[name] = start_broker(name)
        for rep in range(args.reps):
            for name in (names if rep % 2 == 0 else names[::-1]):
                runs = result["brokers"][name]
                runs["backlog"].append(backlog(brokers[name], args.per_partition))
                runs["tail"].append(tail(brokers[name], args.tail_rate, args.tail_seconds))
                latest = {"broker": name, "backlog": runs["backlog"][-1], "tail": runs["tail"][-1]}
                print(json.dumps(latest), flush=True)
    finally:
        for broker in brokers.values():
            try:
                broker.stop()
            finally:
                broker.cleanup()
    result["machine"]["load_avg_end"] = os.getloadavg()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(args.out_dir) / f"{stamp}-consume-1000-partitions-{args.label}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    path.with_suffix(".md").write_text(markdown(result))
    print(path)
    print(markdown(result))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
