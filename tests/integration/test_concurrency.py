"""Several clients at once on one broker: producers of every library write concurrently, then the
consumers read concurrently, and every topic comes back exact. Bounded: 4 x 20,000 records."""
from __future__ import annotations

from clients import CONSUMERS, PRODUCERS, check_roundtrip, create_topic, run_all, unique_topic

COUNT = 20_000
PARTITIONS = 3
CLIENTS = [("confluent", "zstd"), ("confluent", "none"), ("kafka-python", "gzip"), ("aiokafka", "lz4")]


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
