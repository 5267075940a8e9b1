"""Command line: `fastlog serve` / `python -m fastlog serve`, like kafka-server-start.

    fastlog serve [--config server.properties] [--override key=value ...]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
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
    args = parser.parse_args(argv)

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


async def _serve(config: Config) -> int:
    from fastlog.server.broker import Broker

    broker = Broker(config)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"fastlog serving on {broker.host}:{broker.port}", flush=True)
    await stop.wait()
    await broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
