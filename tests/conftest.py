"""Shared test configuration: async tests run on asyncio through anyio's pytest plugin, frozen
time (`dnc_client.testing`) for every test of code that paces or waits, and the two tiers of
tests (`e2e` or not: tests/tiers.py)."""

import pytest

from dnc_client.testing import FakeSleep, FakeSyncSleep, FrozenClock
from tests.tiers import pytest_collection_modifyitems, pytest_runtest_call, pytest_runtest_setup

__all__ = ["pytest_collection_modifyitems", "pytest_runtest_call", "pytest_runtest_setup"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def sleep(clock: FrozenClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def sync_sleep(clock: FrozenClock) -> FakeSyncSleep:
    return FakeSyncSleep(clock)
