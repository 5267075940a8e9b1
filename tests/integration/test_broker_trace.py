"""FASTLOG_TRACE_FILE: a real broker, a real client, the trace the latency-tails tool reads."""
from __future__ import annotations

from confluent_kafka import Producer

from fastlog.server import trace


def test_broker_traces_every_request_when_asked(broker_factory, monkeypatch, tmp_path):
    path = tmp_path / "trace.jsonl"
    monkeypatch.setenv(trace.ENV, str(path))
    broker = broker_factory()
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0})
    for i in range(20):
        producer.produce("traced", b"record %d" % i)
        producer.flush(30)
    broker.stop()  # the trace's last lines are written at stop
    events = trace.read(str(path))
    assert {e["kind"] for e in events} <= {"request", "lag", "gc"}
    produces = [e for e in events if e["kind"] == "request" and e["api"] == 0]
    assert len(produces) >= 20
    for e in produces:
        assert 0 <= e["handler_ms"] <= e["total_ms"] and e["bytes"] > 0
    assert any(e["api"] == 3 for e in events if e["kind"] == "request")   # Metadata
    for e in events:
        if e["kind"] == "lag":
            assert min(e["ran_ms"], e["waited_ms"], e["blocked_ms"]) >= 0


def test_no_trace_file_unless_asked(broker, tmp_path):
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce("untraced", b"x")
    assert producer.flush(30) == 0
    broker.stop()
    assert not list(tmp_path.rglob("*.jsonl"))
