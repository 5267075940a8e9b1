"""Producer id allocation for idempotent producers (InitProducerId without a transactional id).

Ids must never repeat across restarts: a new producer handed an id that an old one used would
collide with the old one's sequence state in the logs. Ids are handed out from blocks; the end of
the current block is persisted (file `producer-ids`, one decimal number, replaced atomically)
before any id of the block is used, so after a crash the next start begins past every id used.
"""
from __future__ import annotations

import os

from fastlog.files import atomic_write

BLOCK = 1000


class ProducerIdManager:
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, "producer-ids")
        self.next_id = 0
        self.block_end = 0
        if os.path.exists(self.path):
            with open(self.path, encoding="ascii") as f:
                self.next_id = self.block_end = int(f.read().strip() or 0)

    def new_id(self) -> int:
        if self.next_id >= self.block_end:
            self._reserve(self.next_id + BLOCK)
        pid = self.next_id
        self.next_id += 1
        return pid

    def _reserve(self, block_end: int) -> None:
        atomic_write(self.path, str(block_end), encoding="ascii")
        self.block_end = block_end
