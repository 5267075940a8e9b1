"""Mutated batches (with a correct CRC, so the record walk and decompressors see the junk) must
give a StorageError or a clean append: never a crash, a panic or a hang."""
from __future__ import annotations

import random
import struct

import pytest

from fastlog._native import StorageError

from storage_batches import BASE_TS, GZIP, LZ4, NONE, SNAPPY, ZSTD, batch, crc32c_ref, open_log, parse_batches

NOW = BASE_TS + 1000


def recrc(b: bytearray) -> bytes:
    struct.pack_into(">I", b, 17, crc32c_ref(bytes(b[21:])))
    return bytes(b)


@pytest.mark.parametrize("codec", [NONE, GZIP, SNAPPY, LZ4, ZSTD])
def test_mutated_batches_never_crash(tmp_path, codec):
    rnd = random.Random(codec)
    log = open_log(str(tmp_path / "p"))
    good = batch([b"value-%d" % i * (i % 7) for i in range(20)], keys=[b"k"] * 20,
                 headers=[(b"h", b"v")], codec=codec)
    appended = 0
    for _ in range(400):
        b = bytearray(good)
        for _ in range(rnd.randrange(1, 4)):
            pos = rnd.randrange(21, len(b))  # from the attributes on: header fields and payload
            b[pos] = rnd.randrange(256)
        try:
            r = log.append(recrc(b), NOW)
            appended += 1
            assert r.last_offset == log.log_end_offset - 1
            # What was accepted reads back whole, with a valid CRC.
            got = parse_batches(log.read(r.base_offset, 0).tobytes())
            assert got[0]["base_offset"] == r.base_offset and got[0]["crc_ok"]
        except StorageError as e:
            assert e.code in (-1, 2, 10, 32, 45, 47, 87), e
    # The log still opens cleanly after all that.
    log.close()
    assert open_log(str(tmp_path / "p")).log_end_offset >= appended
