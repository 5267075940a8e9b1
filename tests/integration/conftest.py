"""Fixtures that run a real fastlog broker process (see fastlog.testing)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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


@pytest.fixture(scope="session")
def streams_classpath(tmp_path_factory) -> str:
    """The Kafka Streams test application (streams/, a Maven project against kafka-streams from Maven
    Central), built once per session; its jar and dependencies as a java -cp classpath."""
    streams_dir = Path(__file__).parent / "streams"
    mvn = shutil.which("mvn")
    assert mvn, "Maven is needed to build the Kafka Streams test application"
    out = tmp_path_factory.mktemp("streams")
    build = subprocess.run([mvn, "-q", "-B", "package", "-DskipTests"],
                           cwd=streams_dir, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    cp_file = out / "classpath.txt"
    cp = subprocess.run([mvn, "-q", "-B", "dependency:build-classpath", f"-Dmdep.outputFile={cp_file}"],
                        cwd=streams_dir, capture_output=True, text=True, timeout=600)
    assert cp.returncode == 0, cp.stdout[-3000:] + cp.stderr[-3000:]
    jar = streams_dir / "target" / "eos-streams-1.jar"
    assert jar.exists(), "the streams app jar was not built"
    return f"{jar}:{cp_file.read_text().strip()}"
