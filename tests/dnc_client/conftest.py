"""Fixtures for the client tests: a frozen clock and sleeps that advance it instead of waiting."""

from __future__ import annotations

import pytest

from dnc_client.testing import FakeSleep, FakeSyncSleep, FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def sleep(clock: FrozenClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def sync_sleep(clock: FrozenClock) -> FakeSyncSleep:
    return FakeSyncSleep(clock)
