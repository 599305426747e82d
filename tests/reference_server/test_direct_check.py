"""`GET /v1/dnc/check` served on raw ASGI (`check_route`) answers exactly as Starlette's route.

Each request of a table goes, in the same order, to two apps over one SQLite file: the default
one, where the request boundary hands the check's GET to `DirectCheck`, and one built with
`direct_check=False`, where every request goes through Starlette's router to the route's
endpoint (the behaviour before the direct path). Status, headers, body bytes and the access
log must be equal, and a spy on the route's endpoint proves which way each request went.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from dnc.main import main as dnc
from reference_server import Settings, embedded_app, handlers
from reference_server.check_route import header_value, query_value
from reference_server.logs import LOGGER_NAME
from reference_server.testing import FakeClock
from tests.reference_server.conftest import API_KEYS, NO_LIMITS

pytestmark = pytest.mark.anyio

A = ((b"authorization", b"Bearer key-team-a-primary"),)
B = ((b"authorization", b"Bearer key-team-b"),)
LISTED = "https://www.linkedin.com/in/listed-person"

HOSTILE_QUERIES = [
    b"",
    b"url",
    b"url=",
    b"url=&url",
    b"url&url=x",
    b"url=a&url=b",
    b"url=a&url=",
    b"url=a&url",
    b"&&url=a&&",
    b"%75rl=a",
    b"u%72l=a&url=b&%75%72%6c=c",
    b"url+=a",
    b"+url=a",
    b"url%20=a",
    b"URL=a",
    b"url%3Da",
    b"url==a",
    b"url=a=b",
    b"=url",
    b"url=a+b",
    b"url=a%2Bb",
    b"url=a%26url=b",
    b"url=a;url=b",
    b"url=%",
    b"url=%2",
    b"url=%zz",
    b"url=%e2%82",
    b"url=%C3%A9",
    b"url=%ff",
    b"url=%00",
    "url=linkedin.com/in/jos\u00e9".encode(),
    b"url=\xff\xfe",
    b"url=a#b",
    b"url%00=a",
    b"url=" + b"%41" * 2000,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_the_url_parameter_is_read_as_starlettes_query_params_read_it(query: bytes) -> None:
    assert query_value(query, "url") == QueryParams(query).get("url")


QUERY_PARTS = ["url", "u", "r", "l", "=", "&", "+", "%", "7", "5", "2", "B", "C", "3", "A", "9"]


@given(st.lists(st.sampled_from([*QUERY_PARTS, "F", "é", "\x7f", ";", " "])))
def test_any_query_made_of_delimiters_and_escapes_reads_as_starlette_reads_it(
    parts: list[str],
) -> None:
    query = "".join(parts).encode()
    assert query_value(query, "url") == QueryParams(query).get("url")


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"authorization", b"Bearer one"), (b"authorization", b"Bearer two")],
        [(b"Authorization", b"Bearer raw-case")],
        [(b"x-other", b"1"), (b"authorization", b"Bearer \xe9")],
    ],
)
def test_the_authorization_header_is_read_as_starlettes_headers_read_it(
    headers: list[tuple[bytes, bytes]],
) -> None:
    scope = {"type": "http", "headers": headers}
    assert header_value(headers, b"authorization") == Headers(scope=scope).get("authorization")


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = A
    root_path: str = ""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    log: list[dict[str, Any]]


async def exchange(app: Starlette, call: Call, body: bytes = b"") -> list[Message]:
    """One request on raw ASGI, so that query bytes and headers arrive exactly as written."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        "path": call.root_path + call.path,
        "raw_path": (call.root_path + call.path).encode(),
        "root_path": call.root_path,
        "query_string": call.query,
        "headers": [(b"host", b"dnc.test"), *call.headers],
        "client": ("127.0.0.1", 50000),
        "server": ("dnc.test", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def ask(app: Starlette, call: Call, records: list[logging.LogRecord]) -> Answer:
    records.clear()
    start, *bodies = await exchange(app, call)
    assert start["type"] == "http.response.start"
    assert all(message["type"] == "http.response.body" for message in bodies)
    log = [
        {
            "event": record.getMessage(),
            "level": record.levelno,
            "traceback": record.exc_info is not None,
            **{k: v for k, v in vars(record).items() if k in LOGGED},
        }
        for record in records
    ]
    return Answer(
        start["status"],
        sorted(start["headers"]),
        b"".join(message.get("body", b"") for message in bodies),
        log,
    )


LOGGED = ("method", "path", "status", "team", "key_fingerprint")


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    kept: list[logging.LogRecord] = []
    logger = logging.getLogger(LOGGER_NAME)
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield kept
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@dataclass
class Twins:
    direct: Starlette
    routed: Starlette
    route_calls: list[str]
    records: list[logging.LogRecord]

    async def both(self, call: Call) -> tuple[Answer, Answer, int]:
        """The two answers, and how many of them the Starlette route gave."""
        before = len(self.route_calls)
        direct = await ask(self.direct, call, self.records)
        routed = await ask(self.routed, call, self.records)
        return direct, routed, len(self.route_calls) - before


@pytest.fixture
def spied_route(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the requests that reach the Starlette route of the check (in apps built after)."""
    calls: list[str] = []
    endpoint = handlers.check_endpoint

    async def spy(request: Request) -> Response:
        calls.append(request.method)
        return await endpoint(request)

    monkeypatch.setattr(handlers, "check_endpoint", spy)
    return calls


@pytest.fixture
def twins(
    tmp_path: Path, spied_route: list[str], records: list[logging.LogRecord]
) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[Twins]:
        values: dict[str, Any] = {
            "api_keys": API_KEYS,
            "db_path": tmp_path / "twins.sqlite3",
            "rate_limits": NO_LIMITS,
            "clock": FakeClock(),
            **overrides,
        }
        settings = Settings(**values)
        async with (
            embedded_app(settings) as direct,
            embedded_app(settings, direct_check=False) as routed,
        ):
            yield Twins(direct, routed, spied_route, records)

    return make


async def add(app: Starlette, url: str) -> None:
    call = Call("POST", "/v1/dnc", headers=((b"content-type", b"application/json"), *A))
    sent = await exchange(app, call, json.dumps({"url": url}).encode())
    assert sent[0]["status"] == 201


async def stored_key(db: Path, team: str, scope: str, capsys: pytest.CaptureFixture[str]) -> str:
    create = ["keys", "--db", str(db), "create", "--team", team, "--scope", scope]
    assert await anyio.to_thread.run_sync(dnc, create) == 0
    return capsys.readouterr().out.strip()


def q(url: str) -> bytes:
    return b"url=" + url.encode()


def bearer(key: str) -> tuple[tuple[bytes, bytes], ...]:
    return ((b"authorization", f"Bearer {key}".encode()),)


def check_table(read_only: str, write_only: str) -> list[Call]:
    path = "/v1/dnc/check"
    gets = [
        Call("GET", path, q(LISTED)),
        Call("GET", path, q("linkedin.com/in/listed-person")),
        Call("GET", path, b"url=https%3A%2F%2Fwww.linkedin.com%2Fin%2Flisted-person"),
        Call("GET", path, q("linkedin.com/in/listed-person") + b"&limit=3"),
        Call("GET", path, q("linkedin.com/in/someone-else")),
        Call("GET", path, q(LISTED), B),
        Call("GET", path),
        Call("GET", path, b"url"),
        Call("GET", path, b"url="),
        Call("GET", path, b"url=+++"),
        Call("GET", path, b"url=%20"),
        Call("GET", path, q("https://example.com/in/x")),
        Call("GET", path, q("linkedin.com/in/")),
        Call("GET", path, b"url=nope&url=" + LISTED.encode()),
        Call("GET", path, q(LISTED) + b"&url=nope"),
        Call("GET", path, q(LISTED) + b"&url"),
        Call("GET", path, b"%75rl=linkedin.com%2Fin%2Flisted-person"),
        Call("GET", path, b"url=linkedin.com/in/listed+person"),
        Call("GET", path, b"url=linkedin.com/in/listed%2Bperson"),
        Call("GET", path, "url=linkedin.com/in/jos\u00e9-m\u00fcller".encode()),
        Call("GET", path, b"url=linkedin.com/in/jos%C3%A9-m%C3%BCller"),
        Call("GET", path, b"url=linkedin.com/in/%ff%fe"),
        Call("GET", path, b"url=linkedin.com/in/\xff"),
        Call("GET", path, q(LISTED), ()),
        Call("GET", path, q(LISTED), ((b"authorization", b"Basic a2V5"),)),
        Call("GET", path, q(LISTED), ((b"authorization", b"Bearer"),)),
        Call("GET", path, q(LISTED), ((b"authorization", b"bearer key-team-b"),)),
        Call("GET", path, q(LISTED), bearer("junk-key")),
        Call("GET", path, q(LISTED), ((b"authorization", b"Bearer \xe9\xff"),)),
        Call("GET", path, q(LISTED), (*bearer("key-team-b"), *bearer("junk"))),
        Call("GET", path, q(LISTED), (*bearer("junk"), *bearer("key-team-b"))),
        Call("GET", path, q(LISTED), ((b"Authorization", b"Bearer key-team-b"),)),
        Call("GET", path, q(LISTED), bearer(read_only)),
        Call("GET", path, q(LISTED), bearer(write_only)),
        Call("GET", path, b"", bearer(write_only)),
    ]
    elsewhere = [
        Call("HEAD", path, q(LISTED)),
        Call("HEAD", path, q(LISTED), ()),
        Call("POST", path, q(LISTED)),
        Call("DELETE", path, q(LISTED)),
        Call("PUT", path),
        Call("get", path, q(LISTED)),
        Call("GET", path + "/", q(LISTED)),
        Call("GET", "/v1/dnc/check/x", q(LISTED)),
        Call("GET", "/v1/dnc/CHECK", q(LISTED)),
        Call("GET", "/v1/dnc/check", q(LISTED), root_path="/api"),
        Call("GET", "/v1/dnc", b"limit=5"),
    ]
    return gets + elsewhere


async def test_every_check_request_answers_as_the_starlette_route_answered_it(
    twins: Callable[..., Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "twins.sqlite3"
    async with twins() as apps:
        await add(apps.direct, LISTED)
        await add(apps.direct, "linkedin.com/in/jos\u00e9-m\u00fcller")
        read_only = await stored_key(db, "team_a", "read", capsys)
        write_only = await stored_key(db, "team_a", "write", capsys)
        table = check_table(read_only, write_only)
        statuses: set[int] = set()
        listed = unlisted = 0
        for call in table:
            direct, routed, via_route = await apps.both(call)
            assert direct == routed, call
            # The routed app always takes the route on the check's path; the direct one only
            # for what is not a plain GET of it.
            plain_get = call.method == "GET" and not call.root_path
            on_path = call.path == "/v1/dnc/check" and call.method in ("GET", "HEAD")
            assert via_route == (1 if plain_get else 2) * on_path, call
            statuses.add(direct.status)
            listed += b'"onList":true' in direct.body
            unlisted += b'"onList":false' in direct.body
            assert [entry["event"] for entry in direct.log] == ["request"]
        # Not vacuous: the table reaches every answer the check can give but 429 and 500.
        assert statuses == {200, 400, 401, 403, 404, 405}
        assert listed >= 5
        assert unlisted >= 3


async def test_a_rate_limited_check_answers_429_as_the_starlette_route_answered_it(
    twins: Callable[..., Any],
) -> None:
    async with twins(rate_limits={**NO_LIMITS, "read": 2}) as apps:
        answers = []
        for call in [Call("GET", "/v1/dnc/check", q(LISTED))] * 4:
            direct, routed, via_route = await apps.both(call)
            assert direct == routed
            assert via_route == 1
            answers.append(direct)
        assert [answer.status for answer in answers] == [200, 200, 429, 429]
        assert (b"retry-after", b"60") in answers[2].headers
        assert (b"x-ratelimit-remaining", b"0") in answers[2].headers


async def test_an_unexpected_failure_in_a_check_is_one_500_envelope_and_one_logged_error(
    twins: Callable[..., Any],
) -> None:
    def exploding_normalizer(raw: str) -> str | None:
        raise RuntimeError("secret internals")

    async with twins(normalizer=exploding_normalizer) as apps:
        direct, routed, _ = await apps.both(Call("GET", "/v1/dnc/check", q(LISTED)))
        assert direct == routed
        assert direct.status == 500
        assert direct.body == b'{"error":"internal_error","message":"An internal error occurred"}'
        assert [entry["event"] for entry in direct.log] == ["unhandled_error", "request"]
        assert direct.log[1]["status"] == 500


async def test_the_access_log_of_a_direct_check_names_the_team_and_key_fingerprint(
    twins: Callable[..., Any],
) -> None:
    async with twins() as apps:
        direct, _, _ = await apps.both(Call("GET", "/v1/dnc/check", q(LISTED), B))
        (line,) = direct.log
        assert line["team"] == "team_b"
        assert line["key_fingerprint"]
        assert line["path"] == "/v1/dnc/check"
        assert "listed" not in repr(line)


async def test_a_direct_check_sends_the_recorded_headers_in_order_and_body_bytes(
    twins: Callable[..., Any],
) -> None:
    async with twins() as apps:
        await add(apps.direct, LISTED)
        call = Call("GET", "/v1/dnc/check", q("linkedin.com/in/nobody"))
        start, body = await exchange(apps.direct, call)
        listed_start, listed_body = await exchange(apps.direct, Call("GET", call.path, q(LISTED)))
    assert start["status"] == 200
    assert start["headers"] == [
        (b"content-length", b"51"),
        (b"content-type", b"application/json"),
        (b"x-ratelimit-limit", b"100000"),
        (b"x-ratelimit-remaining", b"99999"),
        (b"x-ratelimit-reset", b"1763460060000"),
    ]
    assert body == {
        "type": "http.response.body",
        "body": b'{"error":null,"data":{"onList":false,"entry":null}}',
    }
    entry = json.loads(listed_body["body"])["data"]["entry"]
    assert (
        listed_body["body"]
        == json.dumps(
            {"error": None, "data": {"onList": True, "entry": entry}}, separators=(",", ":")
        ).encode()
    )
    assert entry["url"] == "https://linkedin.com/in/listed-person"
    assert listed_start["headers"][:2] == [
        (b"content-length", str(len(listed_body["body"])).encode()),
        (b"content-type", b"application/json"),
    ]
