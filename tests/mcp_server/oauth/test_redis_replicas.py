"""Replicas sharing one real Redis: a token issued by one is honoured by the other, and a
revocation, a used code or an expiry on one holds on the other at once."""

from __future__ import annotations

import pytest
from mcp.server.auth.provider import AccessToken

from mcp_server.access import Credential, Refusal
from mcp_server.oauth import KeySealer, RedisGrantStore

from .hosting import KEY_A, SECRET
from .test_tokens_and_secrets import Clock, door, issue, provider

pytestmark = pytest.mark.anyio


async def test_a_grant_revoked_on_one_replica_is_refused_by_the_other(redis_url: str) -> None:
    clock, probes = Clock(), list[str]()
    store_a, store_b = RedisGrantStore.from_url(redis_url), RedisGrantStore.from_url(redis_url)
    replica_a = provider(store_a, clock, KeySealer(SECRET))
    replica_b = provider(store_b, clock, KeySealer(SECRET))
    access, refresh = await issue(replica_a)
    on_b = await door(replica_b, clock, probes).authenticate(access)
    token = await replica_b.load_access_token(access)
    assert isinstance(token, AccessToken)
    await replica_b.revoke_token(token)
    on_a = await door(replica_a, clock, probes).authenticate(access)
    client = await replica_a.get_client("client-1")
    assert client is not None
    refreshed = await replica_a.load_refresh_token(client, refresh)
    await store_a.aclose()
    await store_b.aclose()
    assert isinstance(on_b, Credential)
    assert on_b.upstream_key == KEY_A
    assert on_a is Refusal.UNKNOWN
    assert refreshed is None


async def test_a_code_is_taken_once_even_when_two_replicas_race_for_it(redis_url: str) -> None:
    store_a, store_b = RedisGrantStore.from_url(redis_url), RedisGrantStore.from_url(redis_url)
    await store_a.put("code", "digest", {"grant": "g"}, 300)
    taken = [await store_a.take("code", "digest"), await store_b.take("code", "digest")]
    await store_a.aclose()
    await store_b.aclose()
    assert taken == [{"grant": "g"}, None]
