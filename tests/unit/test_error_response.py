"""The UNKNOWN_SERVER_ERROR answer to a failed handler (server/error_response.py): for every API
and version fastlog serves, built from a request with one item in each list, it encodes, and
after decoding every error code in it is the one given and every item asked about is answered."""
from __future__ import annotations

import pytest

from fastlog.handlers.registry import load_all
from fastlog.protocol import codec, schema
from fastlog.server.error_response import error_response

UNKNOWN_SERVER_ERROR = -1
CASES = [(spec.key, v) for spec in load_all().values() for v in range(spec.min_version, spec.max_version + 1)]


def request_with_one_of_each(sp: schema.StructPlan) -> dict:
    out = schema.default_struct(sp)
    for fp in sp.fields + sp.tagged:
        if fp.is_array and fp.kind == schema.STRUCT:
            out[fp.name] = [request_with_one_of_each(fp.child)]  # type: ignore[arg-type]
        elif fp.is_array and fp.kind == schema.STRING:
            out[fp.name] = ["item"]
        elif fp.is_array and fp.kind == schema.INT32:
            out[fp.name] = [7]
        elif fp.kind == schema.STRING:
            out[fp.name] = "item"
        elif fp.kind == schema.INT32 and not fp.is_array and fp.name.startswith("partition"):
            out[fp.name] = 7
    return out


def error_codes(sp: schema.StructPlan, obj: dict, path: str = "") -> list[tuple[str, int]]:
    """(path, value) of every error code field present at this version."""
    found = []
    for fp in sp.fields + sp.tagged:
        value = obj[fp.name]
        if fp.name.endswith("error_code"):
            found.append((path + fp.name, value))
        elif fp.kind == schema.STRUCT:
            for item in (value or []) if fp.is_array else [value]:
                found += error_codes(fp.child, item, path + fp.name + ".")  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize("api_key,version", CASES, ids=[f"{codec.API_NAMES.get(k, k)}-v{v}" for k, v in CASES])
def test_error_answer_encodes_with_the_code_everywhere(api_key, version):
    request = request_with_one_of_each(schema.plan("request", api_key, version).body)
    answer = error_response(api_key, version, request, UNKNOWN_SERVER_ERROR)
    frame = b"".join(bytes(p) for p in codec.encode_response(api_key, version, 42, answer))
    corr, decoded = codec.decode_response(api_key, version, frame[4:])
    assert corr == 42
    codes = error_codes(schema.plan("response", api_key, version).body, decoded)
    assert codes, "the answer carries no error code at all"
    assert {code for _, code in codes} == {UNKNOWN_SERVER_ERROR}, codes


def test_items_are_named_as_asked():
    produce = {"acks": 1, "topic_data": [{"name": "t", "partition_data": [{"index": 3, "records": b""}]}]}
    answer = error_response(0, 9, produce, UNKNOWN_SERVER_ERROR)
    [topic] = answer["responses"]
    assert topic["name"] == "t"
    assert [(p["index"], p["error_code"], p["base_offset"]) for p in topic["partition_responses"]] == \
        [(3, UNKNOWN_SERVER_ERROR, -1)]
    fetch = {"topics": [{"topic": "t", "partitions": [{"partition": 5}]}]}
    answer = error_response(1, 11, fetch, UNKNOWN_SERVER_ERROR)
    assert answer["error_code"] == UNKNOWN_SERVER_ERROR
    assert answer["responses"][0]["topic"] == "t"
    assert answer["responses"][0]["partitions"][0]["partition_index"] == 5
    assert answer["responses"][0]["partitions"][0]["high_watermark"] == -1
    names = error_response(20, 3, {"topic_names": ["a", "b"]}, UNKNOWN_SERVER_ERROR)
    assert [(r["name"], r["error_code"]) for r in names["responses"]] == [("a", -1), ("b", -1)]
