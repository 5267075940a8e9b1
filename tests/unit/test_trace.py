"""The broker's opt-in timing trace (server/trace.py), in-process: GC passes, the loop-lag
ticker's scheduler counters, the buffered file and a reader that survives a cut line."""
from __future__ import annotations

import asyncio
import gc
import json
import time

from fastlog.server import trace


def test_trace_records_gc_passes_and_writes_them_at_stop(tmp_path):
    path = tmp_path / "trace.jsonl"
    t = trace.Trace(str(path))

    async def run() -> None:
        t.start(asyncio.get_running_loop())
        gc.collect()
        t.request(0, 0.001, 0.002, 100)
        t.request(0, 0.001, 0.002, 100, fast=True, throttle_ms=250)
        await t.stop()

    asyncio.run(run())
    events = trace.read(str(path))
    gcs = [e for e in events if e["kind"] == "gc"]
    assert gcs and gcs[0]["generation"] == 2 and gcs[0]["ms"] >= 0
    req, fast = [e for e in events if e["kind"] == "request"]
    assert (req["api"], req["handler_ms"], req["total_ms"], req["bytes"]) == (0, 1.0, 2.0, 100)
    assert "fast" not in req and "throttle_ms" not in req   # only said when so
    assert (fast["fast"], fast["throttle_ms"]) == (True, 250)
    assert t._on_gc not in gc.callbacks   # stop() unhooks it
    gc.collect()
    assert len(trace.read(str(path))) == len(events)


def test_read_skips_a_line_cut_short(tmp_path):
    path = tmp_path / "trace.jsonl"
    path.write_text(json.dumps({"t": 1.0, "kind": "lag", "ms": 3.0}) + "\n" + '{"t": 2.0, "kind": "la')
    assert trace.read(str(path)) == [{"t": 1.0, "kind": "lag", "ms": 3.0}]


def test_schedstat_counts_this_threads_cpu_time():
    stat = trace.SchedStat()
    try:
        ran, waited = stat.read()
        # The kernel folds a running thread's time into schedstat at scheduler ticks (up to
        # 10 ms apart), so burn CPU for many ticks, not one short sum that can fall between two.
        started = time.thread_time()
        while time.thread_time() - started < 0.1:
            sum(range(10_000))
        ran_after, waited_after = stat.read()
        assert ran_after > ran and waited_after >= waited
    finally:
        stat.close()
    assert stat.read() == (0, 0)   # closed: zeros, as where schedstat is missing


def test_no_trace_without_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv(trace.ENV, raising=False)
    assert trace.from_environment() is None
    monkeypatch.setenv(trace.ENV, str(tmp_path / "t.jsonl"))
    got = trace.from_environment()
    assert got is not None and got.path == str(tmp_path / "t.jsonl")
