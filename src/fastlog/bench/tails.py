"""Where do single slow records come from? The latency workload with everything around it recorded.

`python -m fastlog.bench.tails --label NAME` starts a fastlog broker from the tree it runs in (or
from `--src DIR`, another checkout, for a before/after in one sitting) with its timing trace on
(FASTLOG_TRACE_FILE, server/trace.py), runs the bench's latency workload (1 KiB records at a fixed
rate, acks=1, the bench's producer settings, an end-to-end consumer beside it) for `--seconds` per
rate, and records at the same time:

- client: every record's send time and produce-to-ack latency (librdkafka's), and every 100 ms
  librdkafka's statistics for the broker: int_latency (time in the client's queue before the
  request was sent), outbuf_latency and rtt (request sent to response received), max and p99;
- broker (the trace): each request's handler ms and total ms, event-loop lag (a 2 ms ticker's
  oversleep), GC passes;
- machine, every 10 ms from /proc: CPU steal and iowait, processes runnable and blocked
  (/proc/stat), dirty and writeback pages (/proc/vmstat), CPU/IO/memory pressure stall time
  (/proc/pressure), the broker's CPU time, the number of segment files (a roll); every 0.5 s the
  busiest other processes.

A spike is a record whose produce-to-ack latency is at least `--spike-ms`; spikes whose send
times are close are one episode. Each episode gets the signals of its time window and a verdict
(`attribute`), and the summary compares each signal in spike windows with its value over the
whole run. JSON and markdown go to bench-results/ (or --out-dir).
"""
from __future__ import annotations

import argparse
import array
import json
import os
import re
import shutil
import struct
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from fastlog.bench import load, procstats

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
SAMPLE_S = 0.010
TOP_EVERY_S = 0.5
STATS_MS = 100
EPISODE_GAP_S = 0.050
PRODUCE_KEY = 0
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata"}


# -- the client side (runs in a spawned process) -----------------------------------------------
def produce_traced(bootstrap: str, topic: str, rate_bytes: float, duration: float, settings: dict[str, Any],
                   spike_ms: float, ready=None, record_size: int = load.RECORD_SIZE) -> dict:
    """load.produce_at_rate, but keeping each record's send time and latency, and librdkafka's
    per-broker statistics every STATS_MS."""
    from confluent_kafka import Producer

    errors: list[str] = []
    latencies = array.array("d")
    slow: list[tuple[float, float]] = []  # (send time s, latency ms)
    stats: list[dict] = []
    failed = [0]
    unpack = struct.Struct(">q").unpack_from

    def on_delivery(err, msg) -> None:
        if err is not None:
            failed[0] += 1
            return
        lat = msg.latency()
        if lat is None:
            return
        ms = lat * 1000
        latencies.append(ms)
        if ms >= spike_ms:
            slow.append((unpack(msg.value())[0] / 1e9, ms))

    def on_stats(text: str) -> None:
        for node in json.loads(text).get("brokers", {}).values():
            if node.get("nodeid", -1) < 0:
                continue  # the bootstrap entry
            stats.append({"t": time.time(), **{k: {"max": node[k]["max"] / 1000, "p99": node[k]["p99"] / 1000}
                                               for k in ("int_latency", "outbuf_latency", "rtt")}})

    producer = Producer({"bootstrap.servers": bootstrap, **load.PRODUCER_SETTINGS, **settings,
                         "on_delivery": on_delivery, "stats_cb": on_stats, "statistics.interval.ms": STATS_MS,
                         "error_cb": lambda err: errors.append(str(err))})
    if ready is not None and not ready.wait(60):
        return {"error": "the end-to-end consumer did not get ready"}
    count = int(rate_bytes * duration / record_size)
    started_at = time.time()
    send_seconds = load.send_stamped_at_rate(producer, topic, count, rate_bytes, record_size)
    unflushed = producer.flush(120)
    return {"records": count, "seconds": send_seconds, "mb_s": count * record_size / send_seconds / 1e6,
            "started_at": started_at, "failed": failed[0] + unflushed,
            "latency_ms": load.percentiles(list(latencies)), "slow": slow, "stats": stats, "errors": errors[:5]}


# -- the machine (a thread of this process) ----------------------------------------------------
def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _pressure_total_us(kind: str) -> int:
    """Microseconds during which some task stalled on `kind` (cpu, io, memory), since boot."""
    match = re.search(r"some .*total=(\d+)", _read(f"/proc/pressure/{kind}"))
    return int(match.group(1)) if match else 0


def machine_sample(broker_pid: int, data_dir: str) -> dict:
    stat = _read("/proc/stat")
    cpu = [int(x) for x in stat.split("\n", 1)[0].split()[1:]]
    fields = dict(line.split(" ", 1) for line in stat.splitlines() if line.startswith("procs_"))
    vm = dict(line.split() for line in _read("/proc/vmstat").splitlines()
              if line.startswith(("nr_dirty ", "nr_writeback ")))
    # The broker's loop thread (its main thread): asleep in the kernel elsewhere than its own
    # epoll wait (D: disk I/O, a journal, page writeback; S: e.g. a futex, a lock another
    # thread holds), its kernel stack says on what.
    loop_stat = _read(f"/proc/{broker_pid}/task/{broker_pid}/stat")
    loop_state = loop_stat.rsplit(")", 1)[1].split()[0] if ")" in loop_stat else "?"
    loop_stack = ""
    if loop_state in ("D", "S"):
        frames = [line.split("] ", 1)[-1].split("+", 1)[0] for line in
                  _read(f"/proc/{broker_pid}/task/{broker_pid}/stack").splitlines()]
        loop_stack = " < ".join(frames[:6])
        if loop_state == "S" and ("ep_poll" in loop_stack or "do_epoll_wait" in loop_stack):
            loop_stack = ""  # idle in the loop's own poll: nothing to say
        elif "futex" in loop_stack:
            # waiting for a lock (the GIL, a partition's mutex): who is doing what meanwhile
            loop_stack += " | meanwhile " + "; ".join(_thread_states(broker_pid))
    segments = 0
    for root, _dirs, files in os.walk(data_dir):
        segments += sum(name.endswith(".log") for name in files)
    return {"t": time.time(), "cpu_total": sum(cpu[:8]), "iowait": cpu[4], "steal": cpu[7] if len(cpu) > 7 else 0,
            "running": int(fields.get("procs_running", 0)), "blocked": int(fields.get("procs_blocked", 0)),
            "dirty_kb": int(vm.get("nr_dirty", 0)) * procstats.PAGE_SIZE // 1024,
            "writeback_kb": int(vm.get("nr_writeback", 0)) * procstats.PAGE_SIZE // 1024,
            "psi_cpu_us": _pressure_total_us("cpu"), "psi_io_us": _pressure_total_us("io"),
            "psi_mem_us": _pressure_total_us("memory"), "broker_cpu_s": procstats.snapshot(broker_pid).cpu_s,
            "segments": segments, "loop_state": loop_state, "loop_stack": loop_stack}


def _thread_states(pid: int) -> list[str]:
    """The broker's other threads that are not idle: name, state, innermost kernel frames."""
    out: list[str] = []
    try:
        tids = [t for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid]
    except OSError:
        return out
    for tid in tids:
        stat = _read(f"/proc/{pid}/task/{tid}/stat")
        if ")" not in stat:
            continue
        name, state = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1].split()[0]
        frames = [line.split("] ", 1)[-1].split("+", 1)[0] for line in
                  _read(f"/proc/{pid}/task/{tid}/stack").splitlines()][:3]
        if state != "S" or not any("futex" in f or "poll" in f or "nanosleep" in f for f in frames):
            out.append(f"{name} {state} {' < '.join(frames)}")
    return out


def process_cpu() -> dict[int, tuple[str, float]]:
    """Every process's (name, CPU seconds)."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            text = _read(f"/proc/{entry}/stat")
            if ")" in text:
                name = text[text.index("(") + 1:text.rindex(")")]
                fields = text.rsplit(")", 1)[1].split()
                out[int(entry)] = (name, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return out


class Sampler(threading.Thread):
    def __init__(self, broker_pid: int, data_dir: str, own_pids: set[int]) -> None:
        super().__init__(daemon=True)
        self.broker_pid, self.data_dir, self.own_pids = broker_pid, data_dir, own_pids
        self.samples: list[dict] = []
        self.top: list[dict] = []   # {"t", "procs": [[name, pid, cpu share], ...]} every TOP_EVERY_S
        self.stopping = threading.Event()

    def run(self) -> None:
        last_top, before = time.time(), process_cpu()
        while not self.stopping.wait(SAMPLE_S):
            self.samples.append(machine_sample(self.broker_pid, self.data_dir))
            now = time.time()
            if now - last_top >= TOP_EVERY_S:
                after = process_cpu()
                busy = sorted(((after[p][1] - before[p][1]) / (now - last_top), after[p][0], p)
                              for p in after if p in before)
                self.top.append({"t": now, "procs": [[name, pid, round(share, 3)]
                                                     for share, name, pid in reversed(busy[-6:]) if share > 0.02]})
                last_top, before = now, after


# -- lining things up ---------------------------------------------------------------------------
def episodes(slow: list[tuple[float, float]], gap_s: float = EPISODE_GAP_S) -> list[dict]:
    """Group spikes (send time s, latency ms) whose send times are within gap_s of the previous
    one; each episode's window runs from its first send to its last ack."""
    out: list[dict] = []
    for sent, ms in sorted(slow):
        if out and sent - out[-1]["last_sent"] <= gap_s:
            ep = out[-1]
            ep["last_sent"] = sent
            ep["records"] += 1
            ep["max_ms"] = max(ep["max_ms"], ms)
            ep["end"] = max(ep["end"], sent + ms / 1000)
        else:
            out.append({"start": sent, "last_sent": sent, "end": sent + ms / 1000, "records": 1, "max_ms": ms})
    return out


def _between(items: list[dict], start: float, end: float) -> list[dict]:
    return [x for x in items if start <= x["t"] <= end]


def _rate(samples: list[dict], key: str, start: float, end: float) -> Optional[float]:
    """Increase of a counter per second of wall time over the samples around [start, end]."""
    inside = [s for s in samples if start - SAMPLE_S * 2 <= s["t"] <= end + SAMPLE_S * 2]
    if len(inside) < 2 or inside[-1]["t"] <= inside[0]["t"]:
        return None
    return (inside[-1][key] - inside[0][key]) / (inside[-1]["t"] - inside[0]["t"])


def window_signals(start: float, end: float, trace: list[dict], samples: list[dict], stats: list[dict],
                   top: list[dict], broker_pid: int) -> dict:
    """Everything recorded while [start, end] (an episode, or the whole run) was going on."""
    # A lag or gc event is stamped when it ended; it overlaps the window if it ended after the
    # start and began before the end.
    lags = [e for e in trace if e["kind"] == "lag" and e["t"] >= start and e["t"] - e["ms"] / 1000 <= end]
    gcs = [e for e in trace if e["kind"] == "gc" and e["t"] >= start and e["t"] - e["ms"] / 1000 <= end]
    produce = [e for e in trace if e["kind"] == "request" and e["api"] == PRODUCE_KEY
               and e["t"] >= start and e["t"] - e["total_ms"] / 1000 <= end]
    inside = [s for s in samples if start - SAMPLE_S <= s["t"] <= end + SAMPLE_S]
    near_stats = [s for s in stats if start <= s["t"] <= end + STATS_MS / 1000]
    cpu_ticks = _rate(samples, "cpu_total", start, end) or 0
    steal = _rate(samples, "steal", start, end)
    iowait = _rate(samples, "iowait", start, end)
    segments = [s["segments"] for s in inside]
    others: dict[str, float] = {}
    for snap in top:
        if start - TOP_EVERY_S <= snap["t"] <= end + TOP_EVERY_S:
            for name, pid, share in snap["procs"]:
                if pid != broker_pid:
                    others[name] = max(others.get(name, 0), share)
    requests = sorted((e for e in trace if e["kind"] == "request" and e["t"] >= start
                       and e["t"] - e["total_ms"] / 1000 <= end), key=lambda e: -e["handler_ms"])
    return {
        "loop_lag_max_ms": max((e["ms"] for e in lags), default=0.0),
        # where the loop's lost time went, summed over the window's lag events (trace.py)
        **{f"loop_{part}_ms": round(sum(e.get(f"{part}_ms", 0.0) for e in lags), 1)
           for part in ("ran", "waited", "blocked")},
        "slowest_requests": [[e["api"], e["handler_ms"]] for e in requests[:3]],
        "gc_max_ms": max((e["ms"] for e in gcs), default=0.0),
        "gc_generations": sorted({e["generation"] for e in gcs}),
        "produce_handler_max_ms": max((e["handler_ms"] for e in produce), default=0.0),
        "produce_total_max_ms": max((e["total_ms"] for e in produce), default=0.0),
        "steal_pct": None if steal is None or not cpu_ticks else round(100 * steal / cpu_ticks, 1),
        "iowait_pct": None if iowait is None or not cpu_ticks else round(100 * iowait / cpu_ticks, 1),
        "running_max": max((s["running"] for s in inside), default=None),
        "blocked_max": max((s["blocked"] for s in inside), default=None),
        "writeback_max_kb": max((s["writeback_kb"] for s in inside), default=None),
        "dirty_max_kb": max((s["dirty_kb"] for s in inside), default=None),
        # stall time per second of wall time, in %: "some task waited for a CPU / for IO"
        **{f"psi_{kind}_pct": None if (r := _rate(samples, f"psi_{kind}_us", start, end)) is None
           else round(r / 1e4, 1) for kind in ("cpu", "io", "mem")},
        "broker_cpu_pct": None if (r := _rate(samples, "broker_cpu_s", start, end)) is None else round(100 * r, 1),
        # segment files appearing (a roll) or going (retention) between two samples
        "segment_roll": any(b > a for a, b in zip(segments, segments[1:])),
        "segment_deleted": any(b < a for a, b in zip(segments, segments[1:])),
        "client_queue_max_ms": max((s["int_latency"]["max"] for s in near_stats), default=None),
        "client_rtt_max_ms": max((s["rtt"]["max"] for s in near_stats), default=None),
        "busiest_others": sorted(others.items(), key=lambda kv: -kv[1])[:4],
        # 10 ms samples that found the loop thread asleep outside its poll, and the kernel stacks seen
        "loop_in_d_samples": sum(bool(s["loop_stack"]) for s in inside),
        "loop_d_stacks": sorted({s["loop_stack"] for s in inside if s["loop_stack"]})[:3],
    }


def attribute(sig: dict, max_ms: float) -> str:
    """A verdict from the window's signals; the rules, in order:
    - gc: a GC pass of at least a quarter of the spike;
    - the broker's loop fell behind by a quarter of the spike: by what the loop thread did
      meanwhile (trace.py): ran (fastlog's own work held the loop), waited (runnable, no CPU
      free: the machine), blocked (asleep in a call on the loop: fastlog's, though what it waits
      for, e.g. writeback, is the kernel's);
    - append: a produce handler took a quarter of the spike without the loop stalling: the
      append on its worker thread (storage, writeback, or that thread waiting for a CPU);
    - machine: CPU pressure, steal or more runnable tasks than cores while the broker answered;
    - client: the broker answered produce requests quickly throughout (total under a quarter of
      the spike): the time went in librdkafka's queue or the transport;
    - unexplained otherwise."""
    quarter = max_ms / 4
    busy_machine = ((sig["psi_cpu_pct"] or 0) >= 20 or (sig["steal_pct"] or 0) >= 5
                    or (sig["running_max"] or 0) > CORES + 1)
    if sig["gc_max_ms"] >= quarter:
        return "fastlog: gc"
    if sig["loop_lag_max_ms"] >= quarter:
        part = max(("ran", "waited", "blocked"), key=lambda p: sig[f"loop_{p}_ms"])
        return {"ran": "fastlog: loop busy (own work)", "waited": "machine: loop waited for a CPU",
                "blocked": "fastlog: loop blocked in a call"}[part]
    if sig["produce_handler_max_ms"] >= quarter:
        return "append slow" + (" (machine busy)" if busy_machine else "")
    if busy_machine:
        return "machine: CPU contention"
    if sig["produce_total_max_ms"] < quarter:
        return "client: queue/transport (broker answered fast)"
    return "unexplained"


def analyse(prod: dict, trace: list[dict], samples: list[dict], top: list[dict], broker_pid: int) -> dict:
    eps = episodes([tuple(x) for x in prod["slow"]])
    for ep in eps:
        ep["signals"] = window_signals(ep["start"], ep["end"], trace, samples, prod["stats"], top, broker_pid)
        ep["verdict"] = attribute(ep["signals"], ep["max_ms"])
    run_start = prod["started_at"]
    run_end = run_start + prod["seconds"]
    verdicts: dict[str, int] = {}
    for ep in eps:
        verdicts[ep["verdict"]] = verdicts.get(ep["verdict"], 0) + 1
    gcs = [e for e in trace if e["kind"] == "gc" and run_start <= e["t"] <= run_end]
    lags = [e["ms"] for e in trace if e["kind"] == "lag" and run_start <= e["t"] <= run_end]
    handler = [e["handler_ms"] for e in trace if e["kind"] == "request" and e["api"] == PRODUCE_KEY
               and run_start <= e["t"] <= run_end]
    return {"episodes": eps, "verdicts": verdicts,
            "whole_run": window_signals(run_start, run_end, trace, samples, prod["stats"], top, broker_pid),
            "loop_lag_ms": load.percentiles(lags, (50, 99)) if lags else {}, "loop_lag_events": len(lags),
            "gc_passes": len(gcs), "gc_ms": load.percentiles([e["ms"] for e in gcs], (50, 99)) if gcs else {},
            "produce_handler_ms": load.percentiles(handler, (50, 99, 99.9)) if handler else {}}


# -- one run -------------------------------------------------------------------------------------
def run_rate(broker, trace_path: str, rate_mb: float, seconds: float, spike_ms: float,
             topic_configs: dict[str, str]) -> dict:
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"tails-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 6, 1, config=topic_configs)])[topic].result(30)
    ready = load.new_event()
    expected = int(rate_mb * 1e6 * seconds / load.RECORD_SIZE)
    settings = {"acks": "1", "compression.type": "none"}
    sampler = Sampler(broker.proc.pid, broker.data_dir, {os.getpid()})
    sampler.start()
    try:
        cons, prod = load.run_workers([
            (load.e2e_consumer, {"bootstrap": broker.bootstrap, "topic": topic, "expected": expected, "settings": {},
                                 "ready": ready, "timeout": seconds + 60}),
            (produce_traced, {"bootstrap": broker.bootstrap, "topic": topic, "rate_bytes": rate_mb * 1e6,
                              "duration": seconds, "settings": settings, "spike_ms": spike_ms, "ready": ready})],
            seconds + 120)
    finally:
        sampler.stopping.set()
        sampler.join()
    admin.delete_topics([topic])[topic].result(30)
    time.sleep(1.2)  # the broker's trace is written once a second
    from fastlog.server import trace as broker_trace
    events = broker_trace.read(trace_path)
    if "error" in prod:
        return {"rate_mb_s": rate_mb, "error": prod["error"]}
    analysis = analyse(prod, events, sampler.samples, sampler.top, broker.proc.pid)
    return {"rate_mb_s": rate_mb, "started_at": prod["started_at"], "achieved_mb_s": prod["mb_s"],
            "records": prod["records"],
            "failed": prod["failed"], "produce_ms": prod["latency_ms"],
            "e2e_ms": cons.get("e2e_latency_ms", {}), "spikes": len(prod["slow"]), **analysis}


class TracedBroker:
    """A fastlog broker process with FASTLOG_TRACE_FILE set, from this tree or `src`."""

    def __init__(self, src: Optional[str], overrides: dict[str, object]) -> None:
        from fastlog.testing import BrokerProcess

        self.dir = tempfile.mkdtemp(prefix="fastlog-tails-")
        self.trace_path = os.path.join(self.dir, "trace.jsonl")
        self.process = BrokerProcess(data_dir=os.path.join(self.dir, "data"), overrides=overrides)
        self.src = src

    def __enter__(self) -> "TracedBroker":
        saved = {k: os.environ.get(k) for k in ("FASTLOG_TRACE_FILE", "PYTHONPATH")}
        os.environ["FASTLOG_TRACE_FILE"] = self.trace_path
        if self.src:
            os.environ["PYTHONPATH"] = self.src
        try:
            self.process.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.process.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def proc(self):
        return self.process.proc

    @property
    def data_dir(self) -> str:
        return self.process.data_dir

    @property
    def bootstrap(self) -> str:
        return f"{self.process.host}:{self.process.port}"


def markdown(result: dict) -> str:
    lines = [f"# Latency tails: {result['label']} ({result['when']})", "",
             f"fastlog from `{result['src']}`, load average {result['loadavg_start']} -> {result['loadavg_end']}, "
             f"{result['seconds']:g} s per rate, spike = produce-to-ack >= {result['spike_ms']:g} ms, "
             f"topic configs {result['topic_configs'] or 'default'}, "
             f"broker overrides {result['overrides'] or 'none'}.", "",
             "| rate | sent MB/s | produce p50 / p99 / p99.9 / max ms | e2e p99 ms | spikes | episodes | "
             "loop lag p99 / max ms | GC passes, p99 ms | produce handler p99 / p99.9 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        if "error" in r:
            lines.append(f"| {r['rate_mb_s']:g} MB/s | error: {r['error'][:80]} |")
            continue
        p, lag, h = r["produce_ms"], r["loop_lag_ms"], r["produce_handler_ms"]
        lines.append(f"| {r['rate_mb_s']:g} MB/s | {r['achieved_mb_s']:.1f} | {p.get('p50', 0):.1f} / "
                     f"{p.get('p99', 0):.1f} / {p.get('p99.9', 0):.1f} / {p.get('max', 0):.1f} | "
                     f"{r['e2e_ms'].get('p99', 0):.1f} | {r['spikes']} | {len(r['episodes'])} | "
                     f"{lag.get('p99', 0):.1f} / {lag.get('max', 0):.1f} ({r['loop_lag_events']} events) | "
                     f"{r['gc_passes']}, {r['gc_ms'].get('p99', 0):.1f} | "
                     f"{h.get('p99', 0):.1f} / {h.get('p99.9', 0):.1f} |")
    lines += ["", "## Episodes", "",
              "| rate | at (s) | records | max ms | verdict | loop lag (ran/waited/blocked) | GC | slowest requests | "
              "run queue | steal % | "
              "PSI cpu/io % | broker CPU % | writeback KB | roll / delete | client queue / rtt ms | others |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        for ep in r.get("episodes", []):
            s = ep["signals"]
            others = ", ".join(f"{n} {v:.0%}" for n, v in s["busiest_others"])
            lines.append(
                f"| {r['rate_mb_s']:g} | {ep['start'] - r['started_at']:.2f} | {ep['records']} | {ep['max_ms']:.0f} | "
                f"{ep['verdict']} | {s['loop_lag_max_ms']:.0f} ({s['loop_ran_ms']:.0f}/{s['loop_waited_ms']:.0f}/"
                f"{s['loop_blocked_ms']:.0f}) | {s['gc_max_ms']:.0f} | "
                f"{' '.join(f'{API_NAMES.get(a, a)}:{ms:.0f}' for a, ms in s['slowest_requests'])} | "
                f"{s['running_max']} | {s['steal_pct']} | "
                f"{s['psi_cpu_pct']}/{s['psi_io_pct']} | {s['broker_cpu_pct']} | {s['writeback_max_kb']} | "
                f"{'roll' if s['segment_roll'] else ''} {'delete' if s['segment_deleted'] else ''} | "
                f"{s['client_queue_max_ms']} / {s['client_rtt_max_ms']} | "
                f"{others} |")
    lines += ["", "## The loop thread asleep in the kernel outside its poll, during episodes", ""]
    for r in result["runs"]:
        for ep in r.get("episodes", []):
            sig = ep["signals"]
            if sig["loop_in_d_samples"]:
                lines.append(f"- {r['rate_mb_s']:g} MB/s at {ep['start'] - r['started_at']:.2f} s ({ep['verdict']}): "
                             f"{sig['loop_in_d_samples']} samples; "
                             + "; ".join(f"`{st}`" for st in sig["loop_d_stacks"]))
    lines += ["", "## Verdicts", ""]
    for r in result["runs"]:
        lines.append(f"- {r['rate_mb_s']:g} MB/s: " + (", ".join(f"{k}: {v}" for k, v in r.get("verdicts", {}).items())
                                                      or "no spikes"))
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastlog.bench.tails", description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--rates", default="20,100", help="MB/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="per rate")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--spike-ms", type=float, default=20.0)
    parser.add_argument("--topic-config", action="append", default=[], metavar="KEY=VALUE",
                        help="a config of the measured topic, e.g. segment.bytes=4000000 (repeatable)")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="a broker setting, e.g. log.retention.check.interval.ms=1000 (repeatable)")
    parser.add_argument("--src", help="run the broker from this source dir (another checkout's src/)")
    parser.add_argument("--out-dir", default="bench-results")
    args = parser.parse_args(argv)
    when = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    src = args.src or str(Path(__file__).resolve().parents[2])
    result: dict[str, Any] = {"label": args.label, "when": when, "src": src, "seconds": args.seconds,
                              "spike_ms": args.spike_ms, "cores": CORES, "loadavg_start": _read("/proc/loadavg")[:14],
                              "runs": []}
    topic_configs = dict(kv.split("=", 1) for kv in args.topic_config)
    overrides = dict(kv.split("=", 1) for kv in args.override)
    result["topic_configs"], result["overrides"] = topic_configs, overrides
    with TracedBroker(args.src, overrides) as broker:
        for rep in range(args.reps):
            for rate in (float(x) for x in args.rates.split(",")):
                run = run_rate(broker, broker.trace_path, rate, args.seconds, args.spike_ms, topic_configs)
                run["rep"] = rep + 1
                result["runs"].append(run)
                p = run.get("produce_ms", {})
                print(f"{args.label} {rate:g} MB/s rep {rep + 1}: produce p99 {p.get('p99', 0):.1f} max "
                      f"{p.get('max', 0):.1f} ms, {run.get('spikes', 0)} spikes in {len(run.get('episodes', []))} "
                      f"episodes: {run.get('verdicts', run.get('error'))}", flush=True)
    result["loadavg_end"] = _read("/proc/loadavg")[:14]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{when}-tails-{args.label}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    stem.with_suffix(".md").write_text(markdown(result))
    print(f"wrote {stem}.json and .md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
