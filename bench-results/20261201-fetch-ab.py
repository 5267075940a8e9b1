"""Broker CPU per Fetch for many small fetches (bench-results/20261201-fetch-fast-path-ab.md).

Starts a fastlog broker from the tree on PYTHONPATH, a topic of --partitions (6), then for --seconds:
--producers small-request producers (fastlog.bench.load.produce_small: linger.ms=0, 1 KiB,
acks=1) in one process and --consumers librdkafka consumers in another, each assigned every
partition from its end (tailing), fetch.wait.max.ms --wait-ms. Prints one JSON line: the
broker's CPU seconds (utime+stime), the Fetch and Produce requests the clients sent (their own
counters), records consumed, and the load average. Also used for num.network.threads
(bench-results/20261201-network-loops-ab.md): --override KEY=VALUE for the broker, the producers
spread over --producer-processes processes, and the broker's CPU per thread kind (main loop,
network loops, the rest) over the window.
"""
import argparse
import json
import multiprocessing
import os
import re
import time
import uuid

from fastlog.bench import procstats
from fastlog.bench.load import produce_small
from fastlog.testing import BrokerProcess

FETCH_REQUESTS = re.compile(r'"Fetch":\s*(\d+)')


def consume(bootstrap, topic, consumers, seconds, wait_ms, start_at, out, partitions=6):
    from confluent_kafka import OFFSET_END, Consumer, TopicPartition
    counts = {}

    def stats_of(i):
        def on_stats(text):
            counts[i] = sum(int(n) for n in FETCH_REQUESTS.findall(text))
        return on_stats
    cs = [Consumer({"bootstrap.servers": bootstrap, "group.id": f"b-{uuid.uuid4().hex[:6]}",
                    "enable.auto.commit": False, "fetch.wait.max.ms": wait_ms, "fetch.min.bytes": 1,
                    "fetch.queue.backoff.ms": 10,
                    "statistics.interval.ms": 200, "stats_cb": stats_of(i)}) for i in range(consumers)]
    for c in cs:
        c.assign([TopicPartition(topic, p, OFFSET_END) for p in range(partitions)])
        c.poll(0.5)
    while time.time() < start_at:
        for c in cs:
            c.poll(0.01)
    time.sleep(0.3)
    for c in cs:
        c.poll(0)
    before = sum(counts.values())
    records = 0
    end = time.time() + seconds
    while time.time() < end:
        for c in cs:
            records += len(c.consume(1000, 0.002))
    time.sleep(0.3)
    for c in cs:
        c.poll(0)
    out.put({"fetches": sum(counts.values()) - before, "records_consumed": records})
    for c in cs:
        c.close()


def thread_cpu(pid):
    """CPU seconds of the broker's threads: the main thread, the network loops, the rest."""
    tick = os.sysconf("SC_CLK_TCK")
    split = {"main": 0.0, "network": 0.0, "other": 0.0}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        kind = "main" if tid == str(pid) else "network" if name.startswith("fastlog-net-") else "other"
        split[kind] += seconds
    return split


def produce(bootstrap, topic, producers, seconds, start_at, out):
    time.sleep(max(0, start_at - time.time()))
    out.put(produce_small(bootstrap, topic, producers, seconds))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--producers", type=int, default=16)
    ap.add_argument("--consumers", type=int, default=4)
    ap.add_argument("--wait-ms", type=int, default=500)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--label", default="")
    ap.add_argument("--pid-file", default="")
    ap.add_argument("--override", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--producer-processes", type=int, default=1)
    a = ap.parse_args()
    from confluent_kafka.admin import AdminClient, NewTopic
    broker = BrokerProcess(overrides=dict(o.split("=", 1) for o in a.override)).start()
    try:
        if a.pid_file:
            open(a.pid_file, "w").write(str(broker.proc.pid))
        bootstrap = broker.bootstrap
        topic = "t"
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for f in admin.create_topics([NewTopic(topic, a.partitions, 1)]).values():
            f.result(30)
        q1, q2 = multiprocessing.Queue(), multiprocessing.Queue()
        start_at = time.time() + 6
        cp = multiprocessing.Process(target=consume, args=(bootstrap, topic, a.consumers, a.seconds + 1, a.wait_ms,
                                                           start_at, q1, a.partitions))
        share = a.producers // a.producer_processes
        pps = [multiprocessing.Process(target=produce, args=(bootstrap, topic, share, a.seconds, start_at, q2))
               for _ in range(a.producer_processes)]
        cp.start()
        for pp in pps:
            pp.start()
        time.sleep(max(0, start_at - time.time()) + 2)  # after the producers' warm-up
        cpu0, t0, threads0 = procstats._cpu_seconds(broker.proc.pid), time.time(), thread_cpu(broker.proc.pid)
        runs = [q2.get(timeout=a.seconds + 120)]
        cpu1, t1, threads1 = procstats._cpu_seconds(broker.proc.pid), time.time(), thread_cpu(broker.proc.pid)
        runs += [q2.get(timeout=120) for _ in pps[1:]]
        prod = {"requests_s": sum(r["requests_s"] for r in runs), "records_s": sum(r["records_s"] for r in runs),
                "latency_ms": {"p99": max(r["latency_ms"].get("p99") or 0 for r in runs)}}
        cons = q1.get(timeout=120)
        cp.join(30)
        for pp in pps:
            pp.join(30)
    finally:
        broker.stop()
    # The CPU window is the producers' timed run (after warm-up), scaled to it.
    window = t1 - t0
    fetches_s = cons["fetches"] / (a.seconds + 1)
    cpu_s = (cpu1 - cpu0) / window
    print(json.dumps({
        "label": a.label, "load": os.getloadavg(), "broker_cpu_per_s": round(cpu_s, 3),
        "fetches_s": round(fetches_s), "produce_requests_s": round(prod["requests_s"]),
        "records_s": round(prod["records_s"]), "consumed_records_s": round(cons["records_consumed"] / (a.seconds + 1)),
        "us_per_request": round(cpu_s / (fetches_s + prod["requests_s"]) * 1e6, 1),
        "p99_ms": prod["latency_ms"].get("p99"),
        "broker_threads_cpu_per_s": {k: round((threads1[k] - threads0[k]) / window, 3) for k in threads1},
        "overrides": a.override}))


if __name__ == "__main__":
    main()
