"""Shared helpers for the integration tests: drive fastlog with real Kafka clients, and talk raw
Kafka protocol with a tiny encoder written here with `struct`.

The raw encoder is deliberately independent of fastlog's own codec (fastlog.protocol), so a bug
in the codec cannot hide itself in the tests. It covers only the few non-flexible request
versions the tests send (ApiVersions v0-v3, Metadata v5, Produce v7, Fetch v11).
"""
from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

from fastlog.protocol import _codec_py as codec_py

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]

# Kafka error codes the tests check (org.apache.kafka.common.protocol.Errors).
NONE = 0
OFFSET_OUT_OF_RANGE = 1
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
INVALID_RECORD = 87


def unique_topic(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------------------------
# Checkable records: record i goes to partition i % P, so the record at offset o of partition p
# must be record o * P + p. Key, value and headers all encode i.
# --------------------------------------------------------------------------------------------

_FILLER = b"fastlog-payload-" * 4  # compressible, so every codec has something to do


def record_key(i: int) -> bytes:
    return b"k%d" % i


def record_value(i: int) -> bytes:
    return b"v%d|" % i + _FILLER


def record_headers(i: int, source: str) -> list[tuple[str, bytes]]:
    return [("idx", b"%d" % i), ("src", source.encode())]


@dataclass
class Consumed:
    partition: int
    offset: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: int = -1


def check_roundtrip(records: list[Consumed], count: int, partitions: int, source: str) -> None:
    """Assert `records` are exactly records 0..count-1, offsets contiguous from 0, order kept."""
    by_part: dict[int, list[Consumed]] = {p: [] for p in range(partitions)}
    for r in records:
        assert r.partition in by_part, f"record from unexpected partition {r.partition}"
        by_part[r.partition].append(r)
    total = 0
    for p, recs in by_part.items():
        expected_n = len(range(p, count, partitions))
        assert len(recs) == expected_n, f"partition {p}: {len(recs)} records, expected {expected_n}"
        for o, r in enumerate(recs):
            i = o * partitions + p
            assert r.offset == o, f"partition {p}: offset {r.offset} at position {o} (not contiguous)"
            assert r.key == record_key(i), f"p{p}@{o}: key {r.key!r} != {record_key(i)!r}"
            assert r.value == record_value(i), f"p{p}@{o}: value {r.value[:20]!r}... wrong"
            got_headers = [(k, bytes(v)) for k, v in r.headers]
            assert got_headers == record_headers(i, source), f"p{p}@{o}: headers {got_headers}"
        total += len(recs)
    assert total == count


# --------------------------------------------------------------------------------------------
# confluent-kafka (librdkafka)
# --------------------------------------------------------------------------------------------

def create_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> None:
    """CreateTopics through AdminClient, then wait until Metadata shows every partition."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    futures[topic].result(timeout)
    wait_for_partitions(bootstrap, topic, partitions, timeout)
    # A producer that is not idempotent reorders records when its first batches are retried, so
    # wait until the partitions really take requests (Kafka brings them online asynchronously).
    wait_until_fetchable(bootstrap, topic, partitions, timeout)


def wait_until_fetchable(bootstrap: str, topic: str, partitions: int, timeout: float = 15.0) -> None:
    """Wait until every partition answers a raw Fetch without error: in Kafka a new topic's
    partitions come online asynchronously (NOT_LEADER_OR_FOLLOWER until then)."""
    with RawConnection(bootstrap) as conn:
        for p in range(partitions):
            assert wait_until(lambda: conn.fetch(topic, p, 0).error == NONE, timeout), f"{topic}-{p} not online"


def wait_for_partitions(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout
    while True:
        md = admin.list_topics(topic=topic, timeout=10)
        t = md.topics.get(topic)
        if t is not None and t.error is None and len(t.partitions) == partitions:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} not ready: {t and t.error}, {t and len(t.partitions)}")
        time.sleep(0.1)


def confluent_producer_config(bootstrap: str, codec: str = "none", **extra: object) -> dict:
    conf = {
        "bootstrap.servers": bootstrap,
        "compression.type": codec,
        "linger.ms": 20,
        "batch.num.messages": 10000,
        "batch.size": 1000000,
        "acks": "all",
        "queue.buffering.max.messages": 500000,
        "reconnect.backoff.max.ms": 500,
    }
    conf.update(extra)
    return conf


def produce_confluent(bootstrap: str, topic: str, count: int, partitions: int, codec: str = "none",
                      source: str = "confluent", timeout: float = 120.0, **extra: object) -> None:
    """Produce records 0..count-1 (record i to partition i % partitions); every one must be acked."""
    producer = confluent_kafka.Producer(confluent_producer_config(bootstrap, codec, **extra))
    errors: list[object] = []
    delivered = [0]

    def on_delivery(err, msg) -> None:
        if err is not None:
            errors.append(err)
        else:
            delivered[0] += 1

    for i in range(count):
        while True:
            try:
                producer.produce(topic, key=record_key(i), value=record_value(i), partition=i % partitions,
                                 headers=record_headers(i, source), on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    remaining = producer.flush(timeout)
    assert remaining == 0, f"{remaining} records not delivered within {timeout}s"
    assert not errors, f"delivery errors: {errors[:5]}"
    assert delivered[0] == count


def confluent_consumer(bootstrap: str, **extra: object) -> confluent_kafka.Consumer:
    # confluent-kafka insists on a group.id, but with assign() and no commits no group is joined.
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": "fastlog-tests-" + uuid.uuid4().hex[:6],
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "reconnect.backoff.max.ms": 500,
    }
    conf.update(extra)
    return confluent_kafka.Consumer(conf)


def read_partition_zero(bootstrap: str, topic: str) -> tuple[list[tuple[int, bytes, bytes | None]], int]:
    """Every record of partition 0 from the log start to the current log end as (offset, key,
    value), and that end offset."""
    consumer = confluent_consumer(bootstrap)
    try:
        low, high = consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10)
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        out: list[tuple[int, bytes, bytes | None]] = []
        deadline = time.monotonic() + 60
        while (not out or out[-1][0] < high - 1) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                assert msg.error() is None, msg.error()
                out.append((msg.offset(), msg.key(), msg.value()))
        assert out and out[-1][0] == high - 1, f"{topic}: read up to {out[-1:]} of [{low}, {high})"
        return out, high
    finally:
        consumer.close()


def consume_confluent(bootstrap: str, topic: str, count: int, partitions: Iterable[int],
                      start: int = 0, timeout: float = 120.0) -> list[Consumed]:
    """Assign the partitions from offset `start` and read until `count` records arrived."""
    consumer = confluent_consumer(bootstrap)
    try:
        consumer.assign([confluent_kafka.TopicPartition(topic, p, start) for p in partitions])
        out: list[Consumed] = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=10000, timeout=0.5):
                if msg.error() is not None:
                    raise AssertionError(f"consume error: {msg.error()}")
                out.append(Consumed(msg.partition(), msg.offset(), msg.key(), msg.value(),
                                    list(msg.headers() or []), msg.timestamp()[1]))
        return out
    finally:
        consumer.close()


# --------------------------------------------------------------------------------------------
# kafka-python
# --------------------------------------------------------------------------------------------

def _kp_codec(codec: str) -> Optional[str]:
    return None if codec == "none" else codec


def produce_kafka_python(bootstrap: str, topic: str, count: int, partitions: int, codec: str = "none",
                         source: str = "kafka-python", timeout: float = 300.0) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        compression_type=_kp_codec(codec),
        linger_ms=20,
        batch_size=256 * 1024,
        max_request_size=8 * 1024 * 1024,
        acks="all",
        enable_idempotence=False,
    )
    try:
        futures = [
            producer.send(topic, key=record_key(i), value=record_value(i), partition=i % partitions,
                          headers=record_headers(i, source))
            for i in range(count)
        ]
        producer.flush(timeout)
        failed = [f.exception for f in futures if not f.succeeded()]
        assert not failed, f"{len(failed)} failed sends, e.g. {failed[:3]}"
    finally:
        producer.close(timeout=10)


def consume_kafka_python(bootstrap: str, topic: str, count: int, partitions: Iterable[int],
                         timeout: float = 300.0) -> list[Consumed]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: list[Consumed] = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for tp, msgs in consumer.poll(timeout_ms=500, max_records=50000).items():
                for m in msgs:
                    out.append(Consumed(tp.partition, m.offset, m.key, m.value, list(m.headers or []),
                                        m.timestamp))
        return out
    finally:
        consumer.close()


# --------------------------------------------------------------------------------------------
# aiokafka
# --------------------------------------------------------------------------------------------

def produce_aiokafka(bootstrap: str, topic: str, count: int, partitions: int, codec: str = "none",
                     source: str = "aiokafka", timeout: float = 300.0) -> None:
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            compression_type=_kp_codec(codec),
            linger_ms=20,
            max_batch_size=256 * 1024,
            max_request_size=8 * 1024 * 1024,
            acks="all",
        )
        await producer.start()
        try:
            pending = []
            for i in range(count):
                pending.append(await producer.send(topic, key=record_key(i), value=record_value(i),
                                                   partition=i % partitions,
                                                   headers=record_headers(i, source)))
            results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout)
            failed = [r for r in results if isinstance(r, BaseException)]
            assert not failed, f"{len(failed)} failed sends, e.g. {failed[:3]}"
        finally:
            await producer.stop()

    asyncio.run(run())


def consume_aiokafka(bootstrap: str, topic: str, count: int, partitions: Iterable[int],
                     timeout: float = 300.0) -> list[Consumed]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run() -> list[Consumed]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            out: list[Consumed] = []
            deadline = time.monotonic() + timeout
            while len(out) < count and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500, max_records=50000)
                for tp, msgs in batch.items():
                    for m in msgs:
                        out.append(Consumed(tp.partition, m.offset, m.key, m.value, list(m.headers or []),
                                            m.timestamp))
            return out
        finally:
            await consumer.stop()

    return asyncio.run(run())


PRODUCERS: dict[str, Callable[..., None]] = {
    "confluent": produce_confluent,
    "kafka-python": produce_kafka_python,
    "aiokafka": produce_aiokafka,
}
CONSUMERS: dict[str, Callable[..., list[Consumed]]] = {
    "confluent": consume_confluent,
    "kafka-python": consume_kafka_python,
    "aiokafka": consume_aiokafka,
}


def assert_same_answers(ours: list, theirs: list) -> None:
    """A side-by-side scenario's steps, fastlog's against Kafka's: all printed (pytest shows them
    on failure), then equal step by step and in number."""
    for mine, kafkas in zip(ours, theirs):
        print(f"\nfastlog {mine}\nkafka   {kafkas}")
    for mine, kafkas in zip(ours, theirs):
        assert mine == kafkas, f"fastlog {mine} != Kafka {kafkas}"
    assert len(ours) == len(theirs)


def run_all(jobs: Iterable[Callable[[], object]], timeout: float = 300) -> None:
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
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), f"a client thread did not finish in {timeout:g} s"
    if errors:
        raise errors[0]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()

# ---------------------------------------------------------------------------------------------
# The log cleaner's progress, read from a broker's data folder
# ---------------------------------------------------------------------------------------------
def cleaner_checkpoint(broker, topic: str) -> int:
    """The topic's partition 0 entry of cleaner-offset-checkpoint (-1: none yet)."""
    path = os.path.join(broker.data_dir, "logs", "cleaner-offset-checkpoint")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return -1
    assert lines[0] == "0" and int(lines[1]) == len(lines) - 2, lines
    for line in lines[2:]:
        t, p, o = line.split()
        if (t, p) == (topic, "0"):
            return int(o)
    return -1


def active_base(broker, topic: str) -> int:
    """Base offset of partition 0's active segment (the newest segment file)."""
    path = os.path.join(broker.data_dir, "logs", f"{topic}-0")
    return max(int(n[:-4]) for n in os.listdir(path) if n.endswith(".log"))


def cleaner_settled(broker, topic: str) -> int:
    """Wait until everything but the active segment is clean (no pass can be due until more is
    produced) and return the checkpoint."""
    assert wait_until(lambda: cleaner_checkpoint(broker, topic) == active_base(broker, topic), 60), broker.log_tail()
    return cleaner_checkpoint(broker, topic)



# ============================================================================================
# Raw Kafka protocol, written from the protocol description (big-endian, non-flexible versions)
# ============================================================================================

# --- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table driven ---
_CRC32C_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC32C_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# --- primitive encoders ---
def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def string(s: Optional[str]) -> bytes:
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def nbytes(b: Optional[bytes]) -> bytes:
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items: Optional[list], enc: Callable[[object], bytes]) -> bytes:
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def uvarint(v: int) -> bytes:
    out = bytearray()
    while True:
        if v < 0x80:
            out.append(v)
            return bytes(out)
        out.append((v & 0x7F) | 0x80)
        v >>= 7


def varint(v: int) -> bytes:
    return uvarint((v << 1) ^ (v >> 63))  # zigzag


# --- a small reader ---
class Reader:
    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def _take(self, fmt: str) -> int:
        (v,) = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def i8(self) -> int:
        return self._take(">b")

    def i16(self) -> int:
        return self._take(">h")

    def i32(self) -> int:
        return self._take(">i")

    def u32(self) -> int:
        return self._take(">I")

    def i64(self) -> int:
        return self._take(">q")

    def string(self) -> Optional[str]:
        n = self.i16()
        if n < 0:
            return None
        s = self.buf[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def nbytes(self) -> Optional[bytes]:
        n = self.i32()
        if n < 0:
            return None
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return bytes(b)

    def array(self, dec: Callable[["Reader"], object]) -> Optional[list]:
        n = self.i32()
        if n < 0:
            return None
        return [dec(self) for _ in range(n)]

    def uvarint(self) -> int:
        shift = result = 0
        while True:
            b = self.buf[self.pos]
            self.pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def varint(self) -> int:
        v = self.uvarint()
        return (v >> 1) ^ -(v & 1)

    def raw(self, n: int) -> bytes:
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return bytes(b)


# --- record batch v2 ---
@dataclass
class RawRecord:
    key: Optional[bytes]
    value: Optional[bytes]
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp_delta: int = 0


def encode_record(offset_delta: int, rec: RawRecord) -> bytes:
    body = bytearray()
    body += i8(0)  # attributes (unused)
    body += varint(rec.timestamp_delta)
    body += varint(offset_delta)
    for part in (rec.key, rec.value):
        if part is None:
            body += varint(-1)
        else:
            body += varint(len(part)) + part
    body += varint(len(rec.headers))
    for hk, hv in rec.headers:
        kb = hk.encode()
        body += varint(len(kb)) + kb + varint(len(hv)) + hv
    return varint(len(body)) + bytes(body)


def build_batch(records: list[RawRecord], *, base_timestamp: Optional[int] = None, attributes: int = 0,
                producer_id: int = -1, producer_epoch: int = -1, base_sequence: int = -1,
                base_offset: int = 0, magic: int = 2, records_count: Optional[int] = None,
                last_offset_delta: Optional[int] = None, bad_crc: bool = False,
                records_blob: Optional[bytes] = None) -> bytes:
    """A record batch v2 as a producer sends it. The keyword overrides build malformed batches."""
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    blob = records_blob if records_blob is not None else b"".join(
        encode_record(d, r) for d, r in enumerate(records))
    max_ts = base_timestamp + max((r.timestamp_delta for r in records), default=0)
    after_crc = (
        i16(attributes)
        + i32(len(records) - 1 if last_offset_delta is None else last_offset_delta)
        + i64(base_timestamp)
        + i64(max_ts)
        + i64(producer_id)
        + i16(producer_epoch)
        + i32(base_sequence)
        + i32(len(records) if records_count is None else records_count)
        + blob
    )
    crc = crc32c(after_crc)
    if bad_crc:
        crc ^= 0x5A5A5A5A
    after_length = i32(0) + i8(magic) + struct.pack(">I", crc) + after_crc  # leader epoch 0
    return i64(base_offset) + i32(len(after_length)) + after_length


@dataclass
class RawBatch:
    base_offset: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    records: list[tuple[int, RawRecord]]  # (absolute offset, record), uncompressed batches only
    producer_epoch: int = -1


def parse_batches(data: bytes) -> list[RawBatch]:
    """Parse record batches v2 from a fetch response; a trailing partial batch is dropped."""
    out = []
    pos = 0
    while pos + 12 <= len(data):
        base_offset, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        r = Reader(data, pos + 12)
        r.i32()  # partition leader epoch
        magic = r.i8()
        assert magic == 2, f"unexpected magic {magic}"
        crc = r.u32()
        assert crc == crc32c(data[pos + 21:end]), "fetched batch has a bad CRC"
        attributes = r.i16()
        lod = r.i32()
        base_ts = r.i64()
        max_ts = r.i64()
        pid = r.i64()
        epoch = r.i16()
        r.i32()
        count = r.i32()
        recs: list[tuple[int, RawRecord]] = []
        if attributes & 0x7 == 0:
            for _ in range(count):
                r.varint()  # length
                r.i8()
                ts_delta = r.varint()
                off_delta = r.varint()
                klen = r.varint()
                key = r.raw(klen) if klen >= 0 else None
                vlen = r.varint()
                value = r.raw(vlen) if vlen >= 0 else None
                headers = []
                for _ in range(r.varint()):
                    hk = r.raw(r.varint()).decode()
                    hl = r.varint()
                    headers.append((hk, r.raw(hl) if hl >= 0 else b""))
                recs.append((base_offset + off_delta, RawRecord(key, value, headers, ts_delta)))
        out.append(RawBatch(base_offset, attributes, lod, base_ts, max_ts, pid, recs, epoch))
        pos = end
    return out


# --- connection ---
class RawConnection:
    """One TCP connection speaking raw Kafka frames; responses are read in request order."""

    def __init__(self, bootstrap: str, timeout: float = 10.0, client_id: str = "fastlog-raw") -> None:
        host, port = bootstrap.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(timeout)
        self.client_id = client_id
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def header(self, api_key: int, version: int, flexible: bool = False) -> bytes:
        """Request header v1 (or v2 with an empty tagged-field section when `flexible`)."""
        self.correlation_id += 1
        h = i16(api_key) + i16(version) + i32(self.correlation_id) + string(self.client_id)
        return h + (b"\x00" if flexible else b"")

    def send_request(self, api_key: int, version: int, body: bytes, flexible: bool = False) -> int:
        payload = self.header(api_key, version, flexible) + body
        self.sock.sendall(i32(len(payload)) + payload)
        return self.correlation_id

    def recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self) -> bytes:
        (size,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(size)

    def request(self, api_key: int, version: int, body: bytes, flexible_response_header: bool = False) -> Reader:
        """Send and return a Reader positioned at the response body (header checked)."""
        corr = self.send_request(api_key, version, body)
        r = Reader(self.recv_frame())
        got = r.i32()
        assert got == corr, f"correlation id {got}, expected {corr}"
        if flexible_response_header:
            for _ in range(r.uvarint()):
                r.uvarint()
                r.raw(r.uvarint())
        return r

    def send_dict(self, api_key: int, version: int, body: dict) -> int:
        """Send a request dict, encoded by fastlog's pure-Python codec; returns its correlation id."""
        self.correlation_id += 1
        self.sock.sendall(codec_py.encode_request(api_key, version, self.correlation_id, self.client_id, body))
        return self.correlation_id

    def recv_dict(self, api_key: int, version: int, correlation_id: int) -> dict:
        """Read the next response and decode it: every field a version carries, including those
        client libraries hide."""
        got, answer = codec_py.decode_response(api_key, version, self.recv_frame())
        assert got == correlation_id, f"correlation id {got}, expected {correlation_id}"
        return answer

    def call(self, api_key: int, version: int, body: dict) -> dict:
        return self.recv_dict(api_key, version, self.send_dict(api_key, version, body))

    def closed_by_peer(self, timeout: float = 10.0) -> bool:
        """True if the broker closes this connection (EOF or reset) within `timeout` seconds."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                data = self.sock.recv(65536)
                if not data:
                    return True
                # any bytes (an answer) are ignored: the question is whether it hangs up
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        return False

    # --- typed requests ---
    def api_versions(self, version: int = 0) -> tuple[int, dict[int, tuple[int, int]]]:
        """ApiVersions v0..v2 (v3 needs the flexible header: see api_versions_flexible)."""
        r = self.request(18, version, b"")
        return parse_api_versions(r, flexible=False)

    def metadata(self, topics: Optional[list[str]], allow_auto_create: bool = True) -> dict:
        """Metadata v5 -> {"brokers": [...], "topics": {name: (error, {partition: (error, leader)})}}."""
        body = array(topics, lambda t: string(t)) + i8(1 if allow_auto_create else 0)
        r = self.request(3, 5, body)
        r.i32()  # throttle
        brokers = r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
        r.string()  # cluster id
        r.i32()  # controller
        out: dict = {"brokers": brokers, "topics": {}}
        for _ in range(r.i32()):
            err = r.i16()
            name = r.string()
            r.i8()  # is_internal
            parts = {}
            for _ in range(r.i32()):
                perr = r.i16()
                idx = r.i32()
                leader = r.i32()
                r.array(lambda x: x.i32())
                r.array(lambda x: x.i32())
                r.array(lambda x: x.i32())
                parts[idx] = (perr, leader)
            out["topics"][name] = (err, parts)
        return out

    def produce(self, topic: str, partition: int, records: Optional[bytes], acks: int = -1,
                timeout_ms: int = 10000) -> tuple[int, int]:
        """Produce v7 of one record set to one partition -> (error_code, base_offset)."""
        body = (string(None) + i16(acks) + i32(timeout_ms)
                + i32(1) + string(topic) + i32(1) + i32(partition) + nbytes(records))
        r = self.request(0, 7, body)
        results = {}
        for _ in range(r.i32()):
            name = r.string()
            for _ in range(r.i32()):
                idx = r.i32()
                err = r.i16()
                base = r.i64()
                r.i64()  # log append time
                r.i64()  # log start offset
                results[(name, idx)] = (err, base)
        r.i32()  # throttle
        assert (topic, partition) in results, f"no answer for {topic}-{partition}: {results}"
        return results[(topic, partition)]

    def fetch(self, topic: str, partition: int, offset: int, max_wait_ms: int = 0, min_bytes: int = 1,
              max_bytes: int = 1 << 20) -> "FetchResult":
        """Fetch v11 (sessionless: session id 0, epoch -1) of one partition."""
        body = (
            i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(max_bytes) + i8(0)  # read_uncommitted
            + i32(0) + i32(-1)  # no fetch session
            + i32(1) + string(topic)
            + i32(1) + i32(partition) + i32(-1) + i64(offset) + i64(-1) + i32(max_bytes)
            + i32(0)  # forgotten topics
            + string("")  # rack id
        )
        r = self.request(1, 11, body)
        r.i32()  # throttle
        top_error = r.i16()
        r.i32()  # session id
        result = FetchResult(top_error, -1, -1, -1, b"")
        for _ in range(r.i32()):
            name = r.string()
            for _ in range(r.i32()):
                idx = r.i32()
                err = r.i16()
                hw = r.i64()
                r.i64()  # last stable offset
                lso = r.i64()
                r.array(lambda x: (x.i64(), x.i64()))
                r.i32()  # preferred read replica
                recs = r.nbytes() or b""
                if (name, idx) == (topic, partition):
                    result = FetchResult(err, hw, lso, top_error, recs)
        return result

    def create_topics(self, topics: list[tuple[str, int, int]], validate_only: bool = False,
                      timeout_ms: int = 10000) -> dict[str, int]:
        """CreateTopics v4 of (name, partitions, replication factor) -> {name: error_code}."""
        def topic(t) -> bytes:
            name, partitions, rf = t
            return string(name) + i32(partitions) + i16(rf) + i32(0) + i32(0)  # no assignments/configs
        body = array(topics, topic) + i32(timeout_ms) + i8(1 if validate_only else 0)
        r = self.request(19, 4, body)
        r.i32()  # throttle
        out = {}
        for _ in range(r.i32()):
            name = r.string()
            out[name] = r.i16()
            r.string()  # error message
        return out

    def delete_topics(self, names: list[str], timeout_ms: int = 10000) -> dict[str, int]:
        """DeleteTopics v3 -> {name: error_code}."""
        r = self.request(20, 3, array(names, lambda n: string(n)) + i32(timeout_ms))
        r.i32()  # throttle
        out = {}
        for _ in range(r.i32()):
            name = r.string()
            out[name] = r.i16()
        return out


@dataclass
class FetchResult:
    error: int
    high_watermark: int
    log_start_offset: int
    top_error: int
    records: bytes


def parse_api_versions(r: Reader, flexible: bool) -> tuple[int, dict[int, tuple[int, int]]]:
    err = r.i16()
    keys: dict[int, tuple[int, int]] = {}
    n = r.uvarint() - 1 if flexible else r.i32()
    for _ in range(max(n, 0)):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        if flexible:
            for _ in range(r.uvarint()):
                r.uvarint()
                r.raw(r.uvarint())
        keys[k] = (lo, hi)
    return err, keys


def api_versions_request_v3(client_software: str = "fastlog-tests", version: str = "1.0") -> bytes:
    """ApiVersions v3+ body: compact strings and an empty tagged-field section."""
    def compact(s: str) -> bytes:
        b = s.encode()
        return uvarint(len(b) + 1) + b
    return compact(client_software) + compact(version) + b"\x00"


def bootstrap_works(bootstrap: str) -> bool:
    """A fresh connection gets a sane ApiVersions v0 answer."""
    try:
        with RawConnection(bootstrap, timeout=5) as conn:
            err, keys = conn.api_versions(0)
            return err == 0 and 0 in keys and 1 in keys
    except (OSError, ConnectionError, AssertionError, struct.error):
        return False
