"""Fixtures that run a real fastlog broker process (see fastlog.testing)."""
from __future__ import annotations

import pytest

from fastlog.testing import BrokerProcess


@pytest.fixture
def broker_factory(tmp_path):
    """Start brokers with chosen overrides; every one is stopped at the end of the test."""
    started: list[BrokerProcess] = []

    def start(overrides=None, data_dir=None) -> BrokerProcess:
        proc = BrokerProcess(data_dir=str(data_dir or tmp_path / f"broker{len(started)}"), overrides=overrides)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        if proc.alive():
            proc.stop()
        proc.cleanup()


@pytest.fixture
def broker(broker_factory) -> BrokerProcess:
    """A fresh broker with default settings, on a free port, data in the test's tmp dir."""
    return broker_factory()


@pytest.fixture(scope="session")
def kafka_reference():
    """A real Apache Kafka broker with its default settings (fastlog.kafka_dist), shared by the
    side-by-side tests of a run, for answers to compare fastlog's with."""
    from fastlog import kafka_dist

    kafka = kafka_dist.KafkaBroker().start()
    yield kafka
    kafka.stop()
    kafka.cleanup()
