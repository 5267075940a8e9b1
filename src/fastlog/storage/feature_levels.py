"""The finalized feature levels (KIP-584) that UpdateFeatures changes, kept across restarts.

Which features exist, their supported ranges and default levels are handlers/_features.py's
business; this is only the state. A level that changes what fastlog answers is kept here
(`transaction.version`: it tells clients which transaction flow to use, see
docs/transactions.md); the others run at their default level whatever UpdateFeatures says.

File `feature-levels` in the data directory, Java properties, replaced atomically:

    epoch=<int>               the number of changes so far (Kafka: the metadata offset of the last one)
    <feature>=<level>         one line per feature whose level differs from its default

No file: every feature at its default, epoch 0.
"""
from __future__ import annotations

import os

from fastlog.files import atomic_write, parse_properties

FILE = "feature-levels"
EPOCH = "epoch"


class FeatureLevels:
    def __init__(self, data_dir: str, defaults: dict[str, int], kept: frozenset[str]) -> None:
        """`defaults`: each feature's level when none was set (0: not finalized); `kept`: the
        features whose level is stored."""
        self.path = os.path.join(data_dir, FILE)
        self.defaults = dict(defaults)
        self.kept = kept
        self.levels = dict(defaults)
        self.epoch = 0
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                stored = parse_properties(f.read())
            self.epoch = int(stored.pop(EPOCH, "0"))
            self.levels.update({name: int(level) for name, level in stored.items() if name in kept})

    def level(self, feature: str) -> int:
        return self.levels.get(feature, 0)

    def finalized(self) -> dict[str, int]:
        """Feature -> level of the finalized features (level 0 is not finalized: left out, as Kafka)."""
        return {name: level for name, level in self.levels.items() if level > 0}

    def set(self, changes: dict[str, int]) -> None:
        """Apply and store `changes` of kept features (one epoch for the lot); others are ignored."""
        applied = {name: level for name, level in changes.items()
                   if name in self.kept and self.levels.get(name) != level}
        if not applied:
            return
        self.levels.update(applied)
        self.epoch += 1
        lines = [f"{EPOCH}={self.epoch}"] + [f"{name}={level}" for name, level in sorted(self.levels.items())
                                              if name in self.kept and level != self.defaults.get(name, 0)]
        atomic_write(self.path, "".join(line + "\n" for line in lines))
