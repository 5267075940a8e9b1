"""`--pin BROKER_CPUS:LOAD_CPUS`: the per-core mode of the bench (issue 12). The brokers run on
one set of CPUs and everything that makes load (client processes, the baseline's sender) on
another, as `taskset` would place them, so a rate is a rate per broker core and the clients do
not compete with the broker for its core.

Affinity is inherited at fork: the bench pins itself to the broker CPUs while it starts the
brokers (so the JVM sizes its thread pools for the cores it really has), then every thread of
each broker process once more, then itself to the load CPUs before any client starts."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Pinning:
    broker: frozenset[int]
    load: frozenset[int]

    def describe(self) -> str:
        return f"brokers on CPU {_cpus(self.broker)}, load on CPU {_cpus(self.load)}"


def _cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def parse(text: str) -> Pinning:
    """'0:1' or '0,1:2,3' -> Pinning; the two sets must be disjoint CPUs this process may use."""
    try:
        broker_text, load_text = text.split(":")
        broker = frozenset(int(c) for c in broker_text.split(","))
        load = frozenset(int(c) for c in load_text.split(","))
    except ValueError:
        raise ValueError(f"--pin wants BROKER_CPUS:LOAD_CPUS such as 0:1, not {text!r}") from None
    allowed = os.sched_getaffinity(0)
    if broker & load:
        raise ValueError(f"--pin {text}: the broker and load CPUs overlap")
    if not (broker | load) <= allowed:
        raise ValueError(f"--pin {text}: this process may only use CPUs {_cpus(frozenset(allowed))}")
    return Pinning(broker, load)


def pin_self(cpus: frozenset[int]) -> None:
    os.sched_setaffinity(0, cpus)


def pin_process(pid: int, cpus: frozenset[int]) -> int:
    """Every thread of `pid` onto `cpus` (sched_setaffinity acts on one thread); threads created
    later inherit it from their creator. Returns how many threads were pinned."""
    pinned = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
            pinned += 1
        except (ProcessLookupError, FileNotFoundError):
            pass   # the thread ended meanwhile
    return pinned
