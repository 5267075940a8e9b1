"""The load: librdkafka through confluent-kafka, each client in a process of its own.

Every worker is a top-level function taking plain keyword arguments and returning a plain dict,
so that it can run in a spawned process (run_workers) and its result be pickled back.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import random
import re
import resource
import struct
import time
import traceback
import uuid
from typing import Any, Callable, Optional

RECORD_SIZE = 1024

# Client settings, printed by the runner with each workload. Values equal to librdkafka's
# defaults are still pinned so that a client upgrade does not silently change the workload.
PRODUCER_SETTINGS: dict[str, Any] = {
    "linger.ms": 5,
    "batch.size": 1000000,
    "batch.num.messages": 10000,
    "queue.buffering.max.messages": 100000,
    "queue.buffering.max.kbytes": 1048576,
    "enable.idempotence": False,
    "max.in.flight.requests.per.connection": 5,
}
CONSUMER_SETTINGS: dict[str, Any] = {
    "enable.auto.commit": False,
    "fetch.max.bytes": 52428800,
    "max.partition.fetch.bytes": 1048576,
    "fetch.wait.max.ms": 500,
    "fetch.min.bytes": 1,
    "queued.max.messages.kbytes": 65536,
    # Not librdkafka's default (1000): once its local queue holds queued.max.messages.kbytes, the
    # consumer stops fetching for this long, although the application drains 64 MB in ~0.1 s. A
    # broker that outruns the application by 64 MB then lost a whole second per stop, and a few
    # hundred MB read in ~1 s measured the timer (docs/scaling.md, "Per broker core"). Kafka's
    # Java consumer fetches again as soon as a partition's buffered records are taken.
    "fetch.queue.backoff.ms": 10,
}


def payloads(size: int = RECORD_SIZE, count: int = 256, seed: int = 4) -> list[bytes]:
    """Distinct records, half random capital letters (like ProducerPerformance's) and half
    JSON-like text, so lz4 has something to do without the data being trivially compressible."""
    rnd = random.Random(seed)
    letters = bytes(range(65, 91))
    table = bytes(letters[i % 26] for i in range(256))
    out = []
    for i in range(count):
        rand_part = rnd.randbytes(size // 2).translate(table)
        text = (b'{"event":"page_view","user":"user-%06d","path":"/products/%d","ok":true},' % (i, i * 7)) * 20
        out.append((rand_part + text)[:size])
    return out


def _cpu() -> float:
    """CPU seconds of this client process, librdkafka's threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _producer(bootstrap: str, settings: dict[str, Any], errors: list[str]):
    from confluent_kafka import Producer

    conf = {"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS, **settings}
    conf["error_cb"] = lambda err: errors.append(str(err))
    return Producer(conf)


def _produce(producer, topic: str, value: bytes, **kw: Any) -> None:
    while True:
        try:
            producer.produce(topic, value, **kw)
            return
        except BufferError:    # local queue full: let librdkafka drain it
            producer.poll(0.001)


def produce_throughput(bootstrap: str, topic: str, total_bytes: int, settings: dict[str, Any],
                       record_size: int = RECORD_SIZE) -> dict:
    """Send total_bytes of record_size records as fast as possible; time until all are acked."""
    errors: list[str] = []
    failed = [0]

    def on_delivery(err, msg):
        if err is not None:
            failed[0] += 1
            if len(errors) < 5:
                errors.append(str(err))

    producer = _producer(bootstrap, {**settings, "delivery.report.only.error": True, "on_delivery": on_delivery},
                         errors)
    # warm-up (not timed): metadata and connection
    _produce(producer, topic, b"warm-up")
    if producer.flush(30) != 0:
        return {"error": f"warm-up record not delivered: {errors[:3]}"}
    values = payloads(record_size)
    mask = len(values) - 1
    count = total_bytes // record_size
    cpu0 = _cpu()
    start = time.perf_counter()
    for i in range(count):
        _produce(producer, topic, values[i & mask])
        if i & 1023 == 0:
            producer.poll(0)
    unflushed = producer.flush(300)
    seconds = time.perf_counter() - start
    # client CPU / wall time near or above 1: the load generator, not the broker, may be the limit
    return {"records": count, "bytes": count * record_size, "seconds": seconds,
            "mb_s": count * record_size / seconds / 1e6, "failed": failed[0] + unflushed,
            "client_cpu_s": _cpu() - cpu0, "errors": errors[:5]}


def produce_keyed(bootstrap: str, topic: str, total_bytes: int, keys: int, record_size: int = RECORD_SIZE) -> dict:
    """Fill a compacted topic: total_bytes of records whose keys cycle through 0..keys-1, so
    that after a cleaning pass one record per key is left (the cleaning workload's dirty log)."""
    errors: list[str] = []
    producer = _producer(bootstrap, {"acks": "1", "compression.type": "none"}, errors)
    values = payloads(record_size)
    mask = len(values) - 1
    count = total_bytes // record_size
    start = time.perf_counter()
    for i in range(count):
        _produce(producer, topic, values[i & mask], key=b"k%d" % (i % keys))
        if i & 1023 == 0:
            producer.poll(0)
    unflushed = producer.flush(300)
    seconds = time.perf_counter() - start
    return {"records": count, "bytes": count * record_size, "seconds": seconds,
            "mb_s": count * record_size / seconds / 1e6, "failed": unflushed, "errors": errors[:5]}


# Many small producers: each record is sent on its own (linger 0), so requests are a few KiB at
# most and the broker's cost per request, not per byte, sets the pace.
SMALL_PRODUCER_SETTINGS: dict[str, Any] = {
    "acks": "1",
    "linger.ms": 0,
    "batch.num.messages": 4,
    "compression.type": "none",
    "statistics.interval.ms": 1000,
}
PRODUCE_REQUESTS = re.compile(r'"Produce":\s*(\d+)')


def _final_stats(producers: list) -> None:
    """Let every producer emit one more statistics callback (statistics.interval.ms)."""
    time.sleep(SMALL_PRODUCER_SETTINGS["statistics.interval.ms"] / 1000 + 0.1)
    for p in producers:
        p.poll(0)


def produce_small(bootstrap: str, topic: str, clients: int, seconds: float, keys: int = 0,
                  record_size: int = RECORD_SIZE) -> dict:
    """`clients` producers in this process take turns sending one record each for `seconds`,
    each keeping at most 8 records unacknowledged; records/s, produce requests/s (librdkafka's
    own count of requests sent) and the p99 of produce-to-ack latency. With `keys`, records are
    spread over partitions by key (0..keys-1), else librdkafka's sticky partitioner picks."""
    from confluent_kafka import Producer

    errors: list[str] = []
    sent_requests: dict[int, int] = {}
    latencies: list[float] = []
    outstanding = [0] * clients

    def stats_of(i: int):
        def on_stats(text: str) -> None:
            # The statistics are large (every partition of a 1,000-partition topic); parsing
            # them as JSON 50 times a second took the whole client. Only "Produce" request
            # counters (one per broker, in its "req" object) are needed.
            sent_requests[i] = sum(int(n) for n in PRODUCE_REQUESTS.findall(text))
        return on_stats

    def delivered(i: int):
        def on_delivery(err, msg):
            outstanding[i] -= 1
            if err is not None:
                if len(errors) < 5:
                    errors.append(str(err))
            else:
                latencies.append(msg.latency() * 1000)
        return on_delivery

    producers = [Producer({"bootstrap.servers": bootstrap, **SMALL_PRODUCER_SETTINGS, "stats_cb": stats_of(i),
                           "error_cb": lambda err: errors.append(str(err))}) for i in range(clients)]
    for p in producers:     # warm-up (not timed): metadata and connection
        p.produce(topic, b"warm-up")
        if p.flush(30) != 0:
            return {"error": f"warm-up record not delivered: {errors[:3]}"}
    _final_stats(producers)  # the count of the warm-up's requests, to subtract
    before = sum(sent_requests.values())
    latencies.clear()
    values = payloads(record_size)
    callbacks = [delivered(i) for i in range(clients)]
    count = 0
    cpu0 = _cpu()
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        for i, p in enumerate(producers):
            if outstanding[i] < 8:
                key = b"%d" % (count % keys) if keys else None
                p.produce(topic, values[count & 255], key=key, on_delivery=callbacks[i])
                outstanding[i] += 1
                count += 1
            p.poll(0)
    unflushed = sum(p.flush(60) for p in producers)
    elapsed = time.perf_counter() - start
    _final_stats(producers)
    requests = sum(sent_requests.values()) - before
    return {"records": count, "bytes": count * record_size, "seconds": elapsed, "requests": requests,
            "records_s": count / elapsed, "requests_s": requests / elapsed, "failed": unflushed + len(errors),
            "latency_ms": percentiles(latencies), "client_cpu_s": _cpu() - cpu0, "errors": errors[:5]}


def produce_transactional(bootstrap: str, topic: str, total_bytes: int, settings: dict[str, Any],
                          transaction_ms: float = 100.0, record_size: int = RECORD_SIZE) -> dict:
    """Send total_bytes of records inside transactions, each committed after `transaction_ms`;
    time until the last commit returns (the commit waits for every record's ack)."""
    from confluent_kafka import Producer

    errors: list[str] = []
    conf = {"bootstrap.servers": bootstrap, **PRODUCER_SETTINGS, **settings,
            "transactional.id": f"fastlog-bench-{uuid.uuid4().hex[:8]}", "error_cb": lambda e: errors.append(str(e))}
    producer = Producer(conf)
    producer.init_transactions(30)
    values = payloads(record_size)
    mask = len(values) - 1
    count = total_bytes // record_size
    transactions = 0
    cpu0 = _cpu()
    start = time.perf_counter()
    producer.begin_transaction()
    ends = start + transaction_ms / 1000
    for i in range(count):
        _produce(producer, topic, values[i & mask])
        if i & 255 == 0:
            producer.poll(0)
            if time.perf_counter() >= ends:
                producer.commit_transaction(60)
                transactions += 1
                producer.begin_transaction()
                ends = time.perf_counter() + transaction_ms / 1000
    producer.commit_transaction(60)
    transactions += 1
    seconds = time.perf_counter() - start
    return {"records": count, "bytes": count * record_size, "seconds": seconds, "transactions": transactions,
            "mb_s": count * record_size / seconds / 1e6, "failed": 0, "client_cpu_s": _cpu() - cpu0,
            "errors": errors[:5]}


def consume_all(bootstrap: str, topic: str, settings: dict[str, Any], timeout: float = 600.0,
                expected: Optional[int] = None) -> dict:
    """Read a topic from the start of every partition up to its current end (assign, no group).
    `expected`: the records to read, where offsets also hold transaction markers."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    errors: list[str] = []
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"fastlog-bench-{uuid.uuid4().hex[:8]}",
                         **CONSUMER_SETTINGS, **settings, "error_cb": lambda err: errors.append(str(err))})
    try:
        meta = consumer.list_topics(topic, timeout=30)
        partitions = sorted(meta.topics[topic].partitions)
        if expected is None:
            expected = 0
            for p in partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                expected += high - low
        cpu0 = _cpu()
        start = time.perf_counter()
        deadline = start + timeout
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        count = nbytes = failed = 0
        while count < expected and time.perf_counter() < deadline:
            for msg in _next_messages(consumer):
                if msg.error() is not None:
                    failed += 1
                    if len(errors) < 5:
                        errors.append(str(msg.error()))
                    continue
                count += 1
                nbytes += len(msg.value() or b"")
        seconds = time.perf_counter() - start
    finally:
        consumer.close()
    return {"records": count, "expected": expected, "bytes": nbytes, "seconds": seconds,
            "mb_s": nbytes / seconds / 1e6, "failed": failed + (expected - count),
            "client_cpu_s": _cpu() - cpu0, "errors": errors[:5]}


def _next_messages(consumer) -> list:
    """What is there now, else wait for the first one. consume(n, timeout) alone would wait
    until n messages arrived or the timeout passed, adding that wait to latency and time."""
    msgs = consumer.consume(10000, 0)
    if msgs:
        return msgs
    msg = consumer.poll(0.2)
    return [msg] if msg is not None else []


def percentiles(values: list[float], points=(50, 99, 99.9)) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    out = {}
    for p in points:
        # Nearest rank: the smallest value with at least p% of the values at or below it.
        # (The epsilon keeps 99.9% of 1000 at rank 999 despite float rounding.)
        rank = math.ceil(p * len(ordered) / 100 - 1e-9)
        out[f"p{p:g}"] = ordered[min(len(ordered), max(rank, 1)) - 1]
    out["max"] = ordered[-1]
    return out


def send_stamped_at_rate(producer, topic: str, count: int, rate_bytes: float, record_size: int) -> float:
    """Send `count` records of `record_size` bytes at `rate_bytes` per second, each starting with
    its send time (8 bytes, ns since the epoch); the seconds the sending took (not flushed)."""
    bodies = [v[8:] for v in payloads(record_size)]
    mask = len(bodies) - 1
    interval = record_size / rate_bytes
    pack, now_ns = struct.Struct(">q").pack, time.time_ns
    start = time.perf_counter()
    i = 0
    while i < count:
        due = min(count, int((time.perf_counter() - start) / interval) + 1)
        while i < due:
            _produce(producer, topic, pack(now_ns()) + bodies[i & mask])
            i += 1
        producer.poll(0)
        if i < count:
            pause = start + i * interval - time.perf_counter()
            if pause > 0:
                time.sleep(min(pause, 0.001))
    return time.perf_counter() - start


def produce_at_rate(bootstrap: str, topic: str, rate_bytes: float, duration: float,
                    settings: dict[str, Any], ready=None, record_size: int = RECORD_SIZE) -> dict:
    """Produce at a fixed rate; each record starts with its send time (ns since the epoch) so the
    consumer can measure end to end. Produce latency is librdkafka's own (produce() to ack)."""
    errors: list[str] = []
    latencies: list[float] = []
    failed = [0]

    def on_delivery(err, msg):
        if err is not None:
            failed[0] += 1
        else:
            lat = msg.latency()
            if lat is not None:
                latencies.append(lat)

    producer = _producer(bootstrap, {**settings, "on_delivery": on_delivery}, errors)
    if ready is not None and not ready.wait(60):
        return {"error": "the end-to-end consumer did not get ready"}
    count = int(rate_bytes * duration / record_size)
    send_seconds = send_stamped_at_rate(producer, topic, count, rate_bytes, record_size)
    unflushed = producer.flush(120)
    ms = [x * 1000 for x in latencies]
    return {"records": count, "bytes": count * record_size, "seconds": send_seconds,
            "mb_s": count * record_size / send_seconds / 1e6, "failed": failed[0] + unflushed,
            "latency_ms": percentiles(ms), "errors": errors[:5]}


def e2e_consumer(bootstrap: str, topic: str, expected: int, settings: dict[str, Any], ready=None,
                 timeout: float = 120.0) -> dict:
    """Read the rate-limited records as they arrive; end-to-end latency = receive time - send time."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    errors: list[str] = []
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"fastlog-bench-{uuid.uuid4().hex[:8]}",
                         **CONSUMER_SETTINGS, **settings, "error_cb": lambda err: errors.append(str(err))})
    unpack = struct.Struct(">q").unpack_from
    latencies: list[float] = []
    try:
        meta = consumer.list_topics(topic, timeout=30)
        partitions = sorted(meta.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        consumer.consume(1, 0.5)    # first fetches under way before the producer starts
        if ready is not None:
            ready.set()
        deadline = time.perf_counter() + timeout
        while len(latencies) < expected and time.perf_counter() < deadline:
            msgs = _next_messages(consumer)
            now = time.time_ns()
            for msg in msgs:
                value = msg.value()
                if msg.error() is None and value is not None and len(value) >= 8:
                    latencies.append((now - unpack(value)[0]) / 1e6)
    finally:
        consumer.close()
    return {"records": len(latencies), "expected": expected, "e2e_latency_ms": percentiles(latencies),
            "failed": expected - len(latencies), "errors": errors[:5]}


def _entry(queue, index: int, fn: Callable[..., dict], kwargs: dict) -> None:
    try:
        result = fn(**kwargs)
    except BaseException:
        result = {"error": traceback.format_exc(limit=5)}
    queue.put((index, result))


def run_workers(jobs: list[tuple[Callable[..., dict], dict]], timeout: float) -> list[dict]:
    """Run each (function, kwargs) in a spawned process of its own; results in job order."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_entry, args=(queue, i, fn, kw), daemon=True) for i, (fn, kw) in enumerate(jobs)]
    for proc in procs:
        proc.start()
    results: list[Optional[dict]] = [None] * len(jobs)
    deadline = time.monotonic() + timeout
    try:
        for _ in jobs:
            index, result = queue.get(timeout=max(1.0, deadline - time.monotonic()))
            results[index] = result
    except Exception:
        pass    # a worker died or hung: reported as an error below
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return [r if r is not None else {"error": "worker did not answer in time"} for r in results]


def new_event():
    return mp.get_context("spawn").Event()
