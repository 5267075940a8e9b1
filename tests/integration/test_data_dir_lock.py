"""One broker per data folder: a second `fastlog serve` on the same log.dirs refuses to start and
names the process holding the folder's `.lock`; the lock goes with its holder, even on SIGKILL."""
from __future__ import annotations

import os

import pytest

from fastlog.testing import BrokerProcess

from clients import consume_confluent, create_topic, produce_confluent, unique_topic


def test_second_broker_on_same_folder_refuses_to_start(tmp_path):
    data = tmp_path / "shared"
    first = BrokerProcess(data_dir=str(data), log_file=str(tmp_path / "first.log")).start()
    second = BrokerProcess(data_dir=str(data), log_file=str(tmp_path / "second.log"))
    try:
        with pytest.raises(RuntimeError, match="exited with 2"):
            second.start()
        message = second.log_tail()
        assert "in use by process %d" % first.pid in message, message
        assert os.path.join(str(data), "logs", ".lock") in message
        # the first broker goes on serving
        topic = unique_topic("lock")
        create_topic(first.bootstrap, topic, 1)
        produce_confluent(first.bootstrap, topic, 10, 1)
        assert len(consume_confluent(first.bootstrap, topic, 10, [0], timeout=30)) == 10
    finally:
        second.kill()
        first.stop()
        first.cleanup()
    # once the holder has gone the folder can be opened again
    third = BrokerProcess(data_dir=str(data), log_file=str(tmp_path / "third.log")).start()
    third.stop()


def test_lock_is_released_by_a_crash(tmp_path):
    broker = BrokerProcess(data_dir=str(tmp_path / "d")).start()
    try:
        broker.kill()
        broker.start()  # SIGKILL left the .lock file but the kernel dropped the flock
        assert broker.alive()
    finally:
        broker.stop()
        broker.cleanup()
