"""The typed response shapes (fastlog.protocol.responses) are current with the schema tables, and
mypy uses them to refuse a misspelled key in a handler before any test runs it."""
from __future__ import annotations

import pathlib
import subprocess
import sys

from fastlog.protocol import codec, gen_responses, responses

SRC = pathlib.Path(__file__).resolve().parents[2] / "src" / "fastlog"


def test_generated_shapes_are_current():
    assert gen_responses.TARGET.read_text() == gen_responses.render(), \
        "protocol/responses.py is out of date: run python -m fastlog.protocol.gen_responses"


def test_a_shape_is_a_plain_dict_the_codec_encodes():
    body = responses.HeartbeatResponse(error_code=27)
    assert type(body) is dict
    for name in codec.IMPLEMENTATIONS:
        frame = bytes.fromhex("0000000c" "00000001" "00" "00000000" "001b" "00")
        assert codec.implementation(name).encode_response(12, 4, 1, body) == [frame]


def test_mypy_checks_handlers_against_the_shapes(tmp_path):
    """The handlers type-check, and the same run rejects a misspelled key and a wrong value type."""
    typo = tmp_path / "typo_handler.py"
    typo.write_text(
        "from fastlog.protocol.responses import HeartbeatResponse, FetchPartitionData\n"
        "def answer() -> HeartbeatResponse:\n"
        "    return {'eror_code': 27}\n"
        "def part() -> FetchPartitionData:\n"
        "    return FetchPartitionData(partition_index='0')\n")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
         str(SRC / "handlers"), str(SRC / "protocol"), str(typo)],
        capture_output=True, text=True, timeout=300)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert all(line.startswith(str(typo)) for line in errors), proc.stdout + proc.stderr
    assert any('"eror_code"' in line for line in errors), proc.stdout
    assert any("partition_index" in line for line in errors), proc.stdout
    assert len(errors) == 2, proc.stdout
