"""What TLS costs, fastlog beside Kafka: `python -m fastlog.bench.tls [--mb 200] [--reps 2]`.

Each broker runs a PLAINTEXT and an SSL listener (TLS 1.3, a throwaway CA and an EC P-256 server
certificate made with the `cryptography` package, PEM keystore on both). Per repetition and per
broker and listener (the order alternates between repetitions, so drift favours no one): one
librdkafka producer sends --mb of 1 KiB records (acks=1, no compression) to a fresh 6-partition
topic, then one consumer reads them back from the start. Printed and returned: MB/s and the
broker's CPU seconds per GB moved, per broker, listener and direction.

Fetch over TLS cannot use sendfile on fastlog (the TLS transport encrypts in user space), nor on
Kafka (its SSL transport copies through the JVM's SSLEngine); both pay for encryption in the
broker process. fastlog also decrypts every produce request in its Python event loop thread.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from typing import Any, Optional

from fastlog import kafka_dist as kd
from fastlog.bench import load, procstats

PARTITIONS = 6
LISTENERS = ("PLAINTEXT", "SSL")


def make_certificates(folder: str) -> tuple[str, str]:
    """A CA (ca.pem) and a PEM keystore for 127.0.0.1/localhost (server.pem: unencrypted PKCS#8
    key, then the certificate). Returns their paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("fastlog bench CA")).issuer_name(name("fastlog bench CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, keystore = os.path.join(folder, "ca.pem"), os.path.join(folder, "server.pem")
    with open(ca_file, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(keystore, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return ca_file, keystore


class Broker:
    """One broker under test with both listeners: name, bootstrap per listener, pid, handle."""

    def __init__(self, name: str, bootstraps: dict[str, str], pid: int, handle: Any) -> None:
        self.name, self.bootstraps, self.pid, self.handle = name, bootstraps, pid, handle

    def cpu(self) -> float:
        return procstats.snapshot(self.pid).cpu_s

    def stop(self) -> None:
        try:
            self.handle.stop()
        finally:
            self.handle.cleanup()


def start_fastlog(keystore: str) -> Broker:
    from fastlog.testing import BrokerProcess

    proc = BrokerProcess(startup_timeout=60, overrides={
        "listeners": "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": keystore})
    proc.start()
    assert proc.proc is not None
    return Broker("fastlog", dict(proc.listeners), proc.proc.pid, proc)


def start_kafka(keystore: str) -> Broker:
    kafka = kd.KafkaBroker(startup_timeout=180)
    ssl_port = kd.free_port()
    kafka.extra_properties.update({
        "listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SSL://127.0.0.1:{ssl_port},"
                     f"CONTROLLER://127.0.0.1:{kafka.controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{kafka.port},SSL://127.0.0.1:{ssl_port}",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL",
        "ssl.keystore.type": "PEM", "ssl.keystore.location": keystore})
    kafka.start()
    assert kafka.pid is not None
    return Broker("kafka", {"PLAINTEXT": kafka.bootstrap, "SSL": f"127.0.0.1:{ssl_port}"}, kafka.pid, kafka)


def client_settings(listener: str, ca_file: str) -> dict[str, Any]:
    return {"security.protocol": "SSL", "ssl.ca.location": ca_file} if listener == "SSL" else {}


def create_topic(bootstrap: str) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"bench-tls-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept referenced until the answer: else _DESTROY
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result(30)
    time.sleep(1.0)  # Kafka elects the new partitions' leaders asynchronously
    return name


def measure(broker: Broker, listener: str, ca_file: str, total_bytes: int, timeout: float) -> dict[str, Any]:
    """Produce then consume over one listener; MB/s and broker CPU seconds per GB of each."""
    bootstrap = broker.bootstraps[listener]
    settings = client_settings(listener, ca_file)
    topic = create_topic(broker.bootstraps["PLAINTEXT"])
    out: dict[str, Any] = {"broker": broker.name, "listener": listener}
    for direction, fn, kwargs in (
            ("produce", load.produce_throughput, {"total_bytes": total_bytes, "settings": {**settings, "acks": "1"}}),
            ("consume", load.consume_all, {"settings": settings, "timeout": timeout})):
        cpu0 = broker.cpu()
        (result,) = load.run_workers([(fn, {"bootstrap": bootstrap, "topic": topic, **kwargs})], timeout + 30)
        cpu = broker.cpu() - cpu0
        if result.get("error") or result.get("failed"):
            out[direction] = {"error": result.get("error") or f"{result['failed']} failed: {result.get('errors')}"}
            continue
        out[direction] = {"mb_s": round(result["mb_s"], 1),
                          "broker_cpu_s_per_gb": round(cpu / (result["bytes"] / 1e9), 2),
                          "client_cpu": round(result["client_cpu_s"] / result["seconds"], 2)}
    return out


def run(brokers: list[str], mb: int, reps: int, timeout: float, say=print) -> dict[str, Any]:
    started = dt.datetime.now(dt.timezone.utc)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fastlog-bench-tls-") as folder:
        ca_file, keystore = make_certificates(folder)
        starters = {"fastlog": start_fastlog, "kafka": start_kafka}
        live: list[Broker] = []
        try:
            for name in brokers:
                live.append(starters[name](keystore))
                say(f"{name} serving {live[-1].bootstraps}")
            for rep in range(reps):
                pairs = [(b, listener) for b in live for listener in LISTENERS]
                for broker, listener in pairs if rep % 2 == 0 else pairs[::-1]:
                    row = measure(broker, listener, ca_file, mb * 1_000_000, timeout)
                    results.append({"rep": rep + 1, **row})
                    say(json.dumps(results[-1]))
        finally:
            for broker in live:
                broker.stop()
    return {"started": started.isoformat(timespec="seconds"), "mb": mb, "reps": reps,
            "loadavg": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None,
            "results": results}


def summary(result: dict[str, Any]) -> list[str]:
    """One line per broker, listener and direction: MB/s and broker CPU s/GB of each repetition."""
    lines = []
    keys = sorted({(r["broker"], r["listener"]) for r in result["results"]})
    for broker, listener in keys:
        for direction in ("produce", "consume"):
            runs = [r[direction] for r in result["results"] if (r["broker"], r["listener"]) == (broker, listener)]
            speeds = " / ".join(str(r.get("mb_s", "error")) for r in runs)
            cpu = " / ".join(str(r.get("broker_cpu_s_per_gb", "-")) for r in runs)
            lines.append(f"{broker:8} {listener:10} {direction:8} MB/s {speeds:24} broker CPU s/GB {cpu}")
    return lines


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastlog.bench.tls", description=__doc__.split("\n")[0])
    parser.add_argument("--brokers", default="fastlog,kafka", help="fastlog, kafka or both (default)")
    parser.add_argument("--mb", type=int, default=200, help="MB produced, then consumed, per run")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per client run")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    brokers = [b for b in args.brokers.split(",") if b]
    if "kafka" in brokers and kd.missing_tools():
        raise SystemExit(f"Apache Kafka cannot run here: {kd.missing_tools()} not found")
    result = run(brokers, args.mb, args.reps, args.timeout)
    print("\n".join(summary(result)))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    errors = [r for r in result["results"] if "error" in r.get("produce", {}) or "error" in r.get("consume", {})]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
