"""The Rust engine's own checks, run from the Python suite so that CI runs them too:
`cargo test` of rust/fastlog-core, `cargo clippy -D warnings` of both crates, and mypy.stubtest
of the hand-written stubs of fastlog._native."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_stubs_match_the_module():
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", "fastlog._native"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.timeout(1200)
def test_cargo_test_fastlog_core():
    cargo = shutil.which("cargo")
    assert cargo, "cargo is needed to build fastlog (see scripts/test.sh)"
    # --release shares the dependency builds of `pip install` (setuptools-rust builds release).
    r = subprocess.run([cargo, "test", "--release", "-p", "fastlog-core"], capture_output=True, text=True,
                       timeout=1100, cwd=ROOT / "rust")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-5000:]
    assert "test result: ok" in out


@pytest.mark.timeout(1200)
def test_cargo_clippy_has_no_warnings():
    cargo = shutil.which("cargo")
    assert cargo, "cargo is needed to build fastlog (see scripts/test.sh)"
    r = subprocess.run([cargo, "clippy", "--release", "--all-targets", "--", "-D", "warnings"],
                       capture_output=True, text=True, timeout=1100, cwd=ROOT / "rust")
    assert r.returncode == 0, (r.stdout + r.stderr)[-5000:]
