"""Run a real fastlog broker in a child process: for test suites (ours and users') and the bench.

    with BrokerProcess() as broker:
        producer = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap})

The broker listens on a free port of 127.0.0.1 (port 0) and keeps its data in a temporary folder
unless `data_dir` is given. `kill()` sends SIGKILL (a crash); `restart()` starts it again on the
same data folder and the same port.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Optional

READY_LINE = re.compile(r"fastlog serving on (\S+):(\d+)")
LISTENERS = re.compile(r" listeners (\S+)")


class ChildBroker:
    """What every broker run as a child process shares (fastlog here, Apache Kafka in
    fastlog.kafka_dist): its address, liveness, log tail, clean-up and `with` support.
    Subclasses set host, port, proc, data_dir, log_file and _own_dir, and define start/stop/kill."""

    host: str
    port: int
    proc: Optional[subprocess.Popen]
    data_dir: str
    log_file: str
    _own_dir: bool

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def start(self):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def stop(self, timeout: float = 30.0) -> int:  # pragma: no cover
        raise NotImplementedError

    def kill(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def cleanup(self) -> None:
        """Kill it if still running and remove the data folder if we made it."""
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()


class BrokerProcess(ChildBroker):
    """A fastlog broker (`python -m fastlog serve`) on a free port; see the module docstring."""

    def __init__(
        self,
        data_dir: Optional[str] = None,
        overrides: Optional[dict[str, object]] = None,
        port: int = 0,
        startup_timeout: float = 30.0,
        log_file: Optional[str] = None,
    ) -> None:
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="fastlog-test-")
        self.overrides = dict(overrides or {})
        self.port = port
        self.host = "127.0.0.1"
        self.startup_timeout = startup_timeout
        self.log_file = log_file or os.path.join(self.data_dir, "broker.log")
        self.proc: Optional[subprocess.Popen] = None
        self._log: Optional[IO[str]] = None
        # listener name -> bound "host:port", from the ready line (several listeners: docs/security.md)
        self.listeners: dict[str, str] = {}

    def command(self) -> list[str]:
        settings = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "log.dirs": os.path.join(self.data_dir, "logs"),
        }
        settings.update({k: str(v) for k, v in self.overrides.items()})
        if self.listeners:  # a restart binds the ports the first start picked
            settings["listeners"] = ",".join(f"{name}://{address}" for name, address in self.listeners.items())
        cmd = [sys.executable, "-m", "fastlog", "serve"]
        for key, value in settings.items():
            cmd += ["--override", f"{key}={value}"]
        return cmd

    def start(self) -> "BrokerProcess":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        os.makedirs(self.data_dir, exist_ok=True)
        self._log = open(self.log_file, "a", encoding="utf-8")
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        deadline = time.monotonic() + self.startup_timeout
        assert self.proc.stdout is not None
        ready: list[str] = []

        proc, log = self.proc, self._log

        def read_ready_line() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                try:
                    log.write(line)
                except ValueError:  # the log was closed after the process ended
                    pass
                match = READY_LINE.search(line)
                if match and not ready:
                    ready.append(line)
                    self.host, self.port = match.group(1), int(match.group(2))
                    named = LISTENERS.search(line)
                    if named:
                        self.listeners = dict(item.split("://", 1) for item in named.group(1).split(","))
            # keep draining stdout until the process ends so it never blocks on a full pipe

        self._reader = threading.Thread(target=read_ready_line, daemon=True)
        self._reader.start()
        while not ready:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fastlog exited with {self.proc.returncode}; log: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"fastlog did not become ready; log: {self.log_tail()}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, the clean shutdown; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("fastlog did not stop on SIGTERM")
        finally:
            self._close_log()

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed or closed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def restart(self, clean: bool = True) -> "BrokerProcess":
        """Stop (SIGTERM when clean, else SIGKILL) and start again on the same data and port."""
        self.stop() if clean else self.kill()
        return self.start()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
