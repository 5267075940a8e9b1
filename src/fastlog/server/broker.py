"""The broker: owns the logs, the coordinators and the listener; starts and stops them in order."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

from fastlog.config import Config
from fastlog.coordinator.producer_ids import ProducerIdManager
from fastlog.handlers.registry import load_all
from fastlog.server.connection import Connection
from fastlog.storage.log_manager import LogManager

log = logging.getLogger("fastlog.broker")


class Broker:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.node_id = config.node_id
        self.logs = LogManager(config)
        self.producer_ids: Optional[ProducerIdManager] = None
        self.groups: Any = None
        self.host = "127.0.0.1"
        self.port = 0
        self.connections: set[Connection] = set()
        self.apis = load_all()
        self._server: Optional[asyncio.AbstractServer] = None
        self._tasks: list[asyncio.Task] = []

    @property
    def cluster_id(self) -> str:
        return self.logs.cluster_id

    async def start(self) -> None:
        self.logs.open()
        self.producer_ids = ProducerIdManager(self.logs.data_dir)
        self.groups = _group_coordinator(self)
        if self.groups is not None:
            await self.groups.start()
        host, port = self.config.listener()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), host or None, port, reuse_address=True, backlog=1024)
        bound = self._server.sockets[0].getsockname()
        self.host, self.port = self.config.advertised(bound[0], bound[1])
        self._tasks.append(loop.create_task(self.logs.run_maintenance()))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.abort("broker shutting down")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.groups is not None:
            await self.groups.stop()
        self.logs.close()
        log.info("stopped")


def _group_coordinator(broker: Broker) -> Any:
    try:
        from fastlog.coordinator.groups import GroupCoordinator
    except ImportError:
        log.warning("no group coordinator module: consumer groups are not served")
        return None
    return GroupCoordinator(broker)
