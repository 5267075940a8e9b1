"""Capture the first request frames real clients send, for tests/unit/test_codec_frames.py.

A tiny throwaway listener on 127.0.0.1 answers just enough (ApiVersions, Metadata, InitProducerId,
Produce, using fastlog's codec) for a producer to send one record, and saves the first frame of
each API per client as `<client>_<Api>_v<version>.bin` (the frame without its 4-byte size).

    python tools/capture_frames.py [--out tests/unit/frames]

Clients: confluent-kafka (librdkafka) and kafka-python, each producing key b"k", value b"hello"
to topic "captured", partition 0. Re-running overwrites the files; the tests assert the values.
"""
from __future__ import annotations

import argparse
import pathlib
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "src"))

from fastlog.protocol import codec  # noqa: E402

TOPIC = "captured"
TOPIC_ID = bytes(range(1, 17))
# What we advertise; Produce stops at 12 so that clients keep using topic names.
ADVERTISED = {key: codec.request_versions(key) for key in codec.API_NAMES}
ADVERTISED[0] = (3, 12)


def _respond(key: int, version: int, body: dict, port: int) -> dict | None:
    if key == 18:
        keys = [{"api_key": k, "min_version": lo, "max_version": hi} for k, (lo, hi) in sorted(ADVERTISED.items())]
        return {"api_keys": keys}
    if key == 3:
        names = [t["name"] for t in body["topics"]] if body["topics"] else [TOPIC]
        return {
            "brokers": [{"node_id": 1, "host": "127.0.0.1", "port": port}],
            "cluster_id": "capture", "controller_id": 1,
            "topics": [{"name": n, "topic_id": TOPIC_ID, "partitions": [
                {"partition_index": 0, "leader_id": 1, "leader_epoch": 0, "replica_nodes": [1], "isr_nodes": [1]}]}
                for n in names],
        }
    if key == 22:
        return {"producer_id": 1000, "producer_epoch": 0}
    if key == 0:
        return {"responses": [{"name": t["name"], "partition_responses": [
            {"index": p["index"], "base_offset": 0} for p in t["partition_data"]]} for t in body["topic_data"]]}
    return None


class Capture:
    """Accepts connections on one port, answers, and keeps the first frame of each API."""

    def __init__(self, client: str, out: pathlib.Path) -> None:
        self.client = client
        self.out = out
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.seen: set[int] = set()
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while not self.stop:
                head = _recv(conn, 4)
                if head is None:
                    return
                frame = _recv(conn, struct.unpack(">i", head)[0])
                if frame is None:
                    return
                key, version, corr, client_id, off = codec.decode_request_header(frame)
                if key not in self.seen:
                    self.seen.add(key)
                    name = codec.API_NAMES.get(key, f"api{key}")
                    (self.out / f"{self.client}_{name}_v{version}.bin").write_bytes(frame)
                lo, hi = ADVERTISED.get(key, (0, -1))
                if not lo <= version <= hi:
                    if key == 18:  # too new: UNSUPPORTED_VERSION with our list, at v0
                        answer = {"error_code": 35, **_respond(18, 0, {}, 0)}
                        conn.sendall(b"".join(codec.encode_response(18, 0, corr, answer)))
                    continue
                body = codec.decode_request(key, version, frame, off)
                if key == 0 and body["acks"] == 0:
                    continue
                reply = _respond(key, version, body, self.port)
                if reply is not None:
                    conn.sendall(b"".join(codec.encode_response(key, version, corr, reply)))

    def close(self) -> None:
        self.stop = True
        self.sock.close()


def _recv(conn: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def run_confluent(port: int) -> None:
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": f"127.0.0.1:{port}", "client.id": "capture-confluent",
                  "linger.ms": 0, "acks": "all", "compression.type": "none"})
    p.produce(TOPIC, key=b"k", value=b"hello", partition=0)
    left = p.flush(15)
    assert left == 0, "confluent-kafka did not get its produce acknowledged"


def run_kafka_python(port: int) -> None:
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", client_id="capture-kafka-python",
                      acks="all", linger_ms=0, enable_idempotence=False)
    p.send(TOPIC, key=b"k", value=b"hello", partition=0).get(timeout=15)
    p.close(timeout=5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parents[1] / "tests/unit/frames"))
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for client, run in (("confluent", run_confluent), ("kafkapython", run_kafka_python)):
        cap = Capture(client, out)
        try:
            run(cap.port)
            time.sleep(0.2)
        finally:
            cap.close()
        print(client, "captured:", sorted(codec.API_NAMES.get(k, k) for k in cap.seen))


if __name__ == "__main__":
    main()
