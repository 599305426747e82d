"""Tokens and sealed keys, over a real SQLite store: expiry, audience, the API-key fallback,
and what a rotation of the server secret keeps or ends."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from mcp.server.auth.provider import AuthorizationParams
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import AnyUrl

from mcp_server.access import ApiKeyVerifier, Credential, Refusal
from mcp_server.oauth import (
    DncOAuthProvider,
    GrantStore,
    KeySealer,
    OAuthAuthenticator,
    SealError,
    SqliteGrantStore,
)
from mcp_server.tenancy import key_fingerprint

from .hosting import KEY_A, OTHER_SECRET, SECRET
from .person import REDIRECT_URI

pytestmark = pytest.mark.anyio
RESOURCE = "https://mcp.example.com/mcp"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


def provider(
    store: GrantStore, clock: Clock, sealer: KeySealer, resource: str = RESOURCE
) -> DncOAuthProvider:
    return DncOAuthProvider(
        store,
        sealer,
        issuer_url=resource.removesuffix("/mcp"),
        resource_url=resource,
        consent_path="/oauth/consent",
        fingerprint=key_fingerprint,
        clock=clock,
    )


async def issue(server: DncOAuthProvider, scopes: list[str] | None = None) -> tuple[str, str]:
    """(access, refresh) for KEY_A through the provider's own steps."""
    client = OAuthClientInformationFull(
        client_id="client-1",
        redirect_uris=[AnyUrl(REDIRECT_URI)],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
        scope="dnc:read dnc:write dnc:delete",
    )
    await server.register_client(client)
    consent_url = await server.authorize(
        client,
        AuthorizationParams(
            state="s",
            scopes=scopes,
            code_challenge="c" * 43,
            redirect_uri=AnyUrl(REDIRECT_URI),
            redirect_uri_provided_explicitly=True,
            resource=server.resource_url,
        ),
    )
    request_id = consent_url.split("request=")[1]
    redirect = await server.approve(request_id, KEY_A, scopes or ["dnc:read", "dnc:write"])
    assert redirect is not None
    code = redirect.split("code=")[1].split("&")[0]
    loaded = await server.load_authorization_code(client, code)
    assert loaded is not None
    tokens = await server.exchange_authorization_code(client, loaded)
    assert tokens.refresh_token is not None
    return tokens.access_token, tokens.refresh_token


def door(server: DncOAuthProvider, clock: Clock, probes: list[str]) -> OAuthAuthenticator:
    async def probe(key: str) -> Literal["valid", "unknown", "unavailable"]:
        probes.append(key)
        return "unknown"

    return OAuthAuthenticator(
        server,
        resource_url=RESOURCE,
        fingerprint=key_fingerprint,
        fallback=ApiKeyVerifier(probe, key_fingerprint),
        clock=clock,
    )


async def test_an_access_token_acts_with_the_sealed_key_until_it_expires(tmp_path: Path) -> None:
    clock, probes = Clock(), list[str]()
    store = SqliteGrantStore(tmp_path / "grants.db", clock=clock)
    server = provider(store, clock, KeySealer(SECRET))
    access, _ = await issue(server)
    door_ = door(server, clock, probes)
    fresh = await door_.authenticate(access)
    clock.now += 899
    still = await door_.authenticate(access)
    clock.now += 2
    expired = await door_.authenticate(access)
    modes = {  # the WAL files too, while open (closing folds them back)
        name: (tmp_path / name).stat().st_mode & 0o777
        for name in ("grants.db", "grants.db-wal", "grants.db-shm")
    }
    await store.aclose()
    assert isinstance(fresh, Credential)
    assert fresh.kind == "oauth"
    assert fresh.upstream_key == KEY_A
    assert fresh.scopes == ("dnc:read", "dnc:write")
    assert fresh.fingerprint == key_fingerprint(KEY_A)
    assert KEY_A not in repr(fresh)
    assert isinstance(still, Credential)
    assert expired is Refusal.UNKNOWN
    assert probes == []  # no OAuth-shaped bearer is ever tried as a DNC API key
    assert set(modes.values()) == {0o600}


async def test_a_token_issued_for_another_resource_is_refused(tmp_path: Path) -> None:
    clock, probes = Clock(), list[str]()
    store = SqliteGrantStore(tmp_path / "grants.db", clock=clock)
    elsewhere = provider(store, clock, KeySealer(SECRET), "https://other.example.com/mcp")
    here = provider(store, clock, KeySealer(SECRET))
    foreign, _ = await issue(elsewhere)
    own, _ = await issue(here)
    refused = await door(here, clock, probes).authenticate(foreign)
    accepted = await door(here, clock, probes).authenticate(own)
    await store.aclose()
    assert refused is Refusal.UNKNOWN
    assert isinstance(accepted, Credential)


async def test_a_bearer_that_is_not_an_oauth_token_goes_to_the_api_key_door(
    tmp_path: Path,
) -> None:
    clock, probes = Clock(), list[str]()
    store = SqliteGrantStore(tmp_path / "grants.db", clock=clock)
    verdict = await door(provider(store, clock, KeySealer(SECRET)), clock, probes).authenticate(
        "some-team-key"
    )
    await store.aclose()
    assert verdict is Refusal.UNKNOWN
    assert probes == ["some-team-key"]


async def test_a_rotated_secret_keeps_grants_while_the_old_one_is_in_the_grace_list(
    tmp_path: Path,
) -> None:
    clock, probes = Clock(), list[str]()
    store = SqliteGrantStore(tmp_path / "grants.db", clock=clock)
    before = provider(store, clock, KeySealer(SECRET))
    access, refresh = await issue(before)
    idle, _ = await issue(before)  # a grant nobody refreshes during the grace period
    graced = provider(store, clock, KeySealer(OTHER_SECRET, [SECRET]))
    still = await door(graced, clock, probes).authenticate(access)
    client = await graced.get_client("client-1")
    assert client is not None
    loaded = await graced.load_refresh_token(client, refresh)
    assert loaded is not None
    renewed = await graced.exchange_refresh_token(client, loaded, loaded.scopes)  # re-sealed
    after = provider(store, clock, KeySealer(OTHER_SECRET))  # the old secret retired
    kept = await door(after, clock, probes).authenticate(renewed.access_token)
    kept_old = await door(after, clock, probes).authenticate(access)  # its grant was re-sealed
    lost_without_grace = await door(after, clock, probes).authenticate(idle)
    await store.aclose()
    assert isinstance(still, Credential)
    assert isinstance(kept, Credential)
    assert kept.upstream_key == KEY_A
    assert isinstance(kept_old, Credential)
    assert lost_without_grace is Refusal.UNKNOWN  # sealed under the retired secret only


def test_a_sealed_key_opens_only_for_its_own_grant_and_untampered() -> None:
    sealer = KeySealer(SECRET)
    sealed = sealer.seal(KEY_A, context="grant-1")
    assert KEY_A not in sealed
    assert sealer.open(sealed, context="grant-1") == KEY_A
    body = sealed.rsplit(".", 1)
    tampered = body[0] + "." + body[1][:-2] + ("AA" if body[1][-2:] != "AA" else "BB")
    for attempt, context in ((sealed, "grant-2"), (tampered, "grant-1")):
        with pytest.raises(SealError):
            sealer.open(attempt, context=context)
    with pytest.raises(SealError):
        KeySealer(OTHER_SECRET).open(sealed, context="grant-1")
    with pytest.raises(ValueError, match="32 bytes"):
        KeySealer("short")


async def test_a_registered_client_unused_for_the_refresh_lifetime_is_forgotten(
    tmp_path: Path,
) -> None:
    clock = Clock()
    store = SqliteGrantStore(tmp_path / "grants.db", clock=clock)
    server = provider(store, clock, KeySealer(SECRET))
    await issue(server)  # registration, then a token exchange that keeps the client
    clock.now += 29 * 24 * 3600
    kept = await server.get_client("client-1")
    clock.now += 2 * 24 * 3600
    forgotten = await server.get_client("client-1")
    await store.aclose()
    assert kept is not None
    assert forgotten is None
