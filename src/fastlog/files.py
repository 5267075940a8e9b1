"""The two small file formats of the broker's own state files, in one place each.

- `atomic_write`: replace a file so that after a crash either the old or the new text is there
  (write a temp file, fsync it, rename it over the old one, fsync the directory so the rename
  itself survives). The catalogue, meta.properties and producer-ids use it.
- `parse_properties`: Java .properties, the subset server.properties and meta.properties use.
"""
from __future__ import annotations

import os


def atomic_write(path: str, text: str, encoding: str = "utf-8") -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding=encoding) as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def parse_properties(text: str) -> dict[str, str]:
    """key=value or key: value lines, # and ! comments, a trailing backslash continues a line."""
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        sep = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if sep < 0:
            key, value = line, ""
        else:
            key, value = line[:sep].strip(), line[sep + 1:].strip()
        out[key] = value
    return out
