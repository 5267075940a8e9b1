"""Cross-check our schema tables against the message specs inside Kafka's own kafka-clients jar.

The jar comes from Maven Central through mvn (cached in ~/.m2). This test must not skip: if the
jar cannot be had, it fails.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile

import pytest

from fastlog.handlers.registry import load_all
from fastlog.protocol import schema
from fastlog.protocol.schema import NEVER, parse_versions, snake_case

KAFKA_VERSION = "4.4.0"


@pytest.fixture(scope="session")
def kafka_specs(tmp_path_factory) -> dict[tuple[int, str], dict]:
    """(api_key, "request"|"response") -> parsed JSON spec from the kafka-clients jar."""
    mvn = shutil.which("mvn")
    assert mvn, "mvn is needed to fetch kafka-clients from Maven Central"
    out = tmp_path_factory.mktemp("kafka-clients")
    proc = subprocess.run(
        [mvn, "-q", "-B", "dependency:copy",
         f"-Dartifact=org.apache.kafka:kafka-clients:{KAFKA_VERSION}", f"-DoutputDirectory={out}"],
        capture_output=True, text=True, timeout=600,
    )
    jar = out / f"kafka-clients-{KAFKA_VERSION}.jar"
    assert proc.returncode == 0 and jar.exists(), f"mvn failed: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    specs = {}
    with zipfile.ZipFile(jar) as z:
        for name in z.namelist():
            if not re.fullmatch(r"common/message/\w+\.json", name):
                continue
            text = z.read(name).decode("utf-8")
            # The spec files carry // comment lines (license header, notes).
            spec = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("//")))
            if spec.get("type") in ("request", "response"):
                specs[(spec["apiKey"], spec["type"])] = spec
    assert len(specs) > 100, "the jar's message specs were not found"
    return specs


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return max(a[0], b[0]) <= min(a[1], b[1])


def _clip(r: tuple[int, int], ours: tuple[int, int]) -> tuple[int, int]:
    """A version range as seen within our message's versions (empty -> NEVER)."""
    lo, hi = max(r[0], ours[0]), min(r[1], ours[1])
    return (lo, hi) if lo <= hi else NEVER


def _default(value) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if value == "":
        return ""
    if value == "null":
        return None
    if value in ("true", "false"):
        return value == "true"
    return int(value, 0)


def _compare_fields(path: str, ours: tuple, theirs: list, common: dict, vr: tuple[int, int], problems: list):
    theirs = [f for f in theirs if _overlaps(parse_versions(f["versions"]), vr)]
    our_names = [f.name for f in ours]
    their_names = [snake_case(f["name"]) for f in theirs]
    if our_names != their_names:
        problems.append(f"{path}: fields {our_names} != kafka {their_names}")
        return
    for mine, spec in zip(ours, theirs):
        where = f"{path}.{mine.name}"
        if mine.type != spec["type"]:
            problems.append(f"{where}: type {mine.type} != {spec['type']}")
        if _clip(mine.versions, vr) != _clip(parse_versions(spec["versions"]), vr):
            problems.append(f"{where}: versions {mine.versions} != {spec['versions']}")
        # Nullability only matters where the field exists.
        their_null = parse_versions(spec.get("nullableVersions", "none"))
        if _clip(_clip(mine.nullable, mine.versions), vr) != \
                _clip(_clip(their_null, parse_versions(spec["versions"])), vr):
            problems.append(f"{where}: nullable {mine.nullable} != {spec.get('nullableVersions')}")
        if mine.tag != spec.get("tag"):
            problems.append(f"{where}: tag {mine.tag} != {spec.get('tag')}")
        theirs = parse_versions(spec["taggedVersions"]) if "taggedVersions" in spec else None
        if theirs is not None and _clip(mine.tag_versions, vr) != _clip(theirs, vr):
            problems.append(f"{where}: tagged versions {mine.tag_versions} != {spec['taggedVersions']}")
        has_default = mine.default is not schema._NO_DEFAULT
        if has_default != ("default" in spec) or (has_default and mine.default != _default(spec["default"])):
            problems.append(f"{where}: default {mine.default!r} != {spec.get('default')!r}")
        base = spec["type"][2:] if spec["type"].startswith("[]") else spec["type"]
        children = spec.get("fields")
        if children is None and base in common:
            children = common[base]
        _compare_fields(where, mine.fields, children or [], common, vr, problems)


def _kafka_range(spec: dict, request_spec: dict) -> tuple[int, int]:
    lo, hi = parse_versions(spec["validVersions"])
    # Versions marked unstable are not served by a default Kafka 4.1 broker; a response follows
    # its request's stability.
    if request_spec.get("latestVersionUnstable"):
        hi = min(hi, parse_versions(request_spec["validVersions"])[1] - 1)
    return lo, hi


@pytest.mark.parametrize("kind", ["request", "response"])
def test_tables_match_kafka(kafka_specs, kind):
    table = schema.REQUESTS if kind == "request" else schema.RESPONSES
    problems: list[str] = []
    for key, msg in sorted(table.items()):
        spec = kafka_specs.get((key, kind))
        assert spec is not None, f"api key {key} has no {kind} spec in kafka-clients"
        if spec["name"] != msg.name + kind.capitalize():
            problems.append(f"{key}: name {msg.name} vs {spec['name']}")
        lo, hi = _kafka_range(spec, kafka_specs[(key, "request")])
        if key == 0:
            lo = 0  # Produce keeps v0-v2 on purpose (answered with UNSUPPORTED_VERSION by handlers)
        if msg.versions != (lo, hi):
            problems.append(f"{msg.name} {kind}: versions {msg.versions} != kafka {(lo, hi)}")
        if _clip(msg.flexible, msg.versions) != _clip(parse_versions(spec["flexibleVersions"]), msg.versions):
            problems.append(f"{msg.name} {kind}: flexible {msg.flexible} != {spec['flexibleVersions']}")
        common = {c["name"]: c["fields"] for c in spec.get("commonStructs", [])}
        _compare_fields(f"{msg.name}{kind.capitalize()}", msg.fields, spec["fields"], common, msg.versions, problems)
    assert not problems, "\n".join(problems)


def test_the_tables_are_exactly_the_served_apis():
    """A table is kept for each API a handler serves, and only for those (an unserved API's
    table would be an untested transcription; it comes back with its handler)."""
    served = set(load_all())
    assert set(schema.REQUESTS) == served == set(schema.RESPONSES)
    for key in served:
        assert schema.REQUESTS[key].versions == schema.RESPONSES[key].versions


def test_every_field_says_what_it_means():
    def undocumented(path: str, fields: tuple) -> list[str]:
        return [p for f in fields
                for p in ([] if f.doc else [f"{path}.{f.name}"]) + undocumented(f"{path}.{f.name}", f.fields)]

    missing = [p for table in (schema.REQUESTS, schema.RESPONSES) for msg in table.values()
               for p in undocumented(f"{msg.name}{'Request' if table is schema.REQUESTS else 'Response'}", msg.fields)]
    assert not missing, f"fields without a `# meaning` in protocol/messages/: {missing}"


def test_the_cross_check_can_fail(kafka_specs):
    """The comparison notices a wrong version, type, nullability or tag."""
    msg = schema.REQUESTS[0]
    spec = kafka_specs[(0, "request")]
    f = msg.fields[0]
    for broken in (f._replace(versions=(4, 0x7FFF)), f._replace(type="bytes"),
                   f._replace(nullable=NEVER), f._replace(tag=5), f._replace(default="")):
        problems: list[str] = []
        _compare_fields("Produce", (broken,) + msg.fields[1:], spec["fields"], {}, msg.versions, problems)
        assert problems, broken
