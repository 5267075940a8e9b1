"""Command line: `fastlog serve` / `python -m fastlog serve`, like kafka-server-start, and
`fastlog verify`, like `kafka-dump-log --verify`.

    fastlog serve [--config server.properties] [--override key=value ...]
    fastlog verify DATA_DIR     check every partition folder offline; exit 1 on any finding
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Optional, Sequence

from fastlog.config import Config, ConfigError
from fastlog.storage.log_manager import DataDirInUse


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="fastlog", description="A Kafka-compatible single-node broker")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the broker")
    serve.add_argument("--config", help="server.properties file")
    serve.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                       help="set a config key (repeatable), after the file")
    serve.add_argument("--log-level", default="INFO")
    verify = sub.add_parser("verify", help="check a data folder offline (batch framing, CRCs, offsets, indexes)")
    verify.add_argument("data_dir", help="the broker's log.dirs folder, or one partition folder")
    args = parser.parse_args(argv)
    if args.command == "verify":
        return verify_data_dir(args.data_dir)

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = Config.load(args.config, args.override)
    except (ConfigError, OSError) as e:
        print(f"fastlog: {e}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(config))
    except (ConfigError, DataDirInUse) as e:
        print(f"fastlog: {e}", file=sys.stderr)
        return 2


def verify_data_dir(data_dir: str) -> int:
    """Print what the engine's offline check finds in each partition folder of `data_dir` (a
    folder holding `.log` files); 0 when nothing was found, 1 on any WARN or ERROR, 2 if there
    is no partition folder. Read-only: safe beside a running broker, though then the active
    segments may show a half-written last batch."""
    from fastlog import _native

    def has_segments(path: str) -> bool:
        return os.path.isdir(path) and any(n.endswith(".log") for n in os.listdir(path))

    if has_segments(data_dir):
        partitions = [data_dir]
    elif os.path.isdir(data_dir):
        partitions = sorted(p for p in (os.path.join(data_dir, n) for n in os.listdir(data_dir)) if has_segments(p))
    else:
        partitions = []
    if not partitions:
        print(f"fastlog verify: no partition folder (with .log files) in {data_dir}", file=sys.stderr)
        return 2
    problems = 0
    for path in partitions:
        name = os.path.basename(os.path.normpath(path))
        for level, message in _native.verify_partition(path):
            problems += level != "INFO"
            print(f"{level} {name}: {message}")
    print(f"{len(partitions)} partitions checked, {problems} problems found")
    return 1 if problems else 0


async def _serve(config: Config) -> int:
    from fastlog.server.broker import Broker

    broker = Broker(config)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The first address is the first listener's advertised one (what testing.READY_LINE reads);
    # then every bound listener.
    print(f"fastlog serving on {broker.host}:{broker.port} listeners {broker.describe_listeners()}", flush=True)
    await stop.wait()
    await broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
