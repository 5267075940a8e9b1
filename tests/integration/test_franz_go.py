"""franz-go (github.com/twmb/franz-go: kgo + kadm, the Go Kafka client) against fastlog.

The Go program in franzgo/ does the producing, consuming and checking and prints one JSON line of
results; these tests build it once per session, run it against a fresh broker and assert on that
line. Go is required (CI has it): without it the tests fail, they do not skip.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from clients import CODECS, unique_topic

FRANZGO_DIR = Path(__file__).parent / "franzgo"
COUNT = 20_000
PARTITIONS = 6
COMPRESSION_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


@pytest.fixture(scope="session")
def franzgo_bin(tmp_path_factory) -> Path:
    go = shutil.which("go")
    assert go, "the Go toolchain is required for the franz-go tests (install Go and put `go` on PATH)"
    out = tmp_path_factory.mktemp("franzgo") / "franzgo"
    env = dict(os.environ)
    # -mod=mod lets a fresh machine fetch the pinned modules through the Go proxy; the module
    # cache (GOPATH/GOCACHE defaults) makes later builds quick. No VCS stamping: the tree may
    # belong to another user.
    env["GOFLAGS"] = "-mod=mod -buildvcs=false"
    proc = subprocess.run([go, "build", "-o", str(out), "."], cwd=FRANZGO_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"go build failed:\n{proc.stderr[-4000:]}"
    return out


def run_franzgo(binary: Path, bootstrap: str, *args: str, timeout: float = 90) -> dict:
    proc = subprocess.run([str(binary), "-bootstrap", bootstrap, "-timeout", "60s", *args],
                          capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    assert lines, f"no output (rc {proc.returncode}); stderr:\n{proc.stderr[-4000:]}"
    result = json.loads(lines[-1])
    # The program exits 1 exactly when it recorded errors; both must agree.
    assert result["errors"] == [] and proc.returncode == 0, (
        f"franzgo {' '.join(args)} rc={proc.returncode} errors={result['errors']}\n"
        f"stderr:\n{proc.stderr[-4000:]}")
    return result


@pytest.mark.parametrize("codec", CODECS)
def test_franz_go_roundtrip(franzgo_bin, broker, codec):
    topic = unique_topic(f"franzgo-{codec}")
    res = run_franzgo(franzgo_bin, broker.bootstrap, "-mode", "roundtrip", "-topic", topic,
                      "-codec", codec, "-count", str(COUNT), "-partitions", str(PARTITIONS))
    assert res["produced"] == res["consumed"] == COUNT
    assert res["steps"] == ["create_topic", "produce", "consume", "list_end_offsets"]
    per_part = {int(p): n for p, n in res["per_partition"].items()}
    # keys hash over all partitions; every one was read back in full
    assert sorted(per_part) == list(range(PARTITIONS))
    assert all(n > 0 for n in per_part.values()) and sum(per_part.values()) == COUNT
    counts = {int(t): n for t, n in res["extra"]["compression_counts"].items()}
    assert sum(counts.values()) == COUNT
    # franz-go skips compressing a batch that would not shrink, so most, not all, are compressed
    assert counts.get(COMPRESSION_IDS[codec], 0) * 2 >= COUNT
    assert set(counts) <= {0, COMPRESSION_IDS[codec]}


def test_franz_go_consumer_groups(franzgo_bin, broker):
    topic = unique_topic("franzgo-group")
    res = run_franzgo(franzgo_bin, broker.bootstrap, "-mode", "group", "-topic", topic, "-codec", "lz4",
                      "-count", str(COUNT), "-partitions", str(PARTITIONS))
    # run 1 reads COUNT and commits; COUNT/2 more are produced; run 2 reads only those
    assert res["produced"] == res["consumed"] == COUNT + COUNT // 2
    # then two members of a fresh group split the partitions 3/3 (cooperative-sticky) and read all;
    # OffsetDelete and DeleteGroups on the first group
    assert res["steps"] == ["group_run1", "group_run2", "group_pair", "list_groups", "delete_offsets",
                            "delete_group"]
    assert res["extra"]["pair"] == f"state Stable, member partition counts [3 3], read {COUNT + COUNT // 2}"
    committed = {int(p): o for p, o in res["extra"]["committed_after_run1"].items()}
    assert sorted(committed) == list(range(PARTITIONS)) and sum(committed.values()) == COUNT


def test_franz_go_admin(franzgo_bin, broker):
    topic = unique_topic("franzgo-admin")
    res = run_franzgo(franzgo_bin, broker.bootstrap, "-mode", "admin", "-topic", topic)
    assert res["steps"] == [
        "create_topic", "create_existing_topic", "list_brokers", "list_topics",
        "describe_broker_configs", "describe_topic_configs", "produce", "list_start_offsets", "list_end_offsets",
        "list_offsets_after_milli", "delete_records", "list_start_offsets_after_delete",
        "create_partitions", "delete_topic", "auto_create_topic",
    ]
    assert res["produced"] == 10 + 20 + 30 + 1
    assert res["extra"]["auto_created_partitions"] >= 1
    assert res["extra"]["topic_configs"] > 1 and res["extra"]["broker_configs"] > 1


def test_franz_go_group_transact_session(franzgo_bin, broker):
    """kgo.GroupTransactSession copies a topic in transactions with the group's offsets: the
    read_committed copy holds every record exactly once (see the txn mode in franzgo/main.go)."""
    topic = unique_topic("fg-txn")
    res = run_franzgo(franzgo_bin, broker.bootstrap, "-mode", "txn", "-topic", topic, "-count", "2000",
                      "-partitions", "3", timeout=150)
    assert res["consumed"] == 2000 and res["extra"]["committed_total"] == 2000
    assert res["extra"]["transactions"] >= 1


def test_franz_go_reports_failures(franzgo_bin, broker):
    """The checker is not a rubber stamp: a roundtrip onto a topic that already holds data fails."""
    topic = unique_topic("franzgo-dup")
    run_franzgo(franzgo_bin, broker.bootstrap, "-mode", "roundtrip", "-topic", topic, "-count", "100")
    proc = subprocess.run([str(franzgo_bin), "-bootstrap", broker.bootstrap, "-mode", "roundtrip",
                           "-topic", topic, "-count", "100", "-timeout", "30s"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    errors = json.loads(proc.stdout.strip().splitlines()[-1])["errors"]
    assert any("TOPIC_ALREADY_EXISTS" in e for e in errors), errors
