"""`python -m fastlog.bench` from an installed package: the Kafka pom ships inside the package,
and without Java/Maven the bench says so and what to run instead."""
from __future__ import annotations

import fnmatch
import os
import pathlib
import subprocess
import sys

import tomllib

import fastlog
from fastlog import kafka_dist

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_the_kafka_pom_is_package_data():
    package = pathlib.Path(fastlog.__file__).resolve().parent
    pom = kafka_dist.DEFAULT_POM
    assert pom.exists() and pom.parent.parent == package
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["fastlog"]
    for needed in (pom, kafka_dist.log4j_config(pom)):
        relative = needed.relative_to(package).as_posix()
        assert needed.exists() and any(fnmatch.fnmatch(relative, g) for g in globs), relative
    assert kafka_dist.kafka_version(pom).startswith("4.")


def test_bench_without_java_names_what_is_missing_and_the_alternatives(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # neither java nor mvn on PATH
    env.pop("FASTLOG_KAFKA_CLASSPATH", None)
    proc = subprocess.run([sys.executable, "-m", "fastlog.bench", "--smoke", "--brokers", "kafka",
                           "--out-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    assert "java and mvn not found" in proc.stderr
    assert "--brokers fastlog" in proc.stderr and "--against HOST:PORT" in proc.stderr


def test_the_bench_starts_fastlog_byte_compiled():
    """As after `pip install`: every module has current bytecode before the startup is timed,
    also where PYTHONDONTWRITEBYTECODE=1 keeps Python from writing it on import."""
    import importlib.util

    from fastlog.bench.runner import byte_compile_fastlog

    package = pathlib.Path(fastlog.__file__).resolve().parent
    config_source = package / "config.py"
    cached = pathlib.Path(importlib.util.cache_from_source(str(config_source)))
    cached.unlink(missing_ok=True)
    byte_compile_fastlog()
    assert cached.exists()
    for source in (package / "server" / "connection.py", package / "storage" / "log_manager.py"):
        assert pathlib.Path(importlib.util.cache_from_source(str(source))).exists(), source
