"""Does real Kafka answer fetches of only empty batches after compaction? The same scenario
against fastlog beside it (bench-results/20261201-empty-batches-vs-kafka.md). Run from anywhere
with the tree's src and tests/integration on the path (set below for /work/main):
`python3 20261201-empty-batches-vs-kafka.py kafka` or `... fastlog`; PRODUCERS (130) idempotent
producers each write one 100 KB record of key k to a compacted topic of 1 MiB segments, a
plain producer then writes the last value of k and 12 more records to roll past it."""
import glob, os, struct, sys, time, uuid
sys.path.insert(0, "/work/main/src"); sys.path.insert(0, "/work/main/tests/integration")
import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic
from fastlog.kafka_dist import KafkaBroker
from fastlog.testing import BrokerProcess

PRODUCERS = int(os.environ.get("PRODUCERS", "130"))

def segments(data_dir, topic):
    out = []
    for f in sorted(glob.glob(f"{data_dir}/**/{topic}-0/*.log", recursive=True)):
        b = open(f, "rb").read(); pos = 0; counts = []
        while pos + 61 <= len(b):
            length = struct.unpack(">i", b[pos + 8:pos + 12])[0]
            counts.append(struct.unpack(">i", b[pos + 57:pos + 61])[0]); pos += 12 + length
        out.append(counts)
    return out

def scenario(name, bootstrap, data_dir):
    topic = "empties-" + uuid.uuid4().hex[:6]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact", "segment.bytes": "1048576",
                                                        "min.cleanable.dirty.ratio": "0.01"})])[topic].result(60)
    value = os.urandom(100_000)
    for i in range(PRODUCERS):
        p = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
        p.produce(topic, key=b"k", value=value, partition=0); assert p.flush(30) == 0
    p = confluent_kafka.Producer({"bootstrap.servers": bootstrap})
    p.produce(topic, key=b"k", value=b"last", partition=0)
    for i in range(12):  # roll past the last value, so that it is cleanable
        p.produce(topic, key=b"z%d" % i, value=value, partition=0)
    assert p.flush(30) == 0
    deadline = time.time() + 120
    while time.time() < deadline:
        segs = segments(data_dir, topic)
        empty_only = sum(1 for s in segs if s and all(c == 0 for c in s))
        if empty_only >= 11:
            break
        time.sleep(2)
    print(name, "segments:", len(segs), "holding only empty batches:", empty_only, flush=True)
    from clients import RawConnection, parse_batches
    answers = []
    with RawConnection(bootstrap) as conn:
        offset = 0
        for _ in range(100):
            r = conn.fetch(topic, 0, offset)
            batches = parse_batches(r.records)
            if not batches:
                break
            answers.append((offset, len(batches), sum(1 for b in batches if b.records)))
            offset = batches[-1].base_offset + batches[-1].last_offset_delta + 1
    print(name, "raw fetches from the start (fetch offset, batches, batches with records):", answers, flush=True)
    c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "g" + uuid.uuid4().hex[:4],
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    got, err = [], None
    end = time.time() + 30
    while time.time() < end and not err and not any(v == b"last" for v in got):
        for m in c.consume(100, 0.5):
            if m.error():
                err = str(m.error()); break
            got.append(m.value())
    c.close()
    print(name, "read", len(got), "records; reached the last value:", any(v == b"last" for v in got), "; error:", err, flush=True)

which = sys.argv[1]
if which == "kafka":
    with KafkaBroker(properties={"log.cleaner.backoff.ms": 200}) as k:
        k.start() if not k.alive() else None
        scenario("kafka", k.bootstrap, k.data_dir)
else:
    b = BrokerProcess(overrides={"log.cleaner.backoff.ms": 200}).start()
    try:
        scenario("fastlog", b.bootstrap, b.data_dir)
    finally:
        b.stop(); b.cleanup()
