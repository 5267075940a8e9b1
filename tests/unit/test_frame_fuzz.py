"""Seeded fuzzing of what a client controls: request frames (both codecs) and the record batches
inside Produce (the storage engine's validation), starting from frames captured from real
clients (tests/unit/frames/). Every mutant must decode or raise CodecError, the two codecs must
agree, a decoded request must have an encodable error answer (server/error_response.py), and a
batch must validate or raise StorageError: no other exception, no crash, no hang.

CI runs a bounded count with a fixed seed; a longer run is one command away:

    FASTLOG_FUZZ_COUNT=200000 FASTLOG_FUZZ_SEED=7 python3 -m pytest -q tests/unit/test_frame_fuzz.py
"""
from __future__ import annotations

import os
import pathlib
import random

import pytest

from fastlog import _native
from fastlog.config import Config
from fastlog.protocol import codec
from fastlog.protocol.codec import CodecError
from fastlog.server.error_response import error_response

FRAMES = sorted((pathlib.Path(__file__).parent / "frames").glob("*.bin"))
COUNT = int(os.environ.get("FASTLOG_FUZZ_COUNT", "1500"))
SEED = int(os.environ.get("FASTLOG_FUZZ_SEED", "20261130"))
INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00"]


def mutate(rnd: random.Random, data: bytes) -> bytes:
    """One to four random edits: flip a byte, write an interesting value, cut, duplicate, insert."""
    b = bytearray(data)
    for _ in range(rnd.randrange(1, 5)):
        op = rnd.randrange(5)
        pos = rnd.randrange(len(b) + 1) if b else 0
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rnd.randrange(256)
        elif op == 1:
            v = rnd.choice(INTERESTING)
            b[pos:pos + len(v)] = v
        elif op == 2:
            del b[pos:pos + rnd.randrange(1, 16)]
        elif op == 3 and b:
            start = rnd.randrange(len(b))
            b[pos:pos] = b[start:start + rnd.randrange(1, 32)]
        else:
            b[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 8)))
    return bytes(b)


def decode(impl, frame: bytes):
    """('ok', header, body) or ('error',): what one codec makes of a frame."""
    try:
        key, version, corr, client_id, offset = impl.decode_request_header(frame)
        body = impl.decode_request(key, version, frame, offset)
    except CodecError:
        return ("error",)
    return ("ok", (key, version, corr, client_id), _plain(body))


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, memoryview):
        return bytes(obj)
    return obj


@pytest.mark.parametrize("path", FRAMES, ids=lambda p: p.stem)
def test_mutated_frames_decode_or_raise_codec_error(path):
    compiled, pure = codec.implementation("compiled"), codec.implementation("pure")
    original = path.read_bytes()
    rnd = random.Random(f"{SEED}-{path.name}")
    decoded = 0
    for _ in range(COUNT):
        frame = mutate(rnd, original)
        got = decode(compiled, frame)
        assert got == decode(pure, frame), f"codecs disagree on {frame.hex()}"
        if got[0] == "ok":
            decoded += 1
            (key, version, corr, _), body = got[1], got[2]
            answer = error_response(key, version, body, -1)
            assert codec.encode_response(key, version, corr, answer)
    assert decoded > 0  # the mutator must also reach past the header


def _captured_batches() -> list[bytes]:
    out = []
    for path in FRAMES:
        if "Produce" in path.name:
            frame = path.read_bytes()
            key, version, _, _, offset = codec.decode_request_header(frame)
            body = codec.decode_request(key, version, frame, offset)
            out += [bytes(p["records"]) for t in body["topic_data"] for p in t["partition_data"]]
    return out


@pytest.mark.parametrize("index", range(len(_captured_batches())))
def test_mutated_batches_validate_or_raise_storage_error(index):
    original = _captured_batches()[index]
    now = int.from_bytes(original[27:35], "big")  # the batch's base timestamp
    # the broker's default limits, from the config table (the engine has no defaults)
    settings = {"max_message_bytes": Config().get_int("message.max.bytes"), "log_append_time": False}
    _native.validate_records(original, now, **settings)  # the captured batch itself is valid
    rnd = random.Random(f"{SEED}-batch-{index}")
    for _ in range(COUNT):
        batch = mutate(rnd, original)
        if rnd.random() < 0.5 and len(batch) > 21:
            # give half of them a correct CRC so the checks behind it see the junk
            crc = _native.crc32c(batch[21:]).to_bytes(4, "big")
            batch = batch[:17] + crc + batch[21:]
        try:
            _native.validate_records(batch, now, **settings)
        except _native.StorageError as e:
            assert e.code in (-1, 2, 10, 32, 45, 47, 87), e
