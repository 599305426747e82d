"""`dnc serve` instances as real processes, started from a fresh environment like an operator's
shell: the helpers of the multi-instance, outage and conformance tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tests.processes import Process, clean_env, running

__all__ = ["Instance", "dnc_serve"]


@dataclass
class Instance:
    process: Process
    base_url: str  # without /v1

    @property
    def lines(self) -> list[str]:
        return self.process.lines

    @property
    def log(self) -> str:
        return self.process.log

    def kill(self) -> None:
        """kill -9 of the `dnc serve` process (its workers die with it)."""
        self.process.kill()


@contextmanager
def dnc_serve(
    *args: str, env: Mapping[str, str], port: int = 0, timeout_s: float = 60
) -> Iterator[Instance]:
    """`python -m dnc serve --port P ARGS` with only `env` as DNC_ configuration."""
    argv = [sys.executable, "-m", "dnc", "serve", "--port", str(port), *args]
    with running(argv, env=clean_env(env), timeout_s=timeout_s) as process:
        yield Instance(process, process.url.removesuffix("/v1"))
