"""The modules of fastlog form layers without a circle (docs/architecture.md, "Seams").

Read from the source with ast (every import, also the ones under `if TYPE_CHECKING:` and inside
functions), so a circle is caught even when Python would tolerate it at run time."""
from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "fastlog"

# Each part of the broker and the parts it may import. Anything not listed (bench, testing,
# kafka_dist, cli) sits on top and may import anything.
LAYERS = {
    "fastlog.files": set(),
    "fastlog.log_throttle": set(),
    "fastlog.cross_loop": set(),
    "fastlog.config": {"fastlog.files"},
    "fastlog.protocol": set(),
    "fastlog.fetch_sessions": {"fastlog.protocol"},
    "fastlog.quotas": {"fastlog.files", "fastlog.protocol"},
    "fastlog.storage": {"fastlog.config", "fastlog.cross_loop", "fastlog.files", "fastlog.protocol"},
    "fastlog.coordinator": {"fastlog.config", "fastlog.files", "fastlog.protocol", "fastlog.storage"},
    "fastlog.security": {"fastlog.config", "fastlog.files", "fastlog.protocol"},
    "fastlog.services": {"fastlog.config", "fastlog.coordinator", "fastlog.fetch_sessions", "fastlog.quotas",
                         "fastlog.security", "fastlog.storage"},
    "fastlog.handlers": {"fastlog.config", "fastlog.coordinator", "fastlog.fetch_sessions", "fastlog.log_throttle",
                         "fastlog.protocol", "fastlog.quotas", "fastlog.security", "fastlog.services",
                         "fastlog.storage"},
    "fastlog.server": {"fastlog.config", "fastlog.coordinator", "fastlog.cross_loop", "fastlog.fetch_sessions",
                       "fastlog.handlers",
                       "fastlog.log_throttle", "fastlog.protocol", "fastlog.quotas", "fastlog.security",
                       "fastlog.services", "fastlog.storage"},
}
# Compiled parts and the package root: leaves anyone may use.
LEAVES = {"fastlog", "fastlog._native", "fastlog._codec"}


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path) -> set[str]:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from fastlog import x` may name a module
    return {m for m in out if m == "fastlog" or m.startswith("fastlog.")}


def _part(module: str) -> str:
    for part in sorted(LAYERS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return module


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path) if m in modules and m != name}
    return graph


def _layer_violations(graph: dict[str, set[str]]) -> list[str]:
    wrong = []
    for module, imported in graph.items():
        part = _part(module)
        if part not in LAYERS:
            continue
        for target in imported:
            other = _part(target)
            if other != part and other not in LAYERS[part] and target not in LEAVES:
                wrong.append(f"{module} imports {target}")
    return sorted(wrong)


def _circles(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return circles


def test_each_part_imports_only_the_layers_below_it():
    wrong = _layer_violations(_graph())
    assert not wrong, "\n".join(wrong)


def test_no_import_circle_between_modules():
    circles = _circles(_graph())
    assert not circles, "\n".join(circles)


def test_the_checks_see_the_old_circle():
    """The circle the seams removed (server -> handlers -> coordinator -> server) is found by both."""
    graph = _graph()
    graph["fastlog.coordinator.groups"] = graph["fastlog.coordinator.groups"] | {"fastlog.server.broker"}
    assert "fastlog.coordinator.groups imports fastlog.server.broker" in _layer_violations(graph)
    assert any(c.startswith("fastlog.coordinator.groups -> fastlog.server.broker") or
               "fastlog.server.broker -> fastlog.coordinator.groups" in c for c in _circles(graph))
