"""Kafka's own ProducerPerformance and ConsumerPerformance: a second opinion on throughput.

Both run with Kafka's perf-tool JVM settings (kafka-producer-perf-test.sh: -Xmx512M plus the
kafka-run-class performance options). Their MB are MiB; we convert to 10^6 bytes.
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Optional

from fastlog import kafka_dist as kd

MIB = 1024 * 1024
JVM_OPTS = [*kd.PERF_TOOL_HEAP_OPTS, *kd.KAFKA_JVM_PERFORMANCE_OPTS]

# Pinned because Java producer defaults changed between releases (linger.ms 0 -> 5 in 4.0).
PRODUCER_PROPS: dict[str, Any] = {
    "acks": "1",
    "linger.ms": 5,
    "batch.size": 262144,
    "compression.type": "none",
    "enable.idempotence": "false",
}

PRODUCER_LINE = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")


def parse_producer(stdout: str) -> Optional[dict]:
    """The final summary line of ProducerPerformance, or None."""
    matches = PRODUCER_LINE.findall(stdout)
    if not matches:
        return None
    n, rps, mib_s, avg, mx, p50, p95, p99, p999 = matches[-1]
    return {"records": int(n), "records_s": float(rps), "mb_s": float(mib_s) * MIB / 1e6,
            "avg_ms": float(avg), "max_ms": float(mx), "p50_ms": float(p50), "p95_ms": float(p95),
            "p99_ms": float(p99), "p999_ms": float(p999)}


def parse_consumer(stdout: str) -> Optional[dict]:
    """The CSV row ConsumerPerformance prints under its header line, or None."""
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("start.time") and i + 1 < len(lines):
            names = [c.strip() for c in line.split(",")]
            values = [c.strip() for c in lines[i + 1].split(",")]
            row = dict(zip(names, values))
            try:
                return {"mb": float(row["data.consumed.in.MB"]) * MIB / 1e6,
                        "mb_s": float(row["MB.sec"]) * MIB / 1e6,
                        "records": int(float(row["data.consumed.in.nMsg"])),
                        "records_s": float(row["nMsg.sec"]),
                        "fetch_mb_s": float(row.get("fetch.MB.sec", "nan")) * MIB / 1e6}
            except (KeyError, ValueError):
                return None
    return None


# Transactions need idempotence, and with it acks=all.
TRANSACTIONAL_PROPS: dict[str, Any] = {"acks": "all", "enable.idempotence": "true"}


def producer_performance(bootstrap: str, topic: str, records: int, record_size: int = 1024,
                         props: Optional[dict[str, Any]] = None, timeout: float = 600,
                         transaction_ms: Optional[int] = None) -> dict:
    """ProducerPerformance's summary; with `transaction_ms`, the records go in transactions
    committed that often (a transactional id of the tool's own, TRANSACTIONAL_PROPS)."""
    extra = TRANSACTIONAL_PROPS if transaction_ms is not None else {}
    props = {"bootstrap.servers": bootstrap, **PRODUCER_PROPS, **extra, **(props or {})}
    args = ["--topic", topic, "--num-records", str(records), "--record-size", str(record_size),
            "--throughput", "-1", "--producer-props", *[f"{k}={v}" for k, v in props.items()]]
    if transaction_ms is not None:
        args += ["--transaction-duration-ms", str(transaction_ms)]
    proc = kd.run_class(kd.PRODUCER_PERFORMANCE, args, timeout=timeout, jvm_opts=JVM_OPTS)
    parsed = parse_producer(proc.stdout)
    if proc.returncode != 0 or parsed is None:
        return {"error": f"ProducerPerformance exited {proc.returncode}: {proc.stdout[-800:]} {proc.stderr[-1500:]}"}
    return parsed


def consumer_performance(bootstrap: str, topic: str, records: int, timeout: float = 600) -> dict:
    args = ["--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(records),
            "--group", f"fastlog-bench-{uuid.uuid4().hex[:8]}", "--timeout", "30000"]
    proc = kd.run_class(kd.CONSUMER_PERFORMANCE, args, timeout=timeout, jvm_opts=JVM_OPTS)
    parsed = parse_consumer(proc.stdout)
    if proc.returncode != 0 or parsed is None:
        return {"error": f"ConsumerPerformance exited {proc.returncode}: {proc.stdout[-800:]} {proc.stderr[-1500:]}"}
    if parsed["records"] < records:
        parsed["error"] = f"read {parsed['records']} of {records} records"
    return parsed
