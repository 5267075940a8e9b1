"""`python -m fastlog.bench` works end to end against fastlog (how fast is not checked here).

--smoke runs every workload once with tiny sizes: librdkafka load processes, the baseline
compiled with gcc, Kafka's ProducerPerformance/ConsumerPerformance, and the JSON, markdown and PNG
outputs. It runs against the `broker` fixture through --against, the load-testing use.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from fastlog import kafka_dist as kd


def test_bench_smoke_against_fastlog(broker, tmp_path):
    kd.classpath()   # resolve the Kafka jars first, so the run's time is the bench's own
    out_dir = tmp_path / "results"
    paths = (str(kd.REPO_ROOT / "src"), os.environ.get("PYTHONPATH"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    cmd = [sys.executable, "-m", "fastlog.bench", "--smoke", "--against", broker.bootstrap, "--name", "fastlog",
           "--pid", str(broker.proc.pid), "--out-dir", str(out_dir), "--label", "smoke"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"bench still running after 240 s; its output:\n{exc.stdout}\n{exc.stderr}\n"
                             f"broker log:\n{broker.log_tail()}") from None
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}\n" \
                                 f"broker log:\n{broker.log_tail()}"
    assert "produce  acks=1 none" in proc.stdout          # progress lines with the settings
    assert "linger.ms=5" in proc.stdout
    assert "results:" in proc.stdout

    result = json.loads((out_dir / "smoke.json").read_text())
    assert result["errors"] == []
    assert result["broker_names"] == ["fastlog"]
    assert result["machine"]["cores"] == os.cpu_count()
    assert result["machine"]["kafka_version"] == kd.kafka_version()
    medians = {(r["workload"], r["case"], r["metric"]): r["median"] for r in result["results"]
               if r["broker"] == "fastlog"}
    for key in [("produce", "acks=1 none", "MB/s"), ("produce", "acks=all lz4", "MB/s"),
                ("consume", "from start", "MB/s"), ("latency", "2 MB/s", "end-to-end p99 ms"),
                ("small", "8 clients", "requests/s"), ("small", "10 clients 100 partitions", "records/s"),
                ("txn", "produce in 100 ms transactions", "MB/s"), ("txn", "consume read_committed", "MB/s"),
                ("cleaning", "produce while compacting", "MB/s"),
                ("java-produce", "ProducerPerformance", "MB/s"), ("java-consume", "ConsumerPerformance", "MB/s"),
                ("java-produce", "ProducerPerformance, 100 ms transactions", "MB/s")]:
        assert medians.get(key) and medians[key] > 0, (key, medians)
    # the broker's CPU per GB of each produce case and of consume (issue 12's goals are per case);
    # a smoke run moves a few MB, so a run may cost less than one clock tick: >= 0, but present
    for case in ("acks=1 none", "acks=1 lz4", "acks=all none", "acks=all lz4"):
        assert medians.get(("produce", case, "broker CPU s/GB"), -1) >= 0, (case, medians)
    assert medians.get(("consume", "from start", "broker CPU s/GB"), -1) >= 0, medians
    assert result["baseline_mb_s"] > 0
    # every record the bench sent was read back by the consume workload
    consume = [r for r in result["raw"] if r["workload"] == "consume"][0]
    assert consume["records"] == consume["expected"] > 0
    assert result["brokers"]["fastlog"]["peak_rss_bytes"] > 0

    markdown = (out_dir / "smoke.md").read_text()
    assert "| produce | acks=1 none | MB/s |" in markdown
    png = (out_dir / "smoke.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_bench_per_core_mode_pins_broker_and_load(broker, tmp_path):
    """--pin 0:1: every thread of the broker ends up on CPU 0 (the rates are per broker core), the
    load on CPU 1, and the report says so."""
    out_dir = tmp_path / "results"
    paths = (str(kd.REPO_ROOT / "src"), os.environ.get("PYTHONPATH"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    pid = broker.proc.pid
    cmd = [sys.executable, "-m", "fastlog.bench", "--smoke", "--against", broker.bootstrap, "--name", "fastlog",
           "--pid", str(pid), "--pin", "0:1", "--workloads", "baseline,produce", "--out-dir", str(out_dir),
           "--label", "pinned"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    threads = os.listdir(f"/proc/{pid}/task")
    assert threads and all(os.sched_getaffinity(int(tid)) == {0} for tid in threads)
    result = json.loads((out_dir / "pinned.json").read_text())
    assert result["pinning"] == "brokers on CPU 0, load on CPU 1" and result["baseline_mb_s"] > 0
    assert "Per-core mode (`--pin`): brokers on CPU 0, load on CPU 1" in (out_dir / "pinned.md").read_text()


def test_tls_bench_smoke_fastlog(tmp_path):
    """`python -m fastlog.bench.tls` starts fastlog with a PLAINTEXT and an SSL listener (its own
    throwaway certificates), and moves every record both ways over each."""
    out = tmp_path / "tls.json"
    proc = subprocess.run([sys.executable, "-m", "fastlog.bench.tls", "--brokers", "fastlog", "--mb", "4",
                           "--reps", "1", "--timeout", "120", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    rows = json.loads(out.read_text())["results"]
    assert [(r["broker"], r["listener"]) for r in rows] == [("fastlog", "PLAINTEXT"), ("fastlog", "SSL")]
    for row in rows:
        assert row["produce"]["mb_s"] > 0 and row["consume"]["mb_s"] > 0, row
    assert "fastlog  SSL        consume  MB/s" in proc.stdout


def test_bench_consumer_fetches_again_soon_after_its_queue_fills(broker):
    """The consume workload's consumer, once its local queue is full, waits the bench's
    fetch.queue.backoff.ms (10 ms) before fetching again, not librdkafka's default second: with
    that second a broker that outran the reader by queued.max.messages.kbytes lost a whole second
    of a ~1 s read, and the consume workload measured the timer (docs/scaling.md, "Per broker
    core"). A small queue here makes it fill on the first fetch."""
    import logging
    import re
    import uuid

    from confluent_kafka.admin import AdminClient, NewTopic

    from fastlog.bench import load

    topic = f"bench-backoff-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    filled = load.produce_throughput(broker.bootstrap, topic, total_bytes=4_000_000, settings={"acks": "1"})
    assert filled["failed"] == 0, filled

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger(f"bench-consumer-{topic}")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(Keep())
    read = load.consume_all(broker.bootstrap, topic, {"queued.max.messages.kbytes": 256, "debug": "fetch",
                                                      "logger": logger}, timeout=60)
    assert read["failed"] == 0 and read["records"] == read["expected"] > 0, read
    backoffs = [int(ms) for ms in re.findall(r"Fetch backoff for (\d+)ms: Local: Queue full", "\n".join(lines))]
    assert backoffs, lines[-20:]   # the queue did fill
    assert set(backoffs) == {load.CONSUMER_SETTINGS["fetch.queue.backoff.ms"]} == {10}
