"""Real servers for the bulk tests: the reference app in-process or on loopback, a wrapper that
changes the list between page reads the way a concurrent writer would, and a request counter.

    async with reference(entries=2500) as ref:            # seeded reference server (ASGI)
        app = ShiftingList(ref.app, before_list={2: delete_newest(60)})
        async with AsyncDncClient(BASE, KEY, transport=counting(app)) as api: ...

    with serve_in_thread(app) as base_url:                 # the same app on 127.0.0.1 (uvicorn)
        with DncClient(base_url, KEY) as api: ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from reference_server import Settings, embedded_app

KEY = "sk_test_bulk_client_secret_5e1d"
TEAM = "team_bulk"
BASE = "http://dnc.test/v1"
UNLIMITED = {"write": 10**9, "read": 10**9, "batch": 10**9}

Action = Callable[[httpx.AsyncClient, int], Awaitable[None]]  # (inner API, offset asked)


def person(number: int) -> str:
    return f"https://linkedin.com/in/person-{number:05d}"


@dataclass
class Reference:
    app: ASGIApp
    urls: list[str]  # seeded, oldest first


@asynccontextmanager
async def reference(
    entries: int = 0, *, settings: Settings | None = None
) -> AsyncIterator[Reference]:
    """The reference server in-process (storage open), seeded with `entries` people."""
    settings = settings or Settings(api_keys={KEY: TEAM}, rate_limits=UNLIMITED)
    async with embedded_app(settings, access_log=False) as app:
        urls = [person(i) for i in range(entries)]
        async with inner_api(app) as api:
            for start in range(0, len(urls), 1000):
                chunk = urls[start : start + 1000]
                answer = await api.post("/dnc/batch", json={"entries": [{"url": u} for u in chunk]})
                assert answer.status_code == 201, answer.text
        yield Reference(app=app, urls=urls)


@asynccontextmanager
async def inner_api(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield client


def delete_before_offset(count: int) -> Action:
    """Delete `count` entries just before the offset asked: the next page would skip them."""

    async def act(api: httpx.AsyncClient, offset: int) -> None:
        start = max(0, offset - count)
        page = (await api.get("/dnc", params={"limit": count, "offset": start})).json()
        for entry in page["data"]["entries"]:
            assert (await api.delete(f"/dnc/{entry['$id']}")).status_code == 200

    return act


def add_newest(urls: list[str]) -> Action:
    async def act(api: httpx.AsyncClient, offset: int) -> None:
        answer = await api.post("/dnc/batch", json={"entries": [{"url": u} for u in urls]})
        assert answer.status_code == 201

    return act


@dataclass
class ShiftingList:
    """The wrapped app, but before answering its k-th list request it runs `before_list[k]`."""

    app: ASGIApp
    before_list: dict[int, Action] = field(default_factory=dict)
    list_requests: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/v1/dnc":
            self.list_requests += 1
            action = self.before_list.get(self.list_requests)
            if action is not None:
                query = httpx.QueryParams(scope["query_string"].decode())
                async with inner_api(self.app) as api:
                    await action(api, int(query.get("offset", "0")))
        await self.app(scope, receive, send)


@dataclass
class Failing:
    """Answers 500 to every request whose path is in `paths`; passes the rest through."""

    app: ASGIApp
    paths: set[str]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            body = b'{"error":"internal_error","message":"An internal error occurred"}'
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@dataclass
class Counted:
    """Every request that went through a transport: (method, path, query)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.sent if (m, p) == (method, path))


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, counted: Counted) -> None:
        self.inner = inner
        self.counted = counted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counted.sent.append((request.method, request.url.path, str(request.url.query)))
        return await self.inner.handle_async_request(request)


class CountingSyncTransport(httpx.BaseTransport):
    def __init__(self, counted: Counted) -> None:
        self.inner = httpx.HTTPTransport()
        self.counted = counted

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counted.sent.append((request.method, request.url.path, str(request.url.query)))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def counting(app: ASGIApp, counted: Counted | None = None) -> CountingTransport:
    return CountingTransport(httpx.ASGITransport(app=app), counted or Counted())


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """`app` under a real uvicorn on a free loopback port, in a thread; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start on 127.0.0.1")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def seed_over_http(base_url: str, urls: list[str]) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        for start in range(0, len(urls), 1000):
            chunk = urls[start : start + 1000]
            answer = http.post("/dnc/batch", json={"entries": [{"url": u} for u in chunk]})
            assert answer.status_code == 201, answer.text


async def corrupt_gzip(scope: Scope, receive: Receive, send: Send) -> None:
    """A server whose every answer claims gzip but is not: httpx cannot read it."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"this is not gzip"})
