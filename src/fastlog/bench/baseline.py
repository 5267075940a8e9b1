"""Build and run baseline.c: loopback TCP into a file with no protocol, the machine's limit."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

from fastlog.bench.pinning import Pinning

SOURCE = Path(__file__).with_name("baseline.c")


def build(work_dir: str) -> str:
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("gcc is needed for the baseline")
    exe = os.path.join(work_dir, "fastlog_baseline")
    subprocess.run([gcc, "-O2", "-o", exe, str(SOURCE)], check=True, capture_output=True, text=True)
    return exe


def _on(cpus: Optional[frozenset[int]]):
    """A preexec_fn that pins the child to cpus (None: leave it where the bench runs)."""
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


def run_once(exe: str, total_bytes: int, work_dir: str, timeout: float = 300.0,
             pin: Optional[Pinning] = None) -> float:
    """One transfer of total_bytes; returns the receiver's MB/s (10^6 bytes per second). Pinned,
    the receiver (the broker's part) runs on the broker CPUs and the sender on the load CPUs."""
    out_file = os.path.join(work_dir, "baseline.out")
    recv = subprocess.Popen([exe, "recv", out_file], stdout=subprocess.PIPE, text=True,
                            preexec_fn=_on(pin.broker if pin else None))
    try:
        assert recv.stdout is not None
        first = recv.stdout.readline().split()
        if len(first) != 2 or first[0] != "port":
            raise RuntimeError(f"baseline receiver said {first!r}")
        subprocess.run([exe, "send", first[1], str(total_bytes)], check=True, timeout=timeout,
                       preexec_fn=_on(pin.load if pin else None))
        out, _ = recv.communicate(timeout=timeout)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait()
        try:
            os.unlink(out_file)
        except OSError:
            pass
    words = out.split()
    received, seconds = int(words[1]), float(words[3])
    if received != total_bytes:
        raise RuntimeError(f"baseline received {received} of {total_bytes} bytes")
    return total_bytes / max(seconds, 1e-9) / 1e6


def measure(total_bytes: int, reps: int, pin: Optional[Pinning] = None) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="fastlog-baseline-") as tmp:
        exe = build(tmp)
        run_once(exe, min(total_bytes, 64 << 20), tmp, pin=pin)   # warm-up: first file growth is slower
        return [run_once(exe, total_bytes, tmp, pin=pin) for _ in range(reps)]
