"""A real PostgreSQL for the integration tests: one cluster per session, on a free loopback
port, in a temp dir the ``postgres`` user can reach.

``initdb`` refuses to run as root, so as root the server binaries run as ``postgres`` through
``runuser``; every parent of the data directory must be traversable by that user, which is
why the cluster lives in its own ``/tmp/sco-pg-*`` dir rather than under pytest's 0700 base
temp dir. ``fsync`` is off: the data is thrown away.

Fixtures: ``postgres_server`` (session). ``PostgresServer.create_database`` gives a test a
database of its own, optionally copied from a migrated template; ``PostgresServer.frozen``
makes the whole cluster hang (SIGSTOP) for the duration of a ``with`` block.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

_START_TIMEOUT_SECONDS = 30
_SERVICE_USER = "postgres"


class PostgresServer:
    """A running cluster. ``url`` points at its default test database ``smartcloudops``."""

    def __init__(self, bin_dir: Path, directory: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.directory = directory
        self.port = port
        self.data = directory / "data"

    @property
    def url(self) -> str:
        return self.url_for("smartcloudops")

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """Create a database (a copy of ``template`` if given) and return its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{clause}')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction."""
        with psycopg.connect(self._dsn(database), autocommit=True) as conn:
            conn.execute(sql.encode())

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Every process of the cluster stopped, as a hung database host looks to its
        clients (connections stay open, nothing answers); resumed on exit, whatever
        happened inside. The postmaster stops first, so no new backend starts meanwhile."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGSTOP)
        stopped = [postmaster]
        try:
            for child in _children(postmaster):
                os.kill(child, signal.SIGSTOP)
                stopped.append(child)
            yield
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--no-locale")  # fmt: skip
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        log = str(self.directory / "postgres.log")
        try:
            self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w",
                      "-t", str(_START_TIMEOUT_SECONDS), "-o", options, "start")  # fmt: skip
        except subprocess.CalledProcessError:
            tail = Path(log).read_text(errors="replace")[-2000:] if Path(log).exists() else ""
            raise RuntimeError(f"PostgreSQL did not start on port {self.port}:\n{tail}") from None
        self.execute('CREATE DATABASE "smartcloudops"')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def _run(self, binary: str, *args: str) -> None:
        command = [str(self.bin_dir / binary), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _SERVICE_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc, no procps needed)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _cluster_dir() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="sco-pg-", dir="/tmp"))
    directory.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(directory, user=_SERVICE_USER, group=None)
    return directory


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session; tests isolate themselves by database."""
    # Imported here, not at the top: this plugin loads before ``require`` and an early
    # import would stop pytest from rewriting that module's asserts.
    from tests.harness.require import free_port, require_binary

    bin_dir = Path(require_binary("pg_ctl")).parent
    if not (bin_dir / "initdb").exists():
        bin_dir = Path(require_binary("initdb")).parent
    directory = _cluster_dir()
    server = PostgresServer(bin_dir, directory, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


#: A database migrated to the head revision, copied (``CREATE DATABASE ... TEMPLATE``) for
#: each test that needs one: migrating once per session instead of once per test.
MIGRATED_TEMPLATE = "sco_migrated_template"


@pytest.fixture(scope="session")
def migrated_template(postgres_server: PostgresServer) -> str:
    from storage.migrations import upgrade_url

    upgrade_url(postgres_server.create_database(MIGRATED_TEMPLATE))
    return MIGRATED_TEMPLATE


@pytest.fixture
def migrated_database(postgres_server: PostgresServer, migrated_template: str) -> Iterator[str]:
    """The URL of a database of this test's own, at the head revision."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres_server.create_database(name, template=migrated_template)
    postgres_server.drop_database(name)


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of this test's own (nothing migrated)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres_server.create_database(name)
    postgres_server.drop_database(name)
