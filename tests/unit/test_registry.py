"""The API registry is the one list: the README's compatibility table and the schema tables must
agree with it, so neither can drift from what the broker really serves."""
import pathlib
import re

from fastlog.handlers.registry import load_all
from fastlog.protocol.codec import request_versions

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_lists_exactly_the_registry():
    registry = load_all()
    rows = {}
    for line in README.read_text().splitlines():
        m = re.match(r"^\| [A-Za-z]+ \((\d+)\) \| (\d+)-(\d+)|^\| [A-Za-z]+ \((\d+)\) \| (\d+) \|", line)
        if m:
            if m.group(1):
                rows[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
            else:
                rows[int(m.group(4))] = (int(m.group(5)), int(m.group(5)))
    served = {key: (spec.min_version, spec.max_version) for key, spec in registry.items()}
    assert rows == served


def test_registry_versions_are_within_the_schema_tables():
    for key, spec in load_all().items():
        low, high = request_versions(key)
        assert low <= spec.min_version <= spec.max_version <= high, spec.name
