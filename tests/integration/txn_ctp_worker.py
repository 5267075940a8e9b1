"""A consume-transform-produce worker (confluent-kafka), run as its own process by
test_transactions.py so that the test can kill it in the middle of a transaction.

    python txn_ctp_worker.py BOOTSTRAP IN_TOPIC PARTITIONS OUT_TOPIC GROUP TXN_ID TOTAL CRASH_AFTER

Reads IN_TOPIC (assign, from the group's committed offsets), writes b"out-" + value to OUT_TOPIC
inside a transaction together with the consumed offsets (send_offsets_to_transaction), commits.
After CRASH_AFTER committed transactions (-1: never) it produces the next one's records, flushes
them to the broker and dies (os._exit) before committing. Exits 0 once every one of the TOTAL
input records is committed.
"""
import os
import sys

import confluent_kafka


def main() -> None:
    bootstrap, in_topic, partitions, out_topic, group, txn_id, total, crash_after = sys.argv[1:]
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    producer = confluent_kafka.Producer({
        "bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5})
    producer.init_transactions(30)
    assignment = [confluent_kafka.TopicPartition(in_topic, p) for p in range(int(partitions))]
    consumer.assign(assignment)
    committed_txns = 0
    while True:
        msgs = [m for m in consumer.consume(num_messages=25, timeout=0.5) if m.error() is None]
        if msgs:
            producer.begin_transaction()
            for m in msgs:
                producer.produce(out_topic, key=m.key(), value=b"out-" + m.value())
            if committed_txns == int(crash_after):
                producer.flush(30)
                os._exit(17)  # killed mid-transaction: records written, nothing committed
            positions = consumer.position(consumer.assignment())
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(30)
            committed_txns += 1
        done = consumer.committed(assignment, 10)
        if sum(max(tp.offset, 0) for tp in done) >= int(total):
            break
    consumer.close()
    print(f"committed {committed_txns} transactions", flush=True)


if __name__ == "__main__":
    main()
