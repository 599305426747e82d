"""Deliberately broken variants of the reference server: one documented behaviour broken at a
time, through Settings injection points (normalizer, buckets, limits) or ASGI wrappers that
rewrite requests or answers. Test-only."""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from reference_server import normalize_linkedin_url

from .harness import KEY_A, KEY_B, RL_WINDOW_S, WINDOW_S, AppWrapper, reference_app
from .killers import (
    AFTER,
    AUDIT,
    B10,
    BODY429,
    CHECK_FORMS,
    DELETE_403,
    DELETE_OWN,
    DUPLICATES,
    ENV_ERR,
    ENV_OK,
    INVALID,
    LARGE_LIMIT,
    NORM,
    OTHER,
    R60,
    ROLLING,
    SCHEMA,
    SERVER_ERROR,
    W30,
)

Json = Any
Scope = dict[str, Any]


@dataclass
class Req:
    method: str
    path: str  # without the /v1 prefix
    query: dict[str, str]
    key: str | None


DEFAULT_BUCKETS: dict[str, str] = {
    "addDncEntry": "write",
    "deleteDncEntry": "write",
    "checkDncStatus": "read",
    "listDncEntries": "read",
    "addDncEntriesBatch": "batch",
}


def buckets(**moved: str) -> dict[str, str]:
    """The documented operation -> bucket mapping with some operations moved elsewhere."""
    return DEFAULT_BUCKETS | moved


def _req(scope: Scope) -> Req:
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode()
    key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
    query = dict(parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True))
    return Req(scope["method"], scope["path"].removeprefix("/v1"), query, key)


def _with_key(scope: Scope, key: str | None) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"authorization"]
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    return {**scope, "headers": headers}


def _with_query(scope: Scope, query: dict[str, str]) -> Scope:
    return {**scope, "query_string": urlencode(query).encode()}


RequestHook = Callable[[Req, Scope], "Scope | tuple[int, Json]"]
ResponseHook = Callable[[Req, int, Json], tuple[int, Json]]


HttpHandler = Callable[[Any, Scope, Any, Any], Awaitable[None]]


def http_only(handle: HttpHandler) -> AppWrapper:
    """An ASGI wrapper that calls `handle(app, scope, receive, send)` for HTTP requests and
    passes anything else (the lifespan) straight to the app."""

    def wrap(app: Any) -> Any:
        async def middleware(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                await handle(app, scope, receive, send)
            else:
                await app(scope, receive, send)

        return middleware

    return wrap


def rewrite(
    on_request: RequestHook | None = None, on_response: ResponseHook | None = None
) -> AppWrapper:
    """An ASGI wrapper: change the request scope (or answer directly), then the JSON answer."""

    async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
        req = _req(scope)
        if on_request is not None:
            result = on_request(req, scope)
            if isinstance(result, tuple):
                await _send_json(send, *result)
                return
            scope = result
        if on_response is None:
            await app(scope, receive, send)
            return
        status, headers, raw = await _captured(app, scope, receive)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, body = on_response(req, status, body)
        await _send_json(send, status, body, headers)

    return http_only(handle)


async def _captured(app: Any, scope: Scope, receive: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    """Call app and collect its answer: status, headers and body bytes."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return int(start.get("status", 500)), dict(start.get("headers", [])), b"".join(chunks)


async def _read_body(receive: Any) -> tuple[bytes, Any]:
    """Read the whole request body; return it and a `receive` that replays it to the app."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    raw = b"".join(chunks)
    return raw, replayer(raw)


def replayer(raw: bytes) -> Callable[[], Any]:
    """An ASGI `receive` that hands the app `raw` as the whole request body, once."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return receive


async def _send_json(
    send: Any, status: int, body: Json, headers: dict[bytes, bytes] | None = None
) -> None:
    payload = json.dumps(body).encode()
    out = {
        k: v for k, v in (headers or {}).items() if k not in (b"content-length", b"content-type")
    }
    out[b"content-type"] = b"application/json"
    out[b"content-length"] = str(len(payload)).encode()
    await send({"type": "http.response.start", "status": status, "headers": list(out.items())})
    await send({"type": "http.response.body", "body": payload})


def _is(req: Req, method: str, path: str) -> bool:
    if path == "/dnc/{id}":
        return (
            req.method == method
            and req.path.startswith("/dnc/")
            and req.path not in ("/dnc/check", "/dnc/batch")
        )
    return req.method == method and req.path == path


# -- normalizers ----------------------------------------------------------------------------------
def _slug_as_sent(url: str, canonical: str) -> str:
    slug = canonical.rsplit("/in/", 1)[1]
    start = url.lower().find(slug)
    return url[start : start + len(slug)] if start >= 0 else slug


def norm_no_lowercase(url: str) -> str | None:
    canonical = normalize_linkedin_url(url)
    return None if canonical is None else "https://linkedin.com/in/" + _slug_as_sent(url, canonical)


def norm_keep_www(url: str) -> str | None:
    canonical = normalize_linkedin_url(url)
    if canonical is not None and "www." in url.lower():
        return canonical.replace("https://", "https://www.")
    return canonical


def norm_keep_trailing_slash(url: str) -> str | None:
    canonical = normalize_linkedin_url(url)
    return canonical + "/" if canonical is not None and url.strip().endswith("/") else canonical


def norm_http_when_no_scheme(url: str) -> str | None:
    canonical = normalize_linkedin_url(url)
    if canonical is not None and not url.strip().lower().startswith("http"):
        return canonical.replace("https://", "http://")
    return canonical


def norm_reject_in_form(url: str) -> str | None:
    return None if url.strip().lower().startswith("in/") else normalize_linkedin_url(url)


def norm_accept_anything(url: str) -> str | None:
    canonical = normalize_linkedin_url(url)
    if canonical is None and url.strip() and "/" not in url and " " not in url:
        return "https://linkedin.com/in/" + url.strip().lower()
    return canonical


# -- stateful wrappers -----------------------------------------------------------------------------
@dataclass
class StaleCheck:
    """Serves earlier check answers again; `invalidate_on` lists the writes that clear them."""

    invalidate_on: tuple[str, ...]
    keys: tuple[str, ...] = (KEY_A, KEY_B)  # the teams whose answers are served stale
    answers: dict[tuple[str | None, str], tuple[int, Json]] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            write = {("POST", "/dnc"): "add", ("POST", "/dnc/batch"): "batch"}.get(
                (req.method, req.path)
            )
            if req.method == "DELETE":
                write = "delete"
            if write in self.invalidate_on:
                self.answers = {k: v for k, v in self.answers.items() if k[0] != req.key}
            if _is(req, "GET", "/dnc/check"):
                cached = self.answers.get((req.key, req.query.get("url", "")))
                if cached is not None:
                    return cached
            return scope

        def on_response(req: Req, status: int, body: Json) -> tuple[int, Json]:
            if _is(req, "GET", "/dnc/check") and status == 200 and req.key in self.keys:
                self.answers[(req.key, req.query.get("url", ""))] = (status, body)
            return status, body

        return rewrite(on_request, on_response)


@dataclass
class SoftDelete:
    """Deleted URLs stay reserved: adding one again answers 409 (a soft delete)."""

    ids: dict[str, str] = field(default_factory=dict)  # id -> url
    tombstones: set[str] = field(default_factory=set)

    def wrapper(self) -> AppWrapper:
        async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
            req = _req(scope)
            raw, replay = await _read_body(receive)
            if _is(req, "POST", "/dnc"):
                try:
                    url = normalize_linkedin_url(str(json.loads(raw).get("url")))
                except (ValueError, AttributeError):
                    url = None
                if url in self.tombstones:
                    body = {"error": "dnc_entry_exists", "message": "URL already on DNC list"}
                    await _send_json(send, 409, body)
                    return
            status, headers, body_bytes = await _captured(app, scope, replay)
            answer: Any = json.loads(body_bytes) if body_bytes else {}
            if _is(req, "POST", "/dnc") and status == 201:
                self.ids[answer["data"]["$id"]] = answer["data"]["url"]
            if _is(req, "DELETE", "/dnc/{id}") and status == 200:
                url = self.ids.get(req.path.rsplit("/", 1)[-1])
                if url:
                    self.tombstones.add(url)
            await _send_json(send, status, answer, headers)

        return http_only(handle)


@dataclass
class TeamlessCheckCache:
    """A check cache keyed by the URL only: one team's cached answer is served to another."""

    answers: dict[str, tuple[int, Json]] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            if req.method in ("POST", "DELETE"):
                self.answers.clear()
            if _is(req, "GET", "/dnc/check") and req.key in (KEY_A, KEY_B):
                cached = self.answers.get(req.query.get("url", ""))
                if cached is not None:
                    return cached
            return scope

        def on_response(req: Req, status: int, body: Json) -> tuple[int, Json]:
            if _is(req, "GET", "/dnc/check") and status == 200:
                self.answers[req.query.get("url", "")] = (status, body)
            return status, body

        return rewrite(on_request, on_response)


@dataclass
class GlobalWriteLimit:
    """Counts writes across all teams (a limiter keyed by nothing): team B pays for team A."""

    stamps: deque[float] = field(default_factory=deque)

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            if not (_is(req, "POST", "/dnc") or _is(req, "DELETE", "/dnc/{id}")):
                return scope
            now = time.time()
            while self.stamps and now - self.stamps[0] >= RL_WINDOW_S:
                self.stamps.popleft()
            if len(self.stamps) >= 30:
                reset = int((self.stamps[0] + RL_WINDOW_S) * 1000)
                return 429, {
                    "error": "rate_limit_exceeded",
                    "message": "Too many requests.",
                    "resetTime": reset,
                }
            self.stamps.append(now)
            return scope

        return rewrite(on_request)


@dataclass
class FixedWindowBatch:
    """The batch bucket in fixed windows (counters reset at multiples of the window) instead of
    a rolling window; the reference server's own batch limit is lifted."""

    counts: dict[tuple[str | None, int], int] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            if not _is(req, "POST", "/dnc/batch") or req.key not in (KEY_A, KEY_B):
                return scope
            slot = int(time.time() // RL_WINDOW_S)
            used = self.counts.get((req.key, slot), 0)
            if used >= 10:
                return 429, {
                    "error": "rate_limit_exceeded",
                    "message": "Too many requests.",
                    "resetTime": int((slot + 1) * RL_WINDOW_S * 1000),
                }
            self.counts[(req.key, slot)] = used + 1
            return scope

        return rewrite(on_request)


@dataclass
class ListShowsDeleted:
    """Deleted entries stay on the first page of the list (check and add do see the delete)."""

    entries: dict[str, Json] = field(default_factory=dict)
    deleted: dict[str | None, list[Json]] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_response(req: Req, status: int, body: Json) -> tuple[int, Json]:
            if not isinstance(body, dict):
                return status, body
            if _is(req, "POST", "/dnc") and status == 201:
                self.entries[_data(body)["$id"]] = dict(_data(body))
            elif _is(req, "DELETE", "/dnc/{id}") and status == 200:
                gone = self.entries.get(req.path.rsplit("/", 1)[-1])
                if gone is not None:
                    self.deleted.setdefault(req.key, []).insert(0, gone)
            elif _is(req, "GET", "/dnc") and status == 200 and req.query.get("offset", "0") == "0":
                data = _data(body)
                entries = (self.deleted.get(req.key, []) + data.get("entries", []))[
                    : int(data.get("limit", 50))
                ]
                data["entries"], data["total"] = entries, len(entries)
            return status, body

        return rewrite(on_response=on_response)


@dataclass
class DuplicateStored:
    """A duplicate add answers 409 but stores a second copy anyway (the list shows it twice)."""

    entries: dict[tuple[str | None, str], Json] = field(default_factory=dict)
    copies: dict[str, Json] = field(default_factory=dict)  # original id -> the second copy

    def wrapper(self) -> AppWrapper:
        async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
            req = _req(scope)
            raw, replay = await _read_body(receive)
            status, headers, body_bytes = await _captured(app, scope, replay)
            try:
                answer: Any = json.loads(body_bytes) if body_bytes else None
            except ValueError:
                answer = None
            if _is(req, "POST", "/dnc") and isinstance(answer, dict):
                self._after_add(req, raw, status, answer)
            if _is(req, "GET", "/dnc") and status == 200 and isinstance(answer, dict):
                self._doubled(answer)
            await _send_json(send, status, answer, headers)

        return http_only(handle)

    def _after_add(self, req: Req, raw: bytes, status: int, answer: Json) -> None:
        if status == 201:
            entry = dict(_data(answer))
            self.entries[(req.key, str(entry.get("url")))] = entry
        elif status == 409:
            try:
                url = normalize_linkedin_url(str(json.loads(raw).get("url")))
            except (ValueError, AttributeError):
                return
            original = self.entries.get((req.key, str(url)))
            if original is not None and original["$id"] not in self.copies:
                self.copies[original["$id"]] = {**original, "$id": original["$id"] + "x2"}

    def _doubled(self, answer: Json) -> None:
        data = _data(answer)
        out: list[Json] = []
        for entry in data.get("entries", []):
            out.append(entry)
            copy = self.copies.get(str(entry.get("$id"))) if isinstance(entry, dict) else None
            if copy is not None:
                out.append(copy)
        out = out[: int(data.get("limit", 50))]
        data["entries"], data["total"] = out, len(out)


# -- response rewrites -----------------------------------------------------------------------------
def when(
    method: str, path: str, status: int | None, change: Callable[[Json], tuple[int, Json]]
) -> AppWrapper:
    def on_response(req: Req, got: int, body: Json) -> tuple[int, Json]:
        if _is(req, method, path) and (status is None or got == status) and isinstance(body, dict):
            return change(body)
        return got, body

    return rewrite(on_response=on_response)


def when_key(
    key: str, method: str, path: str, status: int, change: Callable[[Json], tuple[int, Json]]
) -> AppWrapper:
    """`when`, for the requests of one key only."""

    def on_response(req: Req, got: int, body: Json) -> tuple[int, Json]:
        if req.key == key and _is(req, method, path) and got == status and isinstance(body, dict):
            return change(body)
        return got, body

    return rewrite(on_response=on_response)


def _data(body: Json) -> dict[str, Any]:
    data = body.get("data")
    return data if isinstance(data, dict) else {}


def _reverse_list(body: Json) -> tuple[int, Json]:
    _data(body)["entries"] = list(reversed(_data(body).get("entries", [])))
    return 200, body


def _sorted_by_url_desc(body: Json) -> tuple[int, Json]:
    entries = _data(body).get("entries", [])
    _data(body)["entries"] = sorted(entries, key=lambda e: str(e.get("url")), reverse=True)
    return 200, body


def _total_plus_one(body: Json) -> tuple[int, Json]:
    _data(body)["total"] = int(_data(body).get("total", 0)) + 1
    return 200, body


def _details_reversed(body: Json) -> tuple[int, Json]:
    _data(body)["details"] = list(reversed(_data(body).get("details", [])))
    return 201, body


def _repeat_as_added(body: Json) -> tuple[int, Json]:
    seen: set[str] = set()
    data = _data(body)
    for detail in data.get("details", []):
        if detail.get("status") == "duplicate" and detail.get("url") in seen:
            detail["status"] = "added"
            data["added"] += 1
            data["duplicates"] -= 1
        if detail.get("status") == "added":
            seen.add(detail.get("url"))
    return 201, body


def _duplicates_counted_as_added(body: Json) -> tuple[int, Json]:
    data = _data(body)
    data["added"] += data.get("duplicates", 0)
    data["duplicates"] = 0
    return 201, body


def _fake_created(body: Json) -> tuple[int, Json]:
    entry = {
        "$id": "dnc_fake0000000000000000",
        "teamId": "team_selftest_a",
        "url": "https://linkedin.com/in/fake",
        "$createdAt": "2025-11-18T10:30:00.000Z",
        "$updatedAt": "2025-11-18T10:30:00.000Z",
    }
    return 201, {"error": None, "data": entry, "message": "Added to Do Not Contact list"}


def _drop_error_key(status: int) -> Callable[[Json], tuple[int, Json]]:
    def change(body: Json) -> tuple[int, Json]:
        body.pop("error", None)
        return status, body

    return change


def _set(status: int, **values: Any) -> Callable[[Json], tuple[int, Json]]:
    def change(body: Json) -> tuple[int, Json]:
        body.update(values)
        return status, body

    return change


def _reset_in_seconds(body: Json) -> tuple[int, Json]:
    body["resetTime"] = int(body.get("resetTime", 0)) // 1000
    return 429, body


def _reset_now(body: Json) -> tuple[int, Json]:
    body["resetTime"] = int(time.time() * 1000)
    return 429, body


def _entry_drop_team(status: int) -> Callable[[Json], tuple[int, Json]]:
    def change(body: Json) -> tuple[int, Json]:
        _data(body).pop("teamId", None)
        return status, body

    return change


def _not_found_without_entry(body: Json) -> tuple[int, Json]:
    if _data(body).get("onList") is False:
        _data(body).pop("entry", None)
    return 200, body


def _found_entry_null(body: Json) -> tuple[int, Json]:
    if _data(body).get("onList") is True:
        _data(body)["entry"] = None
    return 200, body


def _on_request(change: Callable[[Req, Scope], Scope | tuple[int, Json]]) -> AppWrapper:
    return rewrite(on_request=change)


def _key_swap(method: str, path: str, from_key: str | None, to_key: str) -> AppWrapper:
    def change(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
        if _is(req, method, path) and req.key == from_key:
            return _with_key(scope, to_key)
        return scope

    return _on_request(change)


def _bypass_missing_key(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    headers = dict(scope.get("headers") or [])
    return _with_key(scope, KEY_A) if b"authorization" not in headers else scope


def _accept_unknown_key(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    return _with_key(scope, KEY_A) if req.key not in (None, KEY_A, KEY_B) else scope


def _ignore_offset(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    if _is(req, "GET", "/dnc") and "offset" in req.query:
        return _with_query(scope, {k: v for k, v in req.query.items() if k != "offset"})
    return scope


def _default_limit(limit: int) -> RequestHook:
    """A list without a limit is served `limit` entries instead of the documented 50."""

    def change(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
        if _is(req, "GET", "/dnc") and "limit" not in req.query:
            return _with_query(scope, {**req.query, "limit": str(limit)})
        return scope

    return change


def _echo_offset(req: Req, status: int, body: Json) -> tuple[int, Json]:
    if (
        _is(req, "GET", "/dnc")
        and status == 200
        and "offset" in req.query
        and isinstance(body, dict)
    ):
        with contextlib.suppress(ValueError):
            _data(body)["offset"] = int(req.query["offset"])
    return status, body


def _echo_limit_50(req: Req, status: int, body: Json) -> tuple[int, Json]:
    if _is(req, "GET", "/dnc") and status == 200 and "limit" not in req.query:
        _data(body)["limit"] = 50
    return status, body


def _asks_over_100(req: Req) -> bool:
    limit = req.query.get("limit", "")
    return _is(req, "GET", "/dnc") and limit.isdigit() and int(limit) > 100


def _limit_capped_at_100(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    return _with_query(scope, {**req.query, "limit": "100"}) if _asks_over_100(req) else scope


def _echo_asked_limit(req: Req, status: int, body: Json) -> tuple[int, Json]:
    """The capped page still echoes the limit that was asked for (the cap is invisible)."""
    if _asks_over_100(req) and status == 200 and isinstance(body, dict):
        _data(body)["limit"] = int(req.query["limit"])
    return status, body


def _check_missing_url_ok(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
    if _is(req, "GET", "/dnc/check") and "url" not in req.query and req.key:
        return 200, {"error": None, "data": {"onList": False, "entry": None}}
    return scope


# -- the catalogue ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    name: str
    behaviour: str  # the documented behaviour it breaks
    app: Callable[[], Any]
    select: tuple[str, ...]  # pytest args choosing the relevant tests
    killers: frozenset[str]  # tests of which at least one must fail
    window_s: float = WINDOW_S  # the rate-limit window of the variant and of the suite run


# Categories whose killers judge every answer of the run (the envelope audits) or share one
# generated run (Schemathesis): their variants run the category whole.
WHOLE_CATEGORY = frozenset({"schema", "envelope"})


def F(
    name: str,
    behaviour: str,
    select: str | tuple[str, ...],
    killers: set[str],
    wrapper: AppWrapper | None = None,
    **settings: Any,
) -> Fault:
    """`select`: a marker expression, "-m <expr>" / "-k <expr>", or the pytest args as a tuple."""
    tests = " or ".join(sorted({k.partition("[")[0] for k in killers}))
    if isinstance(select, tuple):
        args = select
    elif select.startswith(("-m", "-k")):
        args = tuple(select.split(" ", 1))
    elif select in WHOLE_CATEGORY:
        args = ("-m", select)
    else:  # only the killers: the reference server's self-test runs every category whole
        args = ("-m", select, "-k", tests)
    window_s = WINDOW_S
    if select == "rate_limit":  # only the scenarios the killers need: each one waits out windows
        window_s = RL_WINDOW_S
        settings.setdefault("rate_window_s", window_s)
    app = reference_app(wrapper, **settings)
    return Fault(name, behaviour, app, args, frozenset(killers), window_s)


def catalogue() -> list[Fault]:
    from . import faults_edges, faults_schemathesis, faults_team_b

    return (
        _documented_behaviours()
        + faults_schemathesis.catalogue(F)
        + faults_team_b.catalogue(F)
        + faults_edges.catalogue(F)
    )


def _documented_behaviours() -> list[Fault]:
    stale_all = StaleCheck(invalidate_on=())
    stale_delete = StaleCheck(invalidate_on=("add", "batch"))
    stale_batch = StaleCheck(invalidate_on=("add", "delete"))
    return [
        # normalization (Settings.normalizer)
        F(
            "normalizer keeps upper case",
            "lowercase step",
            "normalization",
            {NORM},
            normalizer=norm_no_lowercase,
        ),
        F(
            "normalizer keeps www.",
            "strip www. step",
            "normalization",
            {NORM},
            normalizer=norm_keep_www,
        ),
        F(
            "normalizer keeps the trailing slash",
            "trim trailing / step",
            "normalization",
            {NORM},
            normalizer=norm_keep_trailing_slash,
        ),
        F(
            "normalizer adds http:// instead of https://",
            "add https:// step",
            "normalization",
            {NORM},
            normalizer=norm_http_when_no_scheme,
        ),
        F(
            "normalizer rejects the in/username form",
            "in/username is supported",
            "normalization",
            {NORM, CHECK_FORMS},
            normalizer=norm_reject_in_form,
        ),
        F(
            "normalizer accepts a non-LinkedIn string",
            "invalid-url is an error",
            "normalization",
            {NORM, INVALID},
            normalizer=norm_accept_anything,
        ),
        # rate limits (Settings.operation_buckets / rate_limits)
        F(
            "delete has its own bucket",
            "add+delete share 30",
            "rate_limit",
            {W30},
            operation_buckets=buckets(deleteDncEntry="delete"),
            rate_limits={"write": 30, "delete": 30, "read": 60, "batch": 10},
        ),
        F(
            "write limit 31",
            "30 writes per window",
            "rate_limit",
            {W30},
            rate_limits={"write": 31, "read": 60, "batch": 10},
        ),
        F(
            "write limit 29",
            "30 writes per window",
            "rate_limit",
            {W30},
            rate_limits={"write": 29, "read": 60, "batch": 10},
        ),
        F(
            "check has its own bucket",
            "check+list share 60",
            "rate_limit",
            {R60},
            operation_buckets=buckets(checkDncStatus="check"),
            rate_limits={"write": 30, "check": 60, "read": 60, "batch": 10},
        ),
        F(
            "read limit 61",
            "60 reads per window",
            "rate_limit",
            {R60},
            rate_limits={"write": 30, "read": 61, "batch": 10},
        ),
        F(
            "batch limit 11",
            "10 batches per window",
            "rate_limit",
            {B10},
            rate_limits={"write": 30, "read": 60, "batch": 11},
        ),
        F(
            "batch spends the write bucket",
            "batch has its own 10",
            "rate_limit",
            {B10},
            operation_buckets=buckets(addDncEntriesBatch="write"),
        ),
        F(
            "429 resetTime in seconds",
            "resetTime is epoch ms",
            "rate_limit",
            {BODY429, AFTER},
            when("POST", "/dnc", 429, _reset_in_seconds),
        ),
        F(
            "429 resetTime is 'now'",
            "admitted again after resetTime",
            "rate_limit",
            {AFTER},
            when("POST", "/dnc/batch", 429, _reset_now),
        ),
        F(
            "429 with another error code",
            "429 rate_limit_exceeded",
            "rate_limit",
            {BODY429},
            when("GET", "/dnc/check", 429, _set(429, error="too_many_requests")),
        ),
        F(
            "writes limited across teams",
            "limits are per team",
            "rate_limit",
            {OTHER},
            GlobalWriteLimit().wrapper(),
        ),
        # cache (ASGI wrappers serving stale check answers)
        F(
            "check cache never invalidated",
            "writes invalidate the cache",
            "cache",
            {"test_check_sees_an_add_at_once_after_a_cached_miss"},
            stale_all.wrapper(),
        ),
        F(
            "check cache kept on delete",
            "delete invalidates the cache",
            "cache",
            {"test_check_sees_a_delete_at_once_after_a_cached_hit"},
            stale_delete.wrapper(),
        ),
        F(
            "check cache kept on batch",
            "batch invalidates the cache",
            "cache",
            {"test_check_sees_a_batch_add_at_once_after_a_cached_miss"},
            stale_batch.wrapper(),
        ),
        # delete
        F(
            "403 answered as 404",
            "another team's entry: 403 unauthorized_dnc",
            "delete",
            {DELETE_403},
            when(
                "DELETE",
                "/dnc/{id}",
                403,
                _set(404, error="dnc_not_found", message="DNC entry not found"),
            ),
        ),
        F(
            "delete of another team's entry succeeds",
            "team isolation on delete",
            "delete",
            {DELETE_403},
            _key_swap("DELETE", "/dnc/{id}", KEY_B, KEY_A),
        ),
        F(
            "delete of an unknown id answers 200",
            "404 dnc_not_found",
            "delete",
            {
                "test_delete_of_an_unknown_id_answers_404_dnc_not_found",
                "test_delete_of_an_already_deleted_entry_answers_404_dnc_not_found",
            },
            when(
                "DELETE",
                "/dnc/{id}",
                404,
                _set(200, error=None, data={"message": "DNC entry deleted successfully"}),
            ),
        ),
        # envelopes
        F(
            "success without error: null",
            "success envelope",
            "envelope",
            {ENV_OK},
            when("GET", "/dnc/check", 200, _drop_error_key(200)),
        ),
        F(
            "error without message",
            "error envelope",
            "envelope",
            {ENV_ERR},
            when("DELETE", "/dnc/{id}", 404, lambda b: (404, {"error": b.get("error")})),
        ),
        # list
        F(
            "list oldest first",
            "newest first",
            "list",
            {"test_list_returns_the_newest_entries_first"},
            when("GET", "/dnc", 200, _reverse_list),
        ),
        F(
            "list total off by one",
            "total = entries in the page",
            "list",
            {"test_list_total_counts_the_entries_of_this_page_only"},
            when("GET", "/dnc", 200, _total_plus_one),
        ),
        F(
            "list ignores offset",
            "offset skips entries",
            "list",
            {"test_list_pages_with_limit_and_offset"},
            rewrite(_ignore_offset, _echo_offset),
        ),
        F(
            "list default limit 20",
            "default limit 50",
            "list",
            {"test_list_defaults_to_limit_50_and_offset_0"},
            _on_request(_default_limit(20)),
        ),
        # duplicates
        F(
            "409 answered as 201 with a fake entry",
            "409 dnc_entry_exists",
            "duplicates",
            {"test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists"},
            when("POST", "/dnc", 409, _fake_created),
        ),
        # batch
        F(
            "batch details out of order",
            "details in input order",
            "batch",
            {"test_batch_details_follow_input_order_with_normalized_urls"},
            when("POST", "/dnc/batch", 201, _details_reversed),
        ),
        F(
            "batch answers 200",
            "batch answers 201",
            "batch",
            {"test_batch_with_some_invalid_entries_still_answers_201"},
            when("POST", "/dnc/batch", 201, lambda b: (200, b)),
        ),
        F(
            "batch repeat reported as added",
            "repeat inside a batch is duplicate",
            "batch",
            {"test_batch_reports_a_url_repeated_inside_one_batch_as_duplicate"},
            when("POST", "/dnc/batch", 201, _repeat_as_added),
        ),
        F(
            "batch counts duplicates as added",
            "batch counts",
            "batch",
            {"test_batch_counts_added_duplicates_and_errors"},
            when("POST", "/dnc/batch", 201, _duplicates_counted_as_added),
        ),
        F(
            "batch with empty entries answers 201",
            "400 invalid_request",
            "batch",
            {"test_batch_without_entries_or_with_an_entry_without_url_answers_400_invalid_request"},
            when(
                "POST",
                "/dnc/batch",
                400,
                lambda b: (
                    201,
                    {
                        "error": None,
                        "data": {"added": 0, "duplicates": 0, "errors": 0, "details": []},
                    },
                ),
            ),
        ),
        # check
        F(
            "check without url answers 200",
            "400 when url is missing",
            "check",
            {"test_check_without_a_url_answers_400_invalid_request"},
            _on_request(_check_missing_url_ok),
        ),
        F(
            "check not-found omits entry",
            "onList false, entry null",
            "check",
            {"test_check_of_an_unlisted_url_answers_on_list_false_and_entry_null"},
            when("GET", "/dnc/check", 200, _not_found_without_entry),
        ),
        F(
            "check found with entry null",
            "onList true with the full entry",
            "check",
            {"test_check_finds_a_listed_url_with_its_full_entry"},
            when("GET", "/dnc/check", 200, _found_entry_null),
        ),
        # auth
        F(
            "missing key accepted",
            "401 without a key",
            "auth",
            {"test_every_operation_without_an_api_key_answers_401_unauthorized"},
            _on_request(_bypass_missing_key),
        ),
        F(
            "unknown key accepted",
            "401 with a wrong key",
            "auth",
            {"test_every_operation_with_a_wrong_api_key_answers_401_unauthorized"},
            _on_request(_accept_unknown_key),
        ),
        F(
            "401 with another error code",
            "401 unauthorized",
            "auth",
            {"test_every_operation_without_an_api_key_answers_401_unauthorized"},
            when("GET", "/dnc", 401, _set(401, error="invalid_api_key")),
        ),
        # isolation
        F(
            "check ignores the team",
            "team isolation on check",
            "isolation",
            {"test_another_team_cannot_see_an_entry_through_check"},
            _key_swap("GET", "/dnc/check", KEY_B, KEY_A),
        ),
        F(
            "list ignores the team",
            "team isolation on list",
            "isolation",
            {"test_another_teams_list_does_not_show_the_entries"},
            _key_swap("GET", "/dnc", KEY_B, KEY_A),
        ),
        F(
            "add checks duplicates across teams",
            "the same URL for two teams",
            "isolation",
            {"test_two_teams_can_each_add_the_same_url"},
            _key_swap("POST", "/dnc", KEY_B, KEY_A),
        ),
        # schema
        F(
            "added entry without teamId",
            "entry fields",
            "-m normalization or envelope",
            {SCHEMA, AUDIT, "test_single_add_stores_the_canonical_url"},
            when("POST", "/dnc", 201, _entry_drop_team(201)),
        ),
        F(
            "missing url answers 500",
            "400 invalid_request for a missing url",
            "normalization",
            {SERVER_ERROR, INVALID},
            when(
                "POST",
                "/dnc",
                400,
                lambda b: (
                    (500, {"error": "internal_error", "message": "An internal error occurred"})
                    if b.get("message") == "LinkedIn URL is required"
                    else (400, b)
                ),
            ),
        ),
        # added after the first kill matrix: bucket sharing seen from the other operation,
        # a default page size hidden behind a correct echo, a check cache without the team
        F(
            "check spends the write bucket",
            "check+list share 60",
            "rate_limit",
            {R60},
            operation_buckets=buckets(checkDncStatus="write"),
        ),
        F(
            "list default page of 100 (echoing 50)",
            "default limit 50",
            "list",
            {"test_list_defaults_to_limit_50_and_offset_0"},
            rewrite(_default_limit(100), _echo_limit_50),
        ),
        F(
            "check cache shared across teams",
            "check cache per team",
            "isolation",
            {"test_another_team_cannot_see_an_entry_through_check"},
            TeamlessCheckCache().wrapper(),
        ),
        F(
            "deleted URL stays reserved (soft delete)",
            "deletion is permanent; the URL can be added again",
            "delete",
            {"test_delete_of_an_own_entry_answers_200_and_removes_it"},
            SoftDelete().wrapper(),
        ),
        F(
            "list sorted by URL, not by date",
            "newest first",
            "list",
            {"test_list_returns_the_newest_entries_first"},
            when("GET", "/dnc", 200, _sorted_by_url_desc),
        ),
        # added after the independent implementation's run: a fixed window, a delete the list
        # does not see, a 409 that still stores a copy, a limit silently capped at 100
        F(
            "batch bucket in fixed windows",
            "rolling window",
            "rate_limit",
            {ROLLING},
            FixedWindowBatch().wrapper(),
            rate_limits={"write": 30, "read": 60, "batch": 1_000_000},
        ),
        F(
            "deleted entry still listed",
            "deletion removes the entry",
            "delete",
            {DELETE_OWN},
            ListShowsDeleted().wrapper(),
        ),
        F(
            "409 answered but a second copy stored",
            "a list holds a URL once",
            "duplicates",
            {DUPLICATES},
            DuplicateStored().wrapper(),
        ),
        F(
            "list limit capped at 100 (echoing the asked limit)",
            "limit 1-1000",
            "list",
            {LARGE_LIMIT},
            rewrite(_limit_capped_at_100, _echo_asked_limit),
        ),
    ]
