"""The tripwire that keeps the fast tier in-process: it sees every way a test starts a process,
and fails the test that did so without the `e2e` mark (tests/tiers.py)."""

from __future__ import annotations

import asyncio
import ctypes.util
import subprocess
import sys

import pytest

from tests.tiers import ProcessTripwire

# These tests start processes on purpose, to see the tripwire catch them.
pytestmark = pytest.mark.e2e


def test_a_subprocess_started_while_armed_is_named_in_the_failure(
    request: pytest.FixtureRequest,
) -> None:
    tripwire = ProcessTripwire()
    tripwire.arm()
    try:
        done = subprocess.run(
            [sys.executable, "-c", "print('ran')"], capture_output=True, text=True
        )
    finally:
        tripwire.disarm()
    assert done.stdout == "ran\n"  # the process ran as it would have without the tripwire
    with pytest.raises(pytest.fail.Exception, match=r"not marked e2e.*-c print"):
        tripwire.verdict(request.node)


def test_an_asyncio_subprocess_is_seen_too() -> None:
    async def spawn() -> int:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
        return await process.wait()

    tripwire = ProcessTripwire()
    tripwire.arm()
    try:
        assert asyncio.run(spawn()) == 0
    finally:
        tripwire.disarm()
    assert tripwire.started == [f"{sys.executable} -c pass"]


def test_a_disarmed_tripwire_records_nothing_and_passes(request: pytest.FixtureRequest) -> None:
    tripwire = ProcessTripwire()
    tripwire.arm()
    tripwire.disarm()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert tripwire.started == []
    tripwire.verdict(request.node)


def test_a_library_lookup_through_ctypes_is_no_process_the_test_starts() -> None:
    tripwire = ProcessTripwire()
    tripwire.arm()
    try:
        found = ctypes.util.find_library("c")  # runs `ldconfig -p` on Linux
    finally:
        tripwire.disarm()
    assert found
    assert tripwire.started == []
