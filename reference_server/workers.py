"""`dnc serve --workers N`: N uvicorn worker processes sharing one listening socket.

The parent binds the socket (`dnc_kit.serving.bind_socket`: TCP_NODELAY for every accepted
connection, uvicorn #3149), starts the workers through uvicorn's supervisor (which also
replaces a worker that dies) and prints the readiness line once every worker serves. Each
worker builds its own app from the settings the parent resolved, passed in the environment
(the same place DNC_API_KEYS came from). Workers share nothing in memory, which is why the
CLI refuses N > 1 without Redis. Every worker holds the edge of `dnc_kit.serving` (deadlines,
connection cap): it travels with the config.

A worker asks the kernel to kill it when the parent dies (PR_SET_PDEATHSIG), so a kill -9 of
`dnc serve` takes its workers with it instead of leaving orphans serving on the port.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping

import uvicorn
from starlette.types import ASGIApp
from uvicorn.supervisors import Multiprocess

from dnc_kit import serving
from reference_server.settings import Settings

__all__ = ["API_PATH", "WORKER_ENV", "serve_workers", "worker_app", "worker_settings_env"]

WORKER_ENV = "DNC_WORKER_SETTINGS"
API_PATH = "/v1"
_PR_SET_PDEATHSIG = 1


def worker_settings_env(settings: Settings, *, access_log: bool, log_level: str) -> dict[str, str]:
    payload = {
        "api_keys": dict(settings.api_keys),
        "db_path": str(settings.db_path),
        "database_url": settings.database_url,
        "redis_url": settings.redis_url,
        "rate_window_s": settings.rate_window_s,
        "rate_limits": dict(settings.rate_limits),
        "access_log": access_log,
        "log_level": log_level,
    }
    return {WORKER_ENV: json.dumps(payload)}


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def worker_app() -> ASGIApp:
    """uvicorn's app factory in each worker process."""
    from reference_server.app import create_app
    from reference_server.logs import configure_logging

    _die_with_parent()
    payload = json.loads(os.environ[WORKER_ENV])
    configure_logging(getattr(logging, str(payload.pop("log_level")).upper()))
    access_log = bool(payload.pop("access_log"))
    settings = Settings(**{k: v for k, v in payload.items() if v is not None})
    return create_app(settings, access_log=access_log)


class _Supervisor(Multiprocess):
    def __init__(
        self, config: uvicorn.Config, sockets: list[object], on_ready: Callable[[], None]
    ) -> None:
        super().__init__(config, sockets)  # type: ignore[arg-type]
        self._on_ready = on_ready

    def init_processes(self) -> None:
        super().init_processes()
        timeout = max(30, self.config.timeout_worker_healthcheck)
        if all(p.wait_until_ready(timeout, self.should_exit) for p in self.processes):
            self._on_ready()


def serve_workers(
    host: str,
    port: int,
    workers: int,
    env: Mapping[str, str],
    announce: Callable[[str], None],
    *,
    loop: str = "auto",
    http: str = "auto",
) -> int:
    """Serve until SIGINT/SIGTERM; `announce(url)` once every worker accepts connections."""
    os.environ.update(env)
    config = serving.EdgeConfig(
        "reference_server.workers:worker_app",
        factory=True,
        workers=workers,
        lifespan="on",
        timeout_graceful_shutdown=10,
        loop=loop,
        http=http,
    )
    sock = serving.bind_socket(host, port, inheritable=True)
    url = serving.url_of(sock, API_PATH)
    with sock:
        _Supervisor(config, [sock], lambda: announce(url)).run()
    return 0
