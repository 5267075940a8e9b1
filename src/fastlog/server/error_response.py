"""The answer to a request whose handler failed unexpectedly: the API's own response shape with
every error code set, like Kafka's AbstractRequest.getErrorResponse.

Kafka writes one getErrorResponse per API; this builds it from the schema instead. The response
mirrors the request's lists (topics -> partitions, groups, resources) so that a client sees its
error on every item it asked about: for each list of structs in the response it takes the
request's list of the same name, else the request's only list when the response has only one
list at that level too, and copies the
fields that identify an item (name, partition index, topic id, group id, ...). Every field whose
name ends in `error_code` gets the code; offsets, watermarks and timestamps not taken from the
request are -1 (Kafka's "unknown"); everything else keeps the schema's default.
"""
from __future__ import annotations

import re
from typing import Any

from fastlog.protocol import schema

# Response field -> request field names that carry the same identity, where the names differ.
_SAME_AS = {
    "name": ("topic", "topic_name", "resource_name", "key"),
    "partition_index": ("partition", "index"),
    "index": ("partition_index", "partition"),
    "group_id": ("key", "name"),
    "resource_name": ("name",),
    "member_id": ("member",),
    "user": ("name",),
}
# Response lists that answer the items of several request lists together, in order
# (AlterUserScramCredentials: one result per user of the deletions and the upsertions).
_JOINED = {"results": ("deletions", "upsertions")}
_UNKNOWN_OFFSET = re.compile(r"offset|watermark|timestamp")
_SCALAR_TYPES = {schema.STRING: str, schema.INT8: int, schema.INT16: int, schema.INT32: int,
                 schema.INT64: int, schema.UUID: bytes, schema.BOOL: bool}


def error_response(api_key: int, api_version: int, request: dict, code: int) -> dict:
    """The response to `request` (decoded) with `code` in every error_code field."""
    return _fill(schema.plan("response", api_key, api_version).body, request, code)


def _fill(sp: schema.StructPlan, source: Any, code: int) -> dict:
    out = schema.default_struct(sp)
    if isinstance(source, str):
        # an item of a request list of names (DeleteTopics v1-5 names, DescribeGroups ids)
        source = {"name": source, "group_id": source}
    elif isinstance(source, int) and not isinstance(source, bool):
        source = {"partition_index": source}  # OffsetFetch's partition_indexes
    elif not isinstance(source, dict):
        source = {}
    # fields absent at the request's version decode to empty lists: only non-empty ones count
    lists = [v for v in source.values() if isinstance(v, list) and v]
    # the request's only list answers the response's only (untagged) list of structs
    only_list = len(lists) == 1 and sum(fp.is_array and fp.kind == schema.STRUCT for fp in sp.fields) == 1
    for fp in sp.fields + sp.tagged:
        if fp.name.endswith("error_code"):
            out[fp.name] = code
        elif fp.is_array and fp.kind == schema.STRUCT:
            items = source.get(fp.name)
            if not isinstance(items, list):
                joined = [item for name in _JOINED.get(fp.name, ()) for item in source.get(name) or []]
                items = joined or (lists[0] if only_list and fp.tag < 0 else [])
            out[fp.name] = [_fill(fp.child, item, code) for item in items]  # type: ignore[arg-type]
        elif fp.kind == schema.STRUCT and not fp.is_array:
            out[fp.name] = _fill(fp.child, {}, code)  # type: ignore[arg-type]
        elif not fp.is_array and fp.kind in _SCALAR_TYPES:
            for name in (fp.name,) + _SAME_AS.get(fp.name, ()):
                value = source.get(name)
                if _fits(fp, value):
                    out[fp.name] = value
                    break
            else:
                if fp.kind == schema.INT64 and _UNKNOWN_OFFSET.search(fp.name):
                    out[fp.name] = -1  # Kafka's INVALID_OFFSET / no timestamp in error answers
    return out


def _fits(fp: schema.FieldPlan, value: Any) -> bool:
    wanted = _SCALAR_TYPES[fp.kind]
    if value is None or isinstance(value, bool) != (wanted is bool):
        return False
    if fp.kind == schema.UUID:
        return isinstance(value, bytes) and len(value) == 16
    return isinstance(value, wanted)
