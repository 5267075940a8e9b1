"""Round trips of ApiVersions v0 on a connection of each network loop (the first on the main loop):
wall time and broker CPU per request, to price a hop to the main loop (20261201-network-loops-ab.md).
Run from the project root: PYTHONPATH=src python3 bench-results/20261201-hop-probe.py"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from clients import RawConnection  # noqa: E402

from fastlog.bench import procstats  # noqa: E402
from fastlog.testing import BrokerProcess  # noqa: E402

N = 3000
b = BrokerProcess(overrides={"num.network.threads": 3}).start()
try:
    conns = [RawConnection(b.bootstrap) for _ in range(3)]
    for c in conns: c.api_versions(0)
    for rnd in range(2):
        for i, c in enumerate(conns):
            cpu0 = procstats._cpu_seconds(b.proc.pid); t0 = time.perf_counter()
            for _ in range(N): c.api_versions(0)
            t1 = time.perf_counter(); cpu1 = procstats._cpu_seconds(b.proc.pid)
            print(f"conn{i} ({'main' if i == 0 else 'net'}): {(t1-t0)/N*1e6:.1f} us round trip, broker {(cpu1-cpu0)/N*1e6:.1f} us CPU")
finally:
    b.stop()
