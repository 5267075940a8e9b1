"""Work a broker start leaves for first use stays there (docs/bench.md, "Time to ready"): the
schema tables' fields are parsed per message when a request first needs them, and the generated
response shapes are plain `dict` at run time (their TypedDict classes exist only for mypy)."""
from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json
from fastlog.server.broker import Broker
from fastlog.handlers.registry import load_all
from fastlog.protocol import responses, schema

load_all()
tables = list(schema.REQUESTS.values()) + list(schema.RESPONSES.values())
parsed_at_start = [m.name for m in tables if m._fields is not None]
metadata = schema.plan("request", 3, 12)
print(json.dumps({
    "parsed_at_start": parsed_at_start,
    "parsed_after_plan": sorted(f"{m.kind} {m.name}" for m in tables if m._fields is not None),
    "metadata_fields": [f.name for f in metadata.body.fields],
    "shape_is_dict": responses.MetadataResponse is dict and responses.HeartbeatResponse is dict,
}))
"""


def test_a_start_parses_no_table_and_a_plan_parses_only_its_own():
    # A fresh interpreter: other tests of this session have parsed tables already.
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(out.stdout)
    assert found["parsed_at_start"] == []
    assert found["parsed_after_plan"] == ["request Metadata"]
    assert found["metadata_fields"][:2] == ["topics", "allow_auto_topic_creation"]
    assert found["shape_is_dict"]
