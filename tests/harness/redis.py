"""A real ``redis-server`` for the integration tests, on a free loopback port in a temp dir.

``redis_server`` is one server for the whole session (tests isolate themselves by key prefix);
``private_redis_server`` is a server of the test's own, for tests that stop, restart, pause
(SIGSTOP: a hung Redis) and resume it.

The server runs in the foreground as our child rather than ``--daemonize yes``: the harness holds
the process handle, so stopping waits for the real exit and nothing outlives the session.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_START_TIMEOUT_SECONDS = 10.0


class RedisServer:
    """One ``redis-server`` process that a test can stop and start again on the same port."""

    def __init__(self, binary: str, directory: Path, port: int) -> None:
        self.binary = binary
        self.directory = directory
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (same port as before) and wait until it answers PING."""
        if self.running:
            return
        log = (self.directory / "redis.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    *("--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--dir", str(self.directory), "--daemonize", "no"),
                    *("--save", "", "--appendonly", "no", "--loglevel", "warning"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_until_ready()

    def stop(self) -> None:
        """Shut the server down without saving and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=_START_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections are accepted but never answered."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port} did not start:\n{log}")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _started(tmp: Path) -> RedisServer:
    # Imported here, not at the top: conftest loads every harness module as a plugin in name
    # order, and importing a sibling first would stop pytest from rewriting its asserts.
    from tests.harness.require import free_port, require_binary

    server = RedisServer(require_binary("redis-server"), tmp, free_port())
    server.start()
    return server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis shared by the session: isolate by key prefix and never stop it."""
    server = _started(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def private_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, free to be stopped and restarted."""
    server = _started(tmp_path)
    yield server
    server.stop()
