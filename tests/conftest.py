"""Shared test configuration: async tests run on asyncio through anyio's pytest plugin, and
frozen time (`dnc_client.testing`) for every test of code that paces or waits."""

import pytest

from dnc_client.testing import FakeSleep, FakeSyncSleep, FrozenClock


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
