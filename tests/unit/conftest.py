"""Fixtures shared by the unit tests."""
from __future__ import annotations

import pytest

from fastlog.config import Config
from fastlog.storage.log_manager import LogManager


@pytest.fixture
def logs(tmp_path):
    """An open LogManager with default settings over the test's tmp dir, closed afterwards."""
    manager = LogManager(Config({"log.dirs": str(tmp_path)}))
    manager.open()
    yield manager
    manager.close()
