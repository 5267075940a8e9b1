"""CPU of incremental Fetches (KIP-227) over a 1,000-partition fetch session, in process
(bench-results/20261201-session-fetch.md). Run it with the tree to measure on PYTHONPATH (its
fastlog/_native built), from anywhere: `PYTHONPATH=TREE/src python3 20261201-session-fetch.py 12`.

A LogManager on real files, one topic of 1,000 partitions with one 100-byte batch each; a full
fetch (epoch 0) opens a session over all of them at their ends, then incremental fetches follow
as a Java consumer sends them: the partitions whose position moved since the last request, with
their new fetch offsets, and nothing else. Two cases: "idle" (nothing new: every answer is empty)
and "10 busy" (before each fetch one batch lands in each of 10 partitions, so each answer carries
10). CPU time (`time.process_time`) of the decode, the handler and the encode of each Fetch, not
of the appends; best of 5 runs of 200 after 50 to warm up."""
import asyncio
import os
import random
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "unit"))
from fastlog.config import Config
from fastlog.fetch_sessions import FetchSessionCache
from fastlog.handlers import fetch
from fastlog.handlers.registry import RequestContext
from fastlog.protocol import codec
from fastlog.security.acl import Authorizer
from fastlog.storage.log_manager import LogManager
from storage_batches import BASE_TS, batch

PARTITIONS = 1000
version = int(sys.argv[1]) if len(sys.argv) > 1 else 12
isolation = int(sys.argv[2]) if len(sys.argv) > 2 else 1
path = tempfile.mkdtemp()
config = Config({"log.dirs": path})
logs = LogManager(config)
logs.open()
topic = logs.create_topic("t", PARTITIONS)
for i in range(PARTITIONS):
    logs.append(topic, i, batch([b"x" * 100]), BASE_TS)
services = types.SimpleNamespace(config=config, logs=logs, authorizer=Authorizer(config, path),
                                 fetch_sessions=FetchSessionCache(1000))
ctx = RequestContext(services, 1, version, 7, "c", "/127.0.0.1")
decode = getattr(fetch, "decode", None) or (lambda v, d, o: codec.decode_request(1, v, d, o))
key = ("topic_id", topic.topic_id) if version >= 13 else ("topic", "t")
base = {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 52428800, "isolation_level": isolation,
        "forgotten_topics_data": [], "rack_id": ""}


def request(session_id: int, epoch: int, positions: dict[int, int]) -> tuple[bytes, int]:
    parts = [{"partition": p, "fetch_offset": o, "partition_max_bytes": 1048576} for p, o in positions.items()]
    body = dict(base, session_id=session_id, session_epoch=epoch,
                topics=[{key[0]: key[1], "partitions": parts}] if parts else [])
    data = codec.encode_request(1, version, 7, "c", body)[4:]
    return data, codec.decode_request_header(data)[4]


async def handle(data: bytes, offset: int) -> dict:
    answer = await fetch.handle(ctx, decode(version, data, offset))
    codec.encode_response(1, version, 7, answer)
    return answer


async def run(busy: int, rounds: int) -> float:
    positions = {p: topic.partitions[p].log_end_offset for p in range(PARTITIONS)}
    opened = await handle(*request(0, 0, positions))
    session_id, epoch, moved = opened["session_id"], 1, {}
    assert session_id
    cpu = 0.0
    rng = random.Random(7)
    for _ in range(rounds):
        for p in rng.sample(range(PARTITIONS), busy):
            logs.append(topic, p, batch([b"y" * 100]), BASE_TS)
        data, offset = request(session_id, epoch, moved)
        t0 = time.process_time()
        answer = await handle(data, offset)
        cpu += time.process_time() - t0
        assert answer["error_code"] == 0
        got = [p for t in answer["responses"] for p in t["partitions"]]
        assert len(got) == busy, len(got)
        moved = {p["partition_index"]: p["high_watermark"] for p in got}  # read up to the end
        epoch += 1
    services.fetch_sessions.remove(session_id)
    return cpu / rounds


for label, busy in (("idle", 0), ("10 busy", 10)):
    asyncio.run(run(busy, 50))
    best = min(asyncio.run(run(busy, 200)) for _ in range(5))
    print(f"v{version} isolation {isolation} {label}: {best * 1e6:.0f} us CPU per incremental fetch")
logs.close()
