"""kill -9 of a process in the middle of appends: every append that returned survives."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from storage_batches import BASE_TS, batch, open_log, parse_batches

HERE = Path(__file__).resolve().parent

WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from storage_batches import batch, open_log, ZSTD
    log = open_log({path!r}, segment_bytes=200_000, index_interval_bytes=512)
    i = 0
    while True:
        codec = ZSTD if i % 5 == 0 else 0
        r = log.append(batch([b"%08d" % i + b"p" * (i % 700)] * 3, codec=codec,
                             producer_id=9, producer_epoch=0, base_sequence=3 * i), {now})
        print(r.last_offset, flush=True)
        i += 1
    """
)


def test_kill_9_loses_no_acknowledged_append(tmp_path):
    path = str(tmp_path / "p")
    now = BASE_TS + 1000
    code = WRITER.format(here=str(HERE), path=path, now=now)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    acked = -1
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            acked = int(line)
            if acked >= 3 * 3000 or time.monotonic() > deadline:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # Anything printed after our last read may also be in the log: at least `acked`.
    assert acked > 300
    log = open_log(path, segment_bytes=200_000, index_interval_bytes=512)
    leo = log.log_end_offset
    assert leo >= acked + 1 and leo % 3 == 0
    offset, seen = 0, 0
    while offset < leo:
        got = parse_batches(log.read(offset, 1 << 20).tobytes())
        for b in got:
            assert b["crc_ok"] and b["base_offset"] == offset
            offset += b["records_count"]
            seen += 1
    assert seen == leo // 3
    # Producer state was rebuilt from the log: the next sequence continues, a retry is a duplicate.
    n = leo // 3
    dup = log.append(batch([b"x"] * 3, producer_id=9, producer_epoch=0, base_sequence=3 * (n - 1)), now)
    assert dup.duplicate and dup.base_offset == leo - 3
    assert log.append(batch([b"x"] * 3, producer_id=9, producer_epoch=0, base_sequence=3 * n), now).base_offset == leo
    log.close()
