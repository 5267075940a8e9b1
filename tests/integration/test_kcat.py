"""kcat (the apt package, built on an older librdkafka than confluent-kafka's) against fastlog:
metadata listing, producing (every codec, keys, headers), consuming to the end, offset lookups.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from clients import CODECS, create_topic, unique_topic

KCAT = shutil.which("kcat") or shutil.which("kafkacat")
assert KCAT, "kcat is required (apt install kcat)"


def kcat(bootstrap: str, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    proc = subprocess.run([KCAT, "-b", bootstrap, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"kcat {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return proc.stdout


def test_kcat_lists_metadata(broker):
    topic = unique_topic("kcat-md")
    create_topic(broker.bootstrap, topic, 3)
    md = json.loads(kcat(broker.bootstrap, "-L", "-J", "-t", topic))
    assert len(md["brokers"]) == 1
    host, port = broker.bootstrap.rsplit(":", 1)
    assert md["brokers"][0]["name"] == f"{host}:{port}"
    [t] = [t for t in md["topics"] if t["topic"] == topic]
    assert "error" not in t or not t["error"]
    assert sorted(p["partition"] for p in t["partitions"]) == [0, 1, 2]
    assert all(p["leader"] == md["brokers"][0]["id"] for p in t["partitions"])

    # plain text listing of all topics mentions ours too
    text = kcat(broker.bootstrap, "-L")
    assert f'topic "{topic}" with 3 partitions' in text


@pytest.mark.parametrize("codec", CODECS)
def test_kcat_produce_consume(broker, codec):
    topic = unique_topic(f"kcat-{codec}")
    create_topic(broker.bootstrap, topic, 2)
    lines = [f"key{i}:value-{i}-{'x' * (i % 50)}" for i in range(500)]
    kcat(broker.bootstrap, "-P", "-t", topic, "-p", "1", "-K", ":", "-z", codec, "-H", "origin=kcat",
         stdin="\n".join(lines) + "\n")
    out = kcat(broker.bootstrap, "-C", "-t", topic, "-p", "1", "-o", "beginning", "-e", "-q",
               "-f", "%o|%k|%s|%h\n")
    got = out.splitlines()
    assert len(got) == len(lines)
    for i, line in enumerate(got):
        offset, key, value, headers = line.split("|")
        assert (int(offset), key, value) == (i, f"key{i}", f"value-{i}-{'x' * (i % 50)}")
        assert headers == "origin=kcat"
    # partition 0 got nothing: consuming it to the end gives nothing
    assert kcat(broker.bootstrap, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q") == ""


def test_kcat_auto_creates_topic_when_producing(broker):
    topic = unique_topic("kcat-auto")
    kcat(broker.bootstrap, "-P", "-t", topic, stdin="one\ntwo\nthree\n")
    out = kcat(broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n")
    assert sorted(out.split()) == ["one", "three", "two"]


def test_kcat_offset_queries(broker):
    topic = unique_topic("kcat-q")
    create_topic(broker.bootstrap, topic, 1)
    kcat(broker.bootstrap, "-P", "-t", topic, "-p", "0", stdin="a\nb\nc\n")
    # negative offsets count from the end
    out = kcat(broker.bootstrap, "-C", "-t", topic, "-p", "0", "-o", "-2", "-e", "-q", "-f", "%o:%s\n")
    assert out.splitlines() == ["1:b", "2:c"]
    # -Q: first offset at or after a timestamp (ListOffsets); a timestamp far in the future: end (-1)
    out = kcat(broker.bootstrap, "-Q", "-t", f"{topic}:0:0")
    assert "offset 0" in out, out
    out = kcat(broker.bootstrap, "-Q", "-t", f"{topic}:0:99999999999999")
    assert "offset -1" in out, out
