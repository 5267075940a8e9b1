"""The bench's parsers and statistics, on the exact output formats of Kafka's perf tools and on
this process's own /proc entries."""
import os
import time

import pytest

from fastlog.bench.javaperf import MIB, parse_consumer, parse_producer
from fastlog.bench.load import percentiles
from fastlog.bench.procstats import snapshot

PRODUCER_OUTPUT = """\
249851 records sent, 49960.2 records/sec (48.79 MB/sec), 5.4 ms avg latency, 301.0 ms max latency.
1000000 records sent, 176803.394625 records/sec (172.66 MB/sec), 3.61 ms avg latency, 457.00 ms max latency, 4 ms 50th, 9 ms 95th, 167 ms 99th, 301 ms 99.9th.
"""

CONSUMER_OUTPUT = """\
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-22 00:40:01:123, 2026-11-22 00:40:03:456, 976.5625, 418.5866, 1000000, 428632.6618, 312, 2021, 483.1828, 494804.5522
"""


def test_producer_performance_summary_line():
    parsed = parse_producer(PRODUCER_OUTPUT)
    assert parsed["records"] == 1000000
    assert parsed["mb_s"] == pytest.approx(172.66 * MIB / 1e6)
    assert (parsed["p50_ms"], parsed["p99_ms"], parsed["p999_ms"]) == (4, 167, 301)
    assert parse_producer("249851 records sent, 49960.2 records/sec (48.79 MB/sec), 5.4 ms avg latency.") is None


def test_consumer_performance_csv_row():
    parsed = parse_consumer(CONSUMER_OUTPUT)
    assert parsed["records"] == 1000000
    assert parsed["mb"] == pytest.approx(976.5625 * MIB / 1e6)
    assert parsed["mb_s"] == pytest.approx(418.5866 * MIB / 1e6)
    assert parse_consumer("no header here\n1,2,3\n") is None
    assert parse_consumer("start.time, end.time\n") is None


def test_percentiles_nearest_rank():
    values = [float(v) for v in range(1, 1001)]  # 1..1000
    p = percentiles(values)
    assert (p["p50"], p["p99"], p["p99.9"], p["max"]) == (500.0, 990.0, 999.0, 1000.0)
    assert percentiles([7.0]) == {"p50": 7.0, "p99": 7.0, "p99.9": 7.0, "max": 7.0}
    assert percentiles([]) == {}


def test_process_snapshot_reads_this_process():
    before = snapshot(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # burn a little CPU
        pass
    after = snapshot(os.getpid())
    assert after.cpu_s >= before.cpu_s + 0.1
    assert 0 < after.rss_bytes <= after.peak_rss_bytes


def test_pin_parsing():
    from fastlog.bench.pinning import parse
    allowed = sorted(os.sched_getaffinity(0))
    first, last = allowed[0], allowed[-1]
    if first != last:
        p = parse(f"{first}:{last}")
        assert (p.broker, p.load) == ({first}, {last})
        assert p.describe() == f"brokers on CPU {first}, load on CPU {last}"
    with pytest.raises(ValueError, match="overlap"):
        parse(f"{first}:{first}")
    with pytest.raises(ValueError, match="may only use"):
        parse(f"{first}:{max(allowed) + 64}")
    with pytest.raises(ValueError, match="BROKER_CPUS:LOAD_CPUS"):
        parse("0-1")


def test_consume_many_table_takes_medians_and_the_ratio():
    from fastlog.bench.consume_many import markdown

    def runs(cpu_per_s: list[float], mb_s: float) -> dict:
        return {"backlog": [{"summary": {"mb_s": mb_s}, "broker_cpu_s_per_gb": 1.0}],
                "tail": [{"broker_cpu_s_per_s": c, "fetch_total": 100.0} for c in cpu_per_s]}

    result = {"label": "t", "started": "2026-12-01T00:00:00+00:00", "commit": "abc",
              "machine": {"cpu": "x", "cores": 2, "kernel": "k", "python": "3.11", "load_avg_start": [0.1, 0.2, 0.3],
                          "load_avg_end": [0.4, 0.5, 0.6]},
              "settings": {"reps": 3},
              "brokers": {"fastlog": runs([0.2, 0.1, 0.9], 50.0), "kafka": runs([1.0, 1.2, 1.1], 25.0)}}
    table = markdown(result)
    assert "| measure | fastlog | kafka | fastlog/kafka |" in table
    assert "| tailing, broker CPU s per s | 0.2 | 1.1 | 0.18x |" in table  # medians, not means
    assert "| backlog read, MB/s | 50 | 25 | 2.00x |" in table
    assert "| tailing, bytes per fetch answer |  |  |  |" in table  # not measured: left empty
