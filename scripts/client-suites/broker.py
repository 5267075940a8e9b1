"""Run a command against a fresh single-node broker: fastlog (the subject) or Apache Kafka (the
control), both with the same settings, then stop the broker whatever the command did.

    python3 broker.py --broker fastlog --set num.partitions=4 -- go test ./pkg/kgo

The command sees the broker's address as $BOOTSTRAP (host:port) and its exit code is ours.
`{port}` in a setting's value is the broker's port (for advertised.listeners, which suites'
own fixtures set and some tests read back).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--broker", choices=("fastlog", "kafka"), default="fastlog")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a broker setting, given to both brokers alike")
    parser.add_argument("--log", help="copy the broker's log here when done")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to run")
    from fastlog.kafka_dist import KafkaBroker, free_port
    from fastlog.testing import BrokerProcess

    port = free_port()
    settings = {key: value.replace("{port}", str(port))
                for key, value in (item.split("=", 1) for item in args.set)}
    broker: BrokerProcess | KafkaBroker
    if args.broker == "fastlog":
        broker = BrokerProcess(overrides=settings, port=port)
    else:
        broker = KafkaBroker(properties=settings, port=port)
        if "node.id" in settings:   # the single voter is this node, under the id the suite wants
            broker.extra_properties["controller.quorum.voters"] = \
                f"{settings['node.id']}@127.0.0.1:{broker.controller_port}"
    with broker:
        print(f"{args.broker} serving on {broker.bootstrap}", file=sys.stderr, flush=True)
        env = dict(os.environ, BOOTSTRAP=broker.bootstrap)
        try:
            code = subprocess.call(command, env=env)
        finally:
            if args.log:
                with open(args.log, "w", encoding="utf-8") as out:
                    out.write(broker.log_tail(50_000_000))
    return code


if __name__ == "__main__":
    sys.exit(main())
