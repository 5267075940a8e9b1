"""Broker CPU of incremental Fetches from real session-using consumers over many partitions
(bench-results/20261201-session-fetch.md, the end-to-end part).

Starts a fastlog broker from the tree on PYTHONPATH with a topic of --partitions (1,000); one
confluent-kafka producer process writes --rate records/s (100 bytes, linger.ms=5) round-robin
over the first --busy partitions (10); --consumers kafka-python consumers (which open fetch
sessions, KIP-227), each in a process of its own, are assigned every partition from its end and
poll. After --warmup seconds, the broker's CPU (utime+stime) is taken over --seconds. Prints one
JSON line: broker CPU per second, the consumers' Fetch rate (kafka-python's `fetch-rate` metric,
summed over the consumers, windowed to the measurement), records consumed/s, and broker CPU per
Fetch (an estimate: the producer's share of the CPU is not subtracted; it is the same on both
trees)."""
import argparse
import json
import multiprocessing
import os
import time

from fastlog.bench import procstats
from fastlog.testing import BrokerProcess


def consume(bootstrap, topic, partitions, seconds, start_at, out):
    from kafka import KafkaConsumer, TopicPartition
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             metrics_sample_window_ms=int(seconds * 1000), metrics_num_samples=2)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_end()
    records = 0
    while time.time() < start_at:
        consumer.poll(timeout_ms=100)
    measure_from = time.time()
    while time.time() < measure_from + seconds:
        records += sum(len(r) for r in consumer.poll(timeout_ms=100).values())
    rate = consumer.metrics()["consumer-fetch-manager-metrics"]["fetch-rate"]
    out.put({"fetches_s": rate, "records_s": records / seconds})
    consumer.close()


def produce(bootstrap, topic, busy, rate, until):
    import confluent_kafka
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    start, i = time.time(), 0
    while time.time() < until:
        while i < (time.time() - start) * rate:
            producer.produce(topic, value=b"x" * 100, partition=i % busy)
            i += 1
        producer.poll(0.005)
    producer.flush(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partitions", type=int, default=1000)
    ap.add_argument("--busy", type=int, default=10)
    ap.add_argument("--rate", type=float, default=2000)
    ap.add_argument("--consumers", type=int, default=2)
    ap.add_argument("--warmup", type=float, default=6)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    from confluent_kafka.admin import AdminClient, NewTopic
    broker = BrokerProcess().start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("t", a.partitions, 1)]).values():
            f.result(60)
        start_at = time.time() + a.warmup
        out = multiprocessing.Queue()
        consumers = [multiprocessing.Process(target=consume, args=(broker.bootstrap, "t", a.partitions, a.seconds,
                                                                   start_at, out)) for _ in range(a.consumers)]
        producer = multiprocessing.Process(target=produce, args=(broker.bootstrap, "t", a.busy, a.rate,
                                                                 start_at + a.seconds + 2))
        for p in consumers + [producer]:
            p.start()
        time.sleep(max(0, start_at - time.time()))
        cpu0, t0 = procstats._cpu_seconds(broker.proc.pid), time.time()
        time.sleep(a.seconds)
        cpu1, t1 = procstats._cpu_seconds(broker.proc.pid), time.time()
        results = [out.get(timeout=120) for _ in consumers]
        for p in consumers + [producer]:
            p.join(60)
    finally:
        broker.stop()
    cpu_s = (cpu1 - cpu0) / (t1 - t0)
    fetches_s = sum(r["fetches_s"] for r in results)
    print(json.dumps({
        "label": a.label, "load": [round(x, 2) for x in os.getloadavg()], "broker_cpu_per_s": round(cpu_s, 3),
        "fetches_s": round(fetches_s, 1), "consumed_records_s": round(sum(r["records_s"] for r in results)),
        "us_per_fetch": round(cpu_s / fetches_s * 1e6, 1) if fetches_s else None,
    }))


if __name__ == "__main__":
    main()
