"""Who may call `dnc mcp` over HTTP: bearer parsing, the single-team bearer, key verification
with its caches, the 401/503 answers and the per-credential session cap."""

from __future__ import annotations

import json
from typing import Literal

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mcp_server.access import (
    AccessMiddleware,
    ApiKeyVerifier,
    Credential,
    Refusal,
    SessionLimits,
    StaticBearers,
    bearer_token,
)

pytestmark = pytest.mark.anyio
KEY = "sk_live_access_secret_7d2c9e"
TOKEN = "mcp-token-0123456789abcdef0123456789abcdef"
Answer = Literal["valid", "unknown", "unavailable"]


def name(secret: str) -> str:
    return f"fp_{len(secret)}_{secret[-4:]}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """Answers like the DNC API would: KEY is a team's key; counts the requests it got."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.gate: anyio.Event | None = None

    async def __call__(self, key: str) -> Answer:
        self.asked.append(key)
        if self.gate is not None:
            await self.gate.wait()
        if self.answer is not None:
            return self.answer
        return "valid" if key == KEY else "unknown"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (f"Bearer {KEY}", KEY),
        (f"bearer   {KEY}  ", KEY),
        ("Bearer", None),
        ("Bearer two parts", None),
        (f"Basic {KEY}", None),
        ("", None),
    ],
)
def test_the_credential_is_read_from_a_bearer_authorization_header(
    header: str, token: str | None
) -> None:
    assert bearer_token({"authorization": header} if header else {}) == token


async def test_a_single_team_server_accepts_its_own_bearer_and_nothing_else() -> None:
    bearers = StaticBearers([("mcp-token", TOKEN)], name)
    accepted = await bearers.authenticate(TOKEN)
    assert accepted == Credential(kind="mcp-token", fingerprint=name(TOKEN))
    for guess in (KEY, TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "x"):
        assert await bearers.authenticate(guess) is Refusal.UNKNOWN
    assert TOKEN not in repr(bearers)
    assert "DNC_MCP_TOKEN" in bearers.challenge_message()


async def test_a_verified_key_is_trusted_for_a_while_then_asked_about_again() -> None:
    probe, clock = Probe(), Clock()
    verifier = ApiKeyVerifier(probe, name, verified_ttl_s=60, rejected_ttl_s=30, clock=clock)
    first = await verifier.authenticate(KEY)
    again = await verifier.authenticate(KEY)
    clock.now += 61
    later = await verifier.authenticate(KEY)
    assert isinstance(first, Credential)
    assert first.upstream_key == KEY
    assert KEY not in repr(first)
    assert again == first
    assert later == first
    assert probe.asked == [KEY, KEY]  # once, then once more after the TTL


async def test_a_refused_key_is_refused_from_the_cache_without_asking_the_api() -> None:
    probe, clock = Probe(), Clock()
    verifier = ApiKeyVerifier(probe, name, rejected_ttl_s=30, clock=clock)
    answers = [await verifier.authenticate("junk") for _ in range(5)]
    clock.now += 31
    after = await verifier.authenticate("junk")
    assert answers == [Refusal.UNKNOWN] * 5
    assert after is Refusal.UNKNOWN
    assert probe.asked == ["junk", "junk"]


async def test_an_api_that_cannot_answer_gets_503_worth_and_nothing_is_cached() -> None:
    probe = Probe("unavailable")
    verifier = ApiKeyVerifier(probe, name)
    assert await verifier.authenticate(KEY) is Refusal.UNAVAILABLE
    probe.answer = None
    assert isinstance(await verifier.authenticate(KEY), Credential)
    assert len(probe.asked) == 2


async def test_concurrent_requests_with_one_key_share_one_verification() -> None:
    probe = Probe()
    probe.gate = anyio.Event()
    verifier = ApiKeyVerifier(probe, name)
    results: list[Credential | Refusal] = []

    async def ask() -> None:
        results.append(await verifier.authenticate(KEY))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(ask)
        await anyio.sleep(0.05)
        probe.gate.set()
    assert len(results) == 20
    assert all(isinstance(r, Credential) for r in results)
    assert probe.asked == [KEY]


async def test_the_cache_keeps_a_bounded_number_of_keys() -> None:
    probe = Probe()
    verifier = ApiKeyVerifier(probe, name, max_entries=3)
    for i in range(10):
        await verifier.authenticate(f"junk-{i:04d}")
    await verifier.authenticate("junk-0000")  # forgotten long ago: asked again
    assert len(probe.asked) == 11
    assert "cached=3" in repr(verifier)


async def test_a_key_the_api_refused_during_a_tool_call_is_refused_at_the_door() -> None:
    probe = Probe()
    verifier = ApiKeyVerifier(probe, name)
    assert isinstance(await verifier.authenticate(KEY), Credential)
    verifier.reject(KEY)
    assert await verifier.authenticate(KEY) is Refusal.UNKNOWN
    assert probe.asked == [KEY]


def _client(app: AccessMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


async def test_an_unknown_bearer_gets_401_with_a_challenge_and_never_reaches_the_app() -> None:
    reached: list[str] = []

    async def mcp(request: Request) -> Response:
        reached.append(request.url.path)
        return Response("served")

    app = AccessMiddleware(
        Starlette(routes=[Route("/mcp", mcp, methods=["POST"])]),
        ApiKeyVerifier(Probe(), name),
    )
    async with _client(app) as http:
        answers = [
            await http.post("/mcp", headers={"authorization": f"Bearer junk-{i}"})
            for i in range(30)
        ]
        keyless = await http.post("/mcp")
        served = await http.post("/mcp", headers={"authorization": f"Bearer {KEY}"})
    for answer in [*answers, keyless]:
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == 'Bearer realm="dnc-mcp"'
        assert answer.json()["error"] == "unauthorized"
    assert served.text == "served"
    assert reached == ["/mcp"]


async def test_an_api_that_cannot_verify_a_key_gets_503_with_retry_after() -> None:
    async def mcp(request: Request) -> Response:
        return Response("served")

    app = AccessMiddleware(
        Starlette(routes=[Route("/mcp", mcp, methods=["POST"])]),
        ApiKeyVerifier(Probe("unavailable"), name),
    )
    async with _client(app) as http:
        answer = await http.post("/mcp", headers={"authorization": f"Bearer {KEY}"})
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert KEY not in answer.text


def _session_app() -> Starlette:
    """Stands in for the SDK's session manager: opens a session per POST without an id."""
    sessions: set[str] = set()

    async def mcp(request: Request) -> Response:
        sid = request.headers.get("mcp-session-id")
        if request.method == "DELETE":
            sessions.discard(sid or "")
            return Response(status_code=200)
        if sid is None:
            sid = f"s{len(sessions)}-{json.dumps(len(sessions))}"
            sessions.add(sid)
            return JSONResponse({"opened": sid}, headers={"mcp-session-id": sid})
        if sid not in sessions:
            return Response(status_code=404)
        return JSONResponse({"in": sid})

    return Starlette(routes=[Route("/mcp", mcp, methods=["POST", "DELETE"])])


async def test_one_credential_holds_at_most_its_share_of_sessions() -> None:
    clock = Clock()
    limits = SessionLimits(2, idle_s=60, clock=clock)
    bearers = StaticBearers([("mcp-token", TOKEN), ("team-key", KEY)], name)
    app = AccessMiddleware(_session_app(), bearers, sessions=limits)
    token = {"authorization": f"Bearer {TOKEN}"}
    async with _client(app) as http:
        one = await http.post("/mcp", headers=token)
        two = await http.post("/mcp", headers=token)
        third = await http.post("/mcp", headers=token)
        other = await http.post("/mcp", headers={"authorization": f"Bearer {KEY}"})
        ended = await http.delete("/mcp", headers=token | {"mcp-session-id": one.json()["opened"]})
        after_end = await http.post("/mcp", headers=token)
        refused_again = await http.post("/mcp", headers=token)
        clock.now += 62  # the SDK has closed the idle ones by now
        after_idle = await http.post("/mcp", headers=token)
    assert (one.status_code, two.status_code) == (200, 200)
    assert third.status_code == 429
    assert third.json()["error"]["code"] == -32600
    assert "at most 2" in third.json()["error"]["message"]
    assert other.status_code == 200  # another credential has its own share
    assert ended.status_code == 200
    assert after_end.status_code == 200
    assert refused_again.status_code == 429
    assert after_idle.status_code == 200
    assert limits.open_sessions(name(TOKEN)) == 1
