"""Our schema tables for the Kafka messages fastlog speaks, and the per-version plans both codecs walk.

The tables live in protocol/messages/, one module per API (its `TABLE`), in a compact text format
(one line per field, nesting by two-space indentation), transcribed from the facts of Kafka 4.1's
message definitions and cross-checked against the kafka-clients jar by tests/unit/test_codec_schema.py:

    request|response API_KEY Name MIN-MAX flex=V+|none
      field_name type versions [null=VERSIONS] [tag=N[@VERSIONS]] [=DEFAULT]   # meaning

- type: int8 int16 int32 int64 uint16 float64 bool string bytes uuid records, `[]T` for an array
  of T, or a struct name (children follow, indented); `[]Name` is an array of structs.
- versions: `N+`, `N-M`, `N`, or `none`. `null=` gives the nullable versions; `tag=N` marks a
  tagged field (KIP-482), tagged in the field's versions unless `@VERSIONS` says otherwise.
- `=DEFAULT`: Kafka's explicit default (`null`, `true`/`false`, ints, `""`). Without one a field
  defaults to 0 / "" / b"" / [] / False / zero uuid, or None when it is nullable in some version.

- `# meaning`: what the field is, in a few words (shown in protocol/responses.py too).

Only the APIs a handler serves have tables (a test checks it against the registry).
Versions are the ones Kafka 4.4 accepts (unstable latest versions left out), except Produce,
which keeps v0-v2 so that a broker can answer them properly (Kafka 4 itself rejects them).
Field names are Kafka's names in snake_case (`snake_case("ThrottleTimeMs") == "throttle_time_ms"`).
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from typing import Any, NamedTuple, Optional


class CodecError(ValueError):
    """Malformed, truncated or unencodable protocol data (both codec implementations raise it)."""


# Kind codes shared by the pure-Python twin and the compiled codec.
INT8, INT16, INT32, INT64, UINT16, FLOAT64, BOOL, STRING, BYTES, UUID, RECORDS, STRUCT = range(1, 13)
_KINDS = {
    "int8": INT8, "int16": INT16, "int32": INT32, "int64": INT64, "uint16": UINT16,
    "float64": FLOAT64, "bool": BOOL, "string": STRING, "bytes": BYTES, "uuid": UUID,
    "records": RECORDS,
}
ZERO_UUID = bytes(16)
NEVER = (1, 0)  # an empty version range


def snake_case(name: str) -> str:
    """Kafka's CamelCase field name -> our dict key (`TopicId` -> `topic_id`)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def parse_versions(text: str) -> tuple[int, int]:
    """`3+` -> (3, 32767), `0-12` -> (0, 12), `5` -> (5, 5), `none` -> NEVER."""
    if text == "none":
        return NEVER
    if text.endswith("+"):
        return (int(text[:-1]), 0x7FFF)
    lo, _, hi = text.partition("-")
    return (int(lo), int(hi or lo))


def _in(versions: tuple[int, int], v: int) -> bool:
    return versions[0] <= v <= versions[1]


class Field(NamedTuple):
    name: str
    type: str  # as written in the table: "int32", "[]int32", "[]Topic", "Assignment", ...
    versions: tuple[int, int]
    nullable: tuple[int, int]
    tag: Optional[int]
    tag_versions: tuple[int, int]
    default: Any  # parsed explicit default, or _NO_DEFAULT
    fields: tuple["Field", ...]  # children of a struct (or array of structs)
    doc: str = ""  # its meaning in a few words (the table's `# comment`)

    @property
    def is_array(self) -> bool:
        return self.type.startswith("[]")

    @property
    def kind(self) -> int:
        base = self.type[2:] if self.is_array else self.type
        return _KINDS.get(base, STRUCT)


class Message:
    """One request or response table. Its fields are parsed from the table text on first use: a
    broker start needs a few of the ~130 messages, and parsing them all took ~8 ms of every start."""

    __slots__ = ("api_key", "name", "kind", "versions", "flexible", "_text", "_span", "_fields")

    def __init__(self, api_key: int, name: str, kind: str, versions: tuple[int, int], flexible: tuple[int, int],
                 text: str, span: tuple[int, int]) -> None:
        self.api_key = api_key
        self.name = name
        self.kind = kind  # "request" or "response"
        self.versions = versions
        self.flexible = flexible
        self._text = text  # the tables' text, and where this message's field lines are in it
        self._span = span
        self._fields: Optional[tuple[Field, ...]] = None

    @property
    def fields(self) -> tuple[Field, ...]:
        if self._fields is None:
            start, end = self._span
            self._fields = _parse_fields(self._text[start:end].splitlines())
        return self._fields

    def __repr__(self) -> str:
        return f"Message({self.kind} {self.api_key} {self.name} {self.versions} flex={self.flexible})"


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


_NO_DEFAULT = _NoDefault()


def _parse_default(text: str) -> Any:
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text == '""':
        return ""
    return int(text, 0)


def _parse_field(line: str) -> tuple[int, Field]:
    indent = len(line) - len(line.lstrip(" "))
    line, _, doc = line.partition("#")
    name, ftype, versions, *opts = line.split()
    nullable, tag, tag_versions, default = NEVER, None, NEVER, _NO_DEFAULT
    for opt in opts:
        if opt.startswith("null="):
            nullable = parse_versions(opt[5:])
        elif opt.startswith("tag="):
            tag_text, _, tv = opt[4:].partition("@")
            tag = int(tag_text)
            tag_versions = parse_versions(tv or versions)
        elif opt.startswith("="):
            default = _parse_default(opt[1:])
        else:
            raise ValueError(f"bad schema option {opt!r} in {line!r}")
    # Interned: handlers' literal keys then match by identity in dict lookups.
    return indent, Field(sys.intern(name), ftype, parse_versions(versions), nullable, tag, tag_versions, default,
                         (), doc.strip())


def _parse_tables(text: str) -> tuple[dict[int, Message], dict[int, Message]]:
    """Each table's header line now; `Message.fields` parses its field lines when first asked."""
    requests: dict[int, Message] = {}
    responses: dict[int, Message] = {}
    headers: list[tuple[int, int, str]] = []  # (header start, end of the header line, the line)
    pos = 0
    for line in text.splitlines(keepends=True):
        if not line.startswith(" ") and line.strip() and not line.startswith("#"):
            headers.append((pos, pos + len(line), line))
        pos += len(line)
    for i, (_, body_start, line) in enumerate(headers):
        body_end = headers[i + 1][0] if i + 1 < len(headers) else len(text)
        kind, key, name, versions, flex = line.split()
        msg = Message(int(key), name, kind, parse_versions(versions), parse_versions(flex[5:]), text,
                      (body_start, body_end))
        (requests if kind == "request" else responses)[msg.api_key] = msg
    return requests, responses


def _parse_fields(lines: list[str]) -> tuple[Field, ...]:
    root: list = []
    stack: list = [(0, root)]  # (indent, children list) while reading nested fields
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):  # blank or comment lines between fields
            continue
        indent, field = _parse_field(line)
        while stack[-1][0] >= indent and len(stack) > 1:
            stack.pop()
        node: list = [field, []]
        stack[-1][1].append(node)
        stack.append((indent, node[1]))
    return _freeze(root)


def _freeze(nodes: list) -> tuple[Field, ...]:
    return tuple(field._replace(fields=_freeze(children)) for field, children in nodes)


# --------------------------------------------------------------------------------------------
# Plans: one message at one version, flattened for the codecs to walk.

class FieldPlan(NamedTuple):
    name: str
    kind: int
    is_array: bool
    nullable: bool  # at this version
    default: Any  # immutable default; see `fresh_default` for lists and structs
    child: Optional["StructPlan"]
    tag: int  # -1 when not tagged at this version


class StructPlan(NamedTuple):
    fields: tuple[FieldPlan, ...]  # present and untagged at this version, in wire order
    tagged: tuple[FieldPlan, ...]  # tagged at this version, by tag
    absent: tuple[FieldPlan, ...]  # not in this version: decode fills in defaults
    # Every name the struct has at any version: encode refuses a dict key outside it (a typo),
    # while a known field that this version lacks is skipped (one handler dict serves all versions).
    known: frozenset[str]
    path: str  # where the struct is, for error messages: "ProduceResponse v9.responses"


class MessagePlan(NamedTuple):
    api_key: int
    version: int
    flexible: bool
    body: StructPlan


def _field_default(f: Field) -> Any:
    if f.default is not _NO_DEFAULT:
        return f.default
    if f.nullable != NEVER:
        return None
    if f.is_array:
        return []
    return {INT8: 0, INT16: 0, INT32: 0, INT64: 0, UINT16: 0, FLOAT64: 0.0, BOOL: False,
            STRING: "", BYTES: b"", UUID: ZERO_UUID, RECORDS: None, STRUCT: {}}[f.kind]


def _struct_plan(fields: tuple[Field, ...], v: int, path: str) -> StructPlan:
    present, tagged, absent = [], [], []
    for f in fields:
        child = _struct_plan(f.fields, v, f"{path}.{f.name}") if f.kind == STRUCT else None
        tag = f.tag if f.tag is not None and _in(f.tag_versions, v) else -1
        tagged_here = tag >= 0
        plan = FieldPlan(f.name, f.kind, f.is_array, _in(f.nullable, v), _field_default(f), child, tag)
        if not _in(f.versions, v):
            absent.append(plan)
        elif tagged_here:
            tagged.append(plan)
        else:
            present.append(plan)
    tagged.sort(key=lambda p: p.tag)
    return StructPlan(tuple(present), tuple(tagged), tuple(absent), frozenset(f.name for f in fields), path)


def unknown_fields_error(sp: StructPlan, body: dict) -> CodecError:
    """The error for dict keys that `sp` has at no version (both codecs raise it on encode)."""
    import difflib  # only for this error's hints: it costs ~3 ms of every broker start

    unknown = sorted(str(k) for k in body if k not in sp.known)
    hints = [f"did you mean {close[0]!r}?" for k in unknown
             for close in [difflib.get_close_matches(k, sp.known, n=1)] if close]
    return CodecError(f"unknown field {', '.join(map(repr, unknown))} in {sp.path}"
                      + (f" ({' '.join(hints)})" if hints else ""))


def fresh_default(fp: FieldPlan) -> Any:
    """The default value of a field, as a new object when it is mutable (list, struct dict)."""
    d = fp.default
    if d is None:
        return None
    if fp.is_array:
        return []
    if fp.kind == STRUCT:
        return default_struct(fp.child)  # type: ignore[arg-type]
    return d


def default_struct(sp: StructPlan) -> dict:
    out = {}
    for group in (sp.fields, sp.tagged, sp.absent):
        for fp in group:
            out[fp.name] = fresh_default(fp)
    return out


_PLANS: dict[tuple[str, int, int], MessagePlan] = {}


def plan(kind: str, api_key: int, version: int) -> MessagePlan:
    """The plan of a request or response at one version; CodecError if we do not know it."""
    key = (kind, api_key, version)
    p = _PLANS.get(key)
    if p is None:
        table = REQUESTS if kind == "request" else RESPONSES
        msg = table.get(api_key)
        if msg is None or not _in(msg.versions, version):
            raise CodecError(f"unsupported {kind} api_key={api_key} version={version}")
        p = MessagePlan(api_key, version, _in(msg.flexible, version),
                        _struct_plan(msg.fields, version, f"{msg.name}{kind.capitalize()} v{version}"))
        _PLANS[key] = p
    return p


def is_flexible(api_key: int, api_version: int) -> bool:
    """True when this request version uses compact types, tagged fields and header v2."""
    msg = REQUESTS.get(api_key)
    return msg is not None and _in(msg.versions, api_version) and _in(msg.flexible, api_version)


def request_versions(api_key: int) -> tuple[int, int]:
    """(min, max) request versions our tables define for an API; KeyError if unknown."""
    return REQUESTS[api_key].versions


# --------------------------------------------------------------------------------------------

def _load_tables() -> str:
    """The TABLE text of every module of protocol/messages/ (one per served API), by module name."""
    from . import messages
    names = sorted(info.name for info in pkgutil.iter_modules(messages.__path__))
    return "\n".join(importlib.import_module(f"{messages.__name__}.{name}").TABLE for name in names)


TABLES = _load_tables()
REQUESTS, RESPONSES = _parse_tables(TABLES)
API_NAMES: dict[int, str] = {key: msg.name for key, msg in REQUESTS.items()}
