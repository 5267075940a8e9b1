"""The one atomic-write helper and the one .properties parser (fastlog.files)."""
from __future__ import annotations

import os

from fastlog.files import atomic_write, parse_properties


def test_atomic_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "meta.properties")
    atomic_write(path, "version=1\n")
    atomic_write(path, "version=1\ncluster.id=abc\n")
    assert open(path, encoding="utf-8").read() == "version=1\ncluster.id=abc\n"
    assert sorted(os.listdir(tmp_path)) == ["meta.properties"]


def test_meta_properties_as_kafka_writes_them():
    text = "#\n#Mon Nov 30 07:00:00 UTC 2026\nnode.id=1\nversion=1\ncluster.id=q1Sh-9_ISia_zwGINzRvyQ\n"
    assert parse_properties(text) == {"node.id": "1", "version": "1", "cluster.id": "q1Sh-9_ISia_zwGINzRvyQ"}
