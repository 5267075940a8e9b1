"""CPU time and memory of a broker process (and its children) from /proc; Linux only."""
from __future__ import annotations

import os
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return kids


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += _children(p)
    return pids


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            # the command name (field 2) may contain spaces: split after its closing parenthesis
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS   # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def _status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class Snapshot:
    cpu_s: float        # user + system CPU seconds of the whole process tree
    rss_bytes: int      # current resident set size, summed over the tree
    peak_rss_bytes: int  # VmHWM (high-water mark) summed over the tree


def snapshot(pid: int) -> Snapshot:
    pids = process_tree(pid)
    return Snapshot(
        cpu_s=sum(_cpu_seconds(p) for p in pids),
        rss_bytes=sum(_status_kib(p, "VmRSS") for p in pids) * 1024,
        peak_rss_bytes=sum(_status_kib(p, "VmHWM") for p in pids) * 1024,
    )
