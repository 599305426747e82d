"""One team's concurrent batches on PostgreSQL: no deadlock reaches the caller, and one team's
traffic never trips the outage breaker that would refuse every other team."""

from __future__ import annotations

import random

import anyio
import pytest

from reference_server.storage.postgres import PostgresStorage
from tests.reference_server.conftest import SharedStores

pytestmark = pytest.mark.anyio

URLS = [f"https://linkedin.com/in/concurrent-{n:05d}" for n in range(3000)]


async def test_concurrent_batches_with_shared_urls_in_other_orders_all_land(
    stores: SharedStores,
) -> None:
    storage = PostgresStorage(stores.database_url, max_size=8)
    await storage.open()
    shuffled = random.Random(7)
    errors: list[BaseException] = []
    try:

        async def batch(n: int) -> None:
            try:
                await storage.add_many(
                    "team_c", shuffled.sample(URLS, 600), actor="test", now_ms=1_000 + n
                )
            except Exception as error:
                errors.append(error)

        async with anyio.create_task_group() as group:
            for n in range(12):
                group.start_soon(batch, n)
        assert errors == []
        assert storage.failures == 0
        # Another team is served at once: the breaker did not trip.
        assert await storage.get_by_url("team_d", "https://linkedin.com/in/someone") is None
        listed = await storage.list_entries("team_c", limit=1000, offset=0)
        assert len({entry.url for entry in listed}) == len(listed)
    finally:
        await storage.close()
