"""Broken variants at the edges issue 22 found unguarded: isolation on every write path and in
error bodies, `total` on a partial page, and the batch limit counted in entries instead of
requests. Test-only."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dnc_kit.contract import LIST_LIMIT_MAX
from reference_server import normalize_linkedin_url

from .faults import (
    Fault,
    Json,
    Scope,
    _captured,
    _data,
    _is,
    _read_body,
    _req,
    _send_json,
    _with_query,
    http_only,
    replayer,
    rewrite,
    when,
)
from .harness import KEY_A, KEY_B, RL_WINDOW_S, AppWrapper
from .killers import (
    B10,
    BATCH_OTHER_TEAM,
    ERROR_LEAK,
    LIMIT_1000,
    RETRY_SPREAD,
    TOTAL,
    team_b,
)


def _canonical(url: Any) -> str | None:
    try:
        return normalize_linkedin_url(str(url)) if isinstance(url, str) else None
    except ValueError:
        return None


@dataclass
class BatchSeesOtherTeams:
    """A batch reports a URL as `duplicate` when any team lists it (single adds are right)."""

    held: dict[str, set[str | None]] = field(default_factory=dict)  # url -> keys listing it

    def wrapper(self) -> AppWrapper:
        async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
            req = _req(scope)
            raw, replay = await _read_body(receive)
            taken: dict[int, str] = {}
            answer: Json
            if _is(req, "POST", "/dnc/batch"):
                raw, taken = self._without_foreign(raw, req.key)
                replay = replayer(raw)
                scope = {**scope, "headers": [
                    (k, v) for k, v in scope["headers"] if k != b"content-length"
                ] + [(b"content-length", str(len(raw)).encode())]}  # fmt: skip
            if taken and len(taken) == len(json.loads(raw)["entries"]) + len(taken):
                empty = {"added": 0, "duplicates": 0, "errors": 0, "details": []}
                headers: dict[bytes, bytes] = {}
                status, answer = 201, {"error": None, "data": empty}
            else:
                status, headers, body = await _captured(app, scope, replay)
                answer = json.loads(body) if body else None
            if isinstance(answer, dict) and status == 201:
                self._learn(req.key, req.path, answer)
                if taken:
                    self._splice(answer, taken)
            await _send_json(send, status, answer, headers)

        return http_only(handle)

    def _without_foreign(self, raw: bytes, key: str | None) -> tuple[bytes, dict[int, str]]:
        try:
            body = json.loads(raw)
            entries = list(body["entries"])
        except (ValueError, KeyError, TypeError):
            return raw, {}
        taken: dict[int, str] = {}
        kept = []
        for i, entry in enumerate(entries):
            url = _canonical(entry.get("url")) if isinstance(entry, dict) else None
            holders = self.held.get(url or "", set())
            if url is not None and holders and key not in holders:
                taken[i] = url
            else:
                kept.append(entry)
        if not taken:
            return raw, {}
        return json.dumps({**body, "entries": kept}).encode(), taken

    def _learn(self, key: str | None, path: str, answer: Json) -> None:
        data = _data(answer)
        if path == "/dnc" and isinstance(data.get("url"), str):
            self.held.setdefault(data["url"], set()).add(key)
        for detail in data.get("details") or []:
            if isinstance(detail, dict) and detail.get("status") == "added":
                self.held.setdefault(str(detail.get("url")), set()).add(key)

    @staticmethod
    def _splice(answer: Json, taken: dict[int, str]) -> None:
        data = _data(answer)
        details = list(data.get("details") or [])
        for i in sorted(taken):
            details.insert(i, {"url": taken[i], "status": "duplicate"})
        data["details"] = details
        data["duplicates"] = int(data.get("duplicates", 0)) + len(taken)


@dataclass
class ForbiddenShowsEntry:
    """The 403 for another team's entry carries that entry (its team id and URL)."""

    entries: dict[str, Json] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_response(req: Any, status: int, body: Json) -> tuple[int, Json]:
            if _is(req, "POST", "/dnc") and status == 201 and isinstance(body, dict):
                entry = _data(body)
                self.entries[str(entry.get("$id"))] = dict(entry)
            if _is(req, "DELETE", "/dnc/{id}") and status == 403 and isinstance(body, dict):
                found = self.entries.get(req.path.rsplit("/", 1)[-1])
                if found is not None:
                    body["entry"] = found
            return status, body

        return rewrite(on_response=on_response)


@dataclass
class BatchLimitInEntries:
    """The batch bucket counts entries (10 per window), not requests."""

    stamps: dict[str | None, deque[float]] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
            req = _req(scope)
            raw, replay = await _read_body(receive)
            if _is(req, "POST", "/dnc/batch") and req.key in (KEY_A, KEY_B):
                try:
                    size = max(1, len(json.loads(raw)["entries"]))
                except (ValueError, KeyError, TypeError):
                    size = 1
                log = self.stamps.setdefault(req.key, deque())
                now = time.time()
                while log and now - log[0] >= RL_WINDOW_S:
                    log.popleft()
                if len(log) + size > 10:
                    reset = int(((log[0] if log else now) + RL_WINDOW_S) * 1000)
                    body = {
                        "error": "rate_limit_exceeded",
                        "message": "Too many requests.",
                        "resetTime": reset,
                    }
                    await _send_json(send, 429, body)
                    return
                log.extend([now] * size)
            await app(scope, replay, send)

        return http_only(handle)


def _capped_below_the_maximum(req: Any, scope: Scope) -> Scope | tuple[int, Json]:
    """Pages hold at most LIST_LIMIT_MAX - 1 entries; the asked limit is still echoed."""
    if _is(req, "GET", "/dnc") and req.query.get("limit") == str(LIST_LIMIT_MAX):
        return _with_query(scope, {**req.query, "limit": str(LIST_LIMIT_MAX - 1)})
    return scope


def _echo_maximum(req: Any, status: int, body: Json) -> tuple[int, Json]:
    asked = req.query.get("limit") == str(LIST_LIMIT_MAX)
    if asked and _is(req, "GET", "/dnc") and status == 200 and isinstance(body, dict):
        _data(body)["limit"] = LIST_LIMIT_MAX
    return status, body


@dataclass
class ReadsCountRefusals:
    """The read bucket counts its own 429s, yet resetTime names the oldest request's expiry: a
    client retrying at resetTime after spread-out traffic is refused again and again."""

    stamps: dict[str | None, deque[float]] = field(default_factory=dict)

    def wrapper(self) -> AppWrapper:
        def on_request(req: Any, scope: Scope) -> Scope | tuple[int, Json]:
            reading = _is(req, "GET", "/dnc") or _is(req, "GET", "/dnc/check")
            if not reading or req.key not in (KEY_A, KEY_B):
                return scope
            log = self.stamps.setdefault(req.key, deque())
            now = time.time()
            while log and now - log[0] >= RL_WINDOW_S:
                log.popleft()
            log.append(now)  # admitted or not, it counts
            if len(log) > 60:
                return 429, {
                    "error": "rate_limit_exceeded",
                    "message": "Too many requests.",
                    "resetTime": int((log[0] + RL_WINDOW_S) * 1000),
                }
            return scope

        return rewrite(on_request)


def _total_is_limit(body: Json) -> tuple[int, Json]:
    data = _data(body)
    data["total"] = data.get("limit", len(data.get("entries", [])))
    return 200, body


def catalogue(F: Callable[..., Fault]) -> list[Fault]:
    return [
        F(
            "batch calls another team's url a duplicate",
            "a batch adds for the caller's team (isolation on every write path)",
            ("-m", "isolation", "-k", BATCH_OTHER_TEAM),
            {BATCH_OTHER_TEAM},
            BatchSeesOtherTeams().wrapper(),
        ),
        F(
            "403 carries the other team's entry",
            "no error body carries another team's data",
            ("-m", "isolation", "-k", ERROR_LEAK),
            {ERROR_LEAK, team_b(ERROR_LEAK)},
            ForbiddenShowsEntry().wrapper(),
        ),
        F(
            "list total echoes limit",
            "total counts the entries of a partial page",
            ("-m", "list", "-k", TOTAL),
            {TOTAL},
            when("GET", "/dnc", 200, _total_is_limit),
        ),
        F(
            "list caps a page one below the maximum limit",
            "limit 1-1000 honoured at 1000",
            ("-m", "list", "-k", LIMIT_1000),
            {LIMIT_1000},
            rewrite(_capped_below_the_maximum, _echo_maximum),
        ),
        F(
            "read limiter counts refusals, resetTime ignores them",
            "a retry at resetTime is admitted (also after spread-out traffic)",
            "rate_limit",
            {RETRY_SPREAD},
            ReadsCountRefusals().wrapper(),
            rate_limits={"write": 30, "read": 1_000_000, "batch": 10},
        ),
        F(
            "batch limit counts entries",
            "10 batch requests per window, whatever their size",
            "rate_limit",
            {B10},
            BatchLimitInEntries().wrapper(),
            rate_limits={"write": 30, "read": 60, "batch": 1_000_000},
        ),
    ]
