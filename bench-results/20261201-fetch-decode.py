"""CPU of one 1,000-partition sessionless Fetch, decode and handler, in process
(bench-results/20261201-fetch-decode.md). Run it with the tree to measure on PYTHONPATH (its
fastlog/_native built), from anywhere: `PYTHONPATH=TREE/src python3 20261201-fetch-decode.py 11`.
It works for trees before and after the Fetch request was decoded in Rust (ApiSpec.decode)."""
import asyncio
import os
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

path = tempfile.mkdtemp()
config = Config({"log.dirs": path})
logs = LogManager(config); logs.open()
t = logs.create_topic("t", 1000)
for i in range(1000):
    logs.append(t, i, batch([b"x" * 100]), BASE_TS)
services = types.SimpleNamespace(config=config, logs=logs, authorizer=Authorizer(config, path), fetch_sessions=FetchSessionCache(100))
version = int(sys.argv[1]) if len(sys.argv) > 1 else 11
for label, offset in (("caught up", 1), ("one batch each", 0)):
    body = {"replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 52428800, "isolation_level": 1,
            "session_id": 0, "session_epoch": -1, "forgotten_topics_data": [], "rack_id": "",
            "topics": [{"topic": "t", "topic_id": t.topic_id, "partitions": [
                {"partition": i, "fetch_offset": offset, "partition_max_bytes": 1048576} for i in range(1000)]}]}
    data = codec.encode_request(1, version, 7, "c", body)[4:]
    off = codec.decode_request_header(data)[4]
    decode = getattr(fetch, "decode", None) or (lambda v, d, o: codec.decode_request(1, v, d, o))
    ctx = RequestContext(services, 1, version, 7, "c", "/127.0.0.1")

    async def run(n):
        t0 = time.process_time()
        for _ in range(n):
            answer = await fetch.handle(ctx, decode(version, data, off))
        return (time.process_time() - t0) / n, answer
    asyncio.run(run(50))
    best = min(asyncio.run(run(200))[0] for _ in range(5))
    print(f"v{version} {label}: {best*1e6:.0f} us CPU per fetch")
logs.close()
