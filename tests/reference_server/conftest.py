"""Fixtures for the reference server tests: an injectable clock and in-process clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from reference_server import Settings
from reference_server.testing import FakeClock, inprocess_client

API_KEYS = {
    "key-team-a-primary": "team_a",
    "key-team-a-secondary": "team_a",
    "key-team-b": "team_b",
}
# Generous limits for tests that are not about rate limiting.
NO_LIMITS = {"write": 100_000, "read": 100_000, "batch": 100_000}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "subprocess: starts a real `python -m reference_server`")


@pytest.fixture
def auth() -> SimpleNamespace:
    """Authorization headers: two keys of team_a, one of team_b."""
    return SimpleNamespace(
        a={"Authorization": "Bearer key-team-a-primary"},
        a2={"Authorization": "Bearer key-team-a-secondary"},
        b={"Authorization": "Bearer key-team-b"},
        keys=API_KEYS,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_settings(clock: FakeClock) -> Callable[..., Settings]:
    """Settings on :memory: with the fake clock and no practical rate limits, unless overridden."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "api_keys": API_KEYS,
            "db_path": ":memory:",
            "rate_limits": NO_LIMITS,
            "clock": clock,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    async with inprocess_client(make_settings()) as client:
        yield client
