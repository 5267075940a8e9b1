"""Several clients at once on one broker: producers of every library write concurrently, then the
consumers read concurrently, and every topic comes back exact. Bounded: 4 x 20,000 records."""
from __future__ import annotations

import threading

from clients import CONSUMERS, PRODUCERS, check_roundtrip, create_topic, unique_topic

COUNT = 20_000
PARTITIONS = 3
CLIENTS = [("confluent", "zstd"), ("confluent", "none"), ("kafka-python", "gzip"), ("aiokafka", "lz4")]


def run_all(jobs) -> None:
    """Run callables in threads; re-raise the first failure in the test thread."""
    errors: list[BaseException] = []

    def wrap(job):
        try:
            job()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a client thread did not finish in 300 s"
    if errors:
        raise errors[0]


def test_concurrent_clients(broker):
    topics = [unique_topic(f"conc-{client}") for client, _ in CLIENTS]
    for topic in topics:
        create_topic(broker.bootstrap, topic, PARTITIONS)

    run_all([
        (lambda c=client, k=codec, t=topic: PRODUCERS[c](broker.bootstrap, t, COUNT, PARTITIONS, codec=k, source=c))
        for (client, codec), topic in zip(CLIENTS, topics)
    ])

    results: dict[str, list] = {}
    run_all([
        (lambda c=client, t=topic: results.__setitem__(t, CONSUMERS[c](broker.bootstrap, t, COUNT, range(PARTITIONS))))
        for (client, _), topic in zip(CLIENTS, topics)
    ])
    for (client, _), topic in zip(CLIENTS, topics):
        check_roundtrip(results[topic], COUNT, PARTITIONS, source=client)
