"""`--stateless` replicas behind a load balancer without affinity, sharing one Redis.

Pending approvals are shared through Redis (no key is ever written there); the deletion is
carried out by the replica that holds the team's key in memory, whichever replica the human's
yes reached. The 2026-07-28 `requestState` is sealed with a key all replicas share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import anyio
import pytest
import redis
from mcp.client.session import ClientRequestContext
from mcp.types import ElicitRequestParams, ElicitResult, ErrorData

from dnc_client.testing import FrozenClock

from . import browser
from .hosting import (
    KEY_A,
    KEY_B,
    STATE_SECRET,
    Alternating,
    hosted,
    hosted_config,
    reference_api,
    team_client,
)
from .test_multi_tenant import data

pytestmark = pytest.mark.anyio


def on_port(link: str, base_url: str) -> str:
    """The same link as the load balancer would route it to another replica."""
    parts = urlsplit(link)
    return urlunsplit(parts._replace(netloc=urlsplit(base_url).netloc))


def redis_dump(url: str) -> bytes:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return "\n".join(str(client.get(key) or "") for key in client.keys("*")).encode()
    finally:
        client.close()


def replica_config(tmp_path: Path, name: str, redis_url: str, **changes: Any) -> Any:
    return hosted_config(
        tmp_path, name, stateless=True, redis_url=redis_url, state_secret=STATE_SECRET, **changes
    )


async def test_a_yes_on_another_replica_is_carried_out_by_the_replica_holding_the_key(
    tmp_path: Path, redis_url: str
) -> None:
    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, replica_config(tmp_path, "one", redis_url), clock) as one,
        hosted(api, replica_config(tmp_path, "two", redis_url), clock) as two,
    ):
        async with team_client(one.url, KEY_A) as a:
            data(await a.call_tool("dnc_add", {"url": "in/replicated"}))
            preview = data(await a.call_tool("dnc_delete", {"url": "in/replicated"}))
        stored = redis_dump(redis_url)
        link = on_port(preview["approval_url"], two.base_url)
        signed = await browser.sign_in(link, KEY_A)  # on replica two: the shared secret signs
        answered = await browser.approve(link, cookie=signed.cookie)

        async def shown() -> str:
            return (await browser.open_page(link, cookie=signed.cookie or "")).text

        with anyio.fail_after(10):
            # The other replica's sweeper acts; the page is how the human sees it.
            while "Approved and deleted" not in await shown():  # noqa: ASYNC110
                await anyio.sleep(0.1)
        async with team_client(two.url, KEY_A) as a:
            checked = data(await a.call_tool("dnc_check", {"url": "in/replicated"}))
    assert answered.status == 200
    assert "being carried out" in answered.text  # replica two has no key to act with
    assert checked["onList"] is False
    for key in (KEY_A, KEY_B):
        assert key.encode() not in stored
        assert key.encode() not in redis_dump(redis_url)
    outcomes = [line["outcome"] for line in [*one.audit_lines(), *two.audit_lines()]]
    assert outcomes.count("deleted") == 1


async def test_a_form_answer_on_another_replica_completes_the_delete(
    tmp_path: Path, redis_url: str
) -> None:
    async def yes(
        context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        return ElicitResult(action="accept", content={"confirm": True})

    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, replica_config(tmp_path, "one", redis_url), clock) as one,
        hosted(api, replica_config(tmp_path, "two", redis_url), clock) as two,
    ):
        ports = [int(urlsplit(h.base_url).port or 0) for h in (one, two)]
        balancer = Alternating(ports)
        async with team_client(one.url, KEY_A, transport=balancer, elicitation_callback=yes) as a:
            data(await a.call_tool("dnc_add", {"url": "in/round-two"}))
            sent = balancer.sent
            deleted = data(await a.call_tool("dnc_delete", {"url": "in/round-two"}))
            rounds = balancer.sent - sent
            checked = data(await a.call_tool("dnc_check", {"url": "in/round-two"}))
    assert deleted["status"] == "deleted"
    assert rounds == 2  # the question on one replica, the answer on the other
    assert checked["onList"] is False


async def test_a_legacy_client_of_stateless_replicas_gets_the_approval_page(
    tmp_path: Path, redis_url: str
) -> None:
    async def yes(
        context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        raise AssertionError("a stateless legacy connection has no channel to ask on")

    clock = FrozenClock()
    async with (
        reference_api(tmp_path, clock) as api,
        hosted(api, replica_config(tmp_path, "one", redis_url), clock) as one,
        team_client(one.url, KEY_A, mode="legacy", elicitation_callback=yes) as a,
    ):
        data(await a.call_tool("dnc_add", {"url": "in/legacy-stateless"}))
        preview = data(await a.call_tool("dnc_delete", {"url": "in/legacy-stateless"}))
    assert preview["status"] == "approval_required"
