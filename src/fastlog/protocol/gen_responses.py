"""Writes protocol/responses.py: a TypedDict per response struct of schema.py's tables.

    python -m fastlog.protocol.gen_responses        # after changing a response table

tests/unit/test_response_shapes.py fails while the file is out of date. The shapes are for mypy
only: at run time a TypedDict call makes a plain dict, and the codec stays the judge of keys.
So the classes are written under `if TYPE_CHECKING:` and at run time every name is `dict`,
which builds the same dicts without creating ~190 TypedDict classes at every broker start.
"""
from __future__ import annotations

import pathlib

from .schema import _NO_DEFAULT, BOOL, BYTES, FLOAT64, NEVER, RECORDS, RESPONSES, STRING, STRUCT, UUID, Field, Message

TARGET = pathlib.Path(__file__).with_name("responses.py")

HEADER = '''"""Typed shapes of the responses handlers build, one TypedDict per struct of the response tables.

GENERATED from schema.py by `python -m fastlog.protocol.gen_responses`: do not edit by hand.

A shape is a plain dict at run time (`HeartbeatResponse(error_code=27)` is `{"error_code": 27}`),
so building one costs what a dict literal costs. The classes are for mypy only (TYPE_CHECKING):
at run time each name is `dict` itself, as creating the classes took ~20 ms of every broker start.
Every key is optional (total=False): a key left out takes its schema default when encoded, and
keys of newer versions are skipped for older ones.
mypy checks key names and value types; the codec refuses unknown keys at run time anyway.
The comment after each field says what it is, the versions that carry it and any explicit default.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, TypedDict
'''

_PYTHON = {BOOL: "bool", FLOAT64: "float", STRING: "str", BYTES: "bytes", UUID: "bytes",
           RECORDS: "Any"}  # records: bytes, a memoryview or a file region, or None


def _versions(r: tuple[int, int]) -> str:
    if r == NEVER:
        return "none"
    if r[1] >= 0x7FFF:
        return f"v{r[0]}+"
    return f"v{r[0]}" if r[0] == r[1] else f"v{r[0]}-{r[1]}"


def _struct_names(messages: list[Message]) -> dict[tuple[str, str], str]:
    """(api name, Kafka struct name) -> class name: Kafka's struct name, prefixed with the API's
    name where two responses use the same struct name."""
    found: dict[str, set[str]] = {}

    def walk(api: str, fields: tuple[Field, ...]) -> None:
        for f in fields:
            if f.kind == STRUCT:
                found.setdefault(f.type.removeprefix("[]"), set()).add(api)
                walk(api, f.fields)

    for msg in messages:
        walk(msg.name, msg.fields)
    names = {}
    for struct, apis in found.items():
        for api in apis:
            names[(api, struct)] = struct if len(apis) == 1 else _prefixed(api, struct)
    assert len(set(names.values())) == len(names), "two response structs got the same class name"
    return names


def _prefixed(api: str, struct: str) -> str:
    """api + struct, once where they overlap: IncrementalAlterConfigs + AlterConfigsResourceResponse
    -> IncrementalAlterConfigsResourceResponse."""
    for k in range(len(struct) - 1, 0, -1):
        if struct[k].isupper() and api.endswith(struct[:k]):
            return api + struct[k:]
    return api + struct


def render() -> str:
    messages = [RESPONSES[key] for key in sorted(RESPONSES)]
    names = _struct_names(messages)
    classes: list[str] = []
    emitted: set[str] = set()

    def emit(api: str, class_name: str, path: str, doc: str, fields: tuple[Field, ...]) -> None:
        # A common struct used twice in one response (DescribeQuorum's ReplicaState) is one class.
        if class_name in emitted:
            return
        emitted.add(class_name)
        lines = []
        for f in fields:
            if f.kind == STRUCT:
                child = names[(api, f.type.removeprefix("[]"))]
                emit(api, child, f"{path}.{f.name}", f"An item of {path}.{f.name}" if f.is_array
                     else f"{path}.{f.name}", f.fields)
                base = child
            else:
                base = _PYTHON.get(f.kind, "int")
            typ = f"list[{base}]" if f.is_array else base
            if f.nullable != NEVER and base != "Any":
                typ = f"Optional[{typ}]"
            notes = [_versions(f.versions)]
            if f.nullable != NEVER:
                notes.append(f"null {_versions(f.nullable)}")
            if f.tag is not None:
                notes.append(f"tag {f.tag}")
            if f.default is not None and f.default is not _NO_DEFAULT:
                notes.append(f"default {f.default!r}")
            lines.append(f"    {f.name}: {typ}  # {f.doc}; {', '.join(notes)}")
        classes.append(f"    class {class_name}(TypedDict, total=False):\n"
                       f'        """{doc}"""\n\n' + "\n".join("    " + line for line in lines) + "\n")

    for msg in messages:
        name = f"{msg.name}Response"
        emit(msg.name, name, name, f"{msg.name} (API key {msg.api_key}) response, {_versions(msg.versions)}",
             msg.fields)
    runtime = "".join(f"    {name} = dict\n" for name in sorted(emitted))
    return (HEADER + "\nif TYPE_CHECKING:\n" + "\n".join(classes)
            + "else:  # what a TypedDict call makes at run time: a plain dict\n" + runtime)


def main() -> None:
    TARGET.write_text(render())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
