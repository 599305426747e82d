"""Broken variants whose fault shows for team B only: one-way isolation, team B's cache never
invalidated, team B's rate limits wrong, duplicates allowed for team B. A suite that checks a
per-team guarantee for team A alone passes them all. Test-only."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .faults import (
    Fault,
    Json,
    Req,
    Scope,
    StaleCheck,
    _captured,
    _data,
    _is,
    _read_body,
    _req,
    _send_json,
    _with_key,
    http_only,
    replayer,
    when_key,
)
from .harness import KEY_A, KEY_B, RL_WINDOW_S, AppWrapper
from .killers import AFTER, B10, BODY429, OTHER, R60, ROLLING, W30, team_b


def _as_other_team(
    decide: Callable[[Req, int, Json], bool],
    combine: Callable[[Req, Json, int, Json], tuple[int, Json]],
) -> AppWrapper:
    """For team A's requests where `decide(req, status, answer)` holds, ask the same of the app
    as team B and answer `combine(req, answer, b_status, b_answer)`: a team boundary that leaks
    in one direction only."""

    async def handle(app: Any, scope: Scope, receive: Any, send: Any) -> None:
        req = _req(scope)
        raw, replay = await _read_body(receive)
        status, headers, body = await _captured(app, scope, replay)
        answer: Json = json.loads(body) if body else None
        if req.key == KEY_A and isinstance(answer, dict) and decide(req, status, answer):
            b_status, _, b_body = await _captured(app, _with_key(scope, KEY_B), replayer(raw))
            b_answer: Json = json.loads(b_body) if b_body else None
            status, answer = combine(req, answer, b_status, b_answer)
        await _send_json(send, status, answer, headers)

    return http_only(handle)


def check_sees_team_b() -> AppWrapper:
    """Team A's check also finds team B's entries (team B's check is fine)."""

    def decide(req: Req, status: int, answer: Json) -> bool:
        return _is(req, "GET", "/dnc/check") and status == 200 and not _data(answer).get("onList")

    def combine(req: Req, answer: Json, b_status: int, b_answer: Json) -> tuple[int, Json]:
        if b_status == 200 and isinstance(b_answer, dict) and _data(b_answer).get("onList"):
            return 200, b_answer
        return 200, answer

    return _as_other_team(decide, combine)


def list_shows_team_b() -> AppWrapper:
    """Team A's first page also lists team B's newest entries."""

    def decide(req: Req, status: int, answer: Json) -> bool:
        return _is(req, "GET", "/dnc") and status == 200 and req.query.get("offset", "0") == "0"

    def combine(req: Req, answer: Json, b_status: int, b_answer: Json) -> tuple[int, Json]:
        data = _data(answer)
        theirs = _data(b_answer).get("entries", []) if b_status == 200 else []
        entries = (list(theirs[:2]) + list(data.get("entries", [])))[: int(data.get("limit", 50))]
        data["entries"], data["total"] = entries, len(entries)
        return 200, answer

    return _as_other_team(decide, combine)


def delete_reaches_team_b() -> AppWrapper:
    """Team A's delete of team B's entry succeeds (B's delete of A's entry is refused)."""

    def decide(req: Req, status: int, answer: Json) -> bool:
        return _is(req, "DELETE", "/dnc/{id}") and status == 403

    def combine(req: Req, answer: Json, b_status: int, b_answer: Json) -> tuple[int, Json]:
        return b_status, b_answer

    return _as_other_team(decide, combine)


def add_blocked_by_team_b() -> AppWrapper:
    """Team A's add answers 409 when team B already lists the URL (B's add is fine)."""

    def decide(req: Req, status: int, answer: Json) -> bool:
        return _is(req, "POST", "/dnc") and status == 201

    def combine(req: Req, answer: Json, b_status: int, b_answer: Json) -> tuple[int, Json]:
        if b_status == 409:
            # A's entry was stored (and is cleaned up by the suite), but A is told otherwise.
            return 409, {"error": "dnc_entry_exists", "message": "URL already on DNC list"}
        return 201, answer

    return _as_other_team(decide, combine)


# -- rate limits per team, kept by the wrapper -----------------------------------------------
OPERATION = {
    ("POST", "/dnc"): "add",
    ("GET", "/dnc"): "list",
    ("GET", "/dnc/check"): "check",
    ("POST", "/dnc/batch"): "batch",
}
DOCUMENTED_BUCKETS = {"add": "write", "delete": "write", "check": "read", "list": "read"}
DOCUMENTED_LIMITS = {"write": 30, "read": 60, "batch": 10}


def _operation(req: Req) -> str | None:
    if _is(req, "DELETE", "/dnc/{id}"):
        return "delete"
    return OPERATION.get((req.method, req.path))


@dataclass
class TeamLimits:
    """One team's buckets: which bucket each operation spends, the limits, rolling or fixed."""

    buckets: dict[str, str] = field(default_factory=lambda: dict(DOCUMENTED_BUCKETS))
    limits: dict[str, int] = field(default_factory=lambda: dict(DOCUMENTED_LIMITS))
    fixed: frozenset[str] = frozenset()  # buckets kept in fixed windows
    also_spends: str | None = None  # another key whose buckets each admitted request fills too
    reset_now: bool = False  # a 429 claims resetTime "now"
    drop_reset: bool = False  # a 429 without resetTime

    def bucket(self, operation: str) -> str:
        return self.buckets.get(operation, operation)


@dataclass
class PerTeamLimiter:
    """Rate limits kept in front of the app (whose own limits are lifted): the documented ones
    for team A, `team_b` for team B; admitted requests are counted, 429s are not."""

    team_b: TeamLimits
    team_a: TeamLimits = field(default_factory=TeamLimits)
    stamps: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _limits(self, key: str) -> TeamLimits:
        return self.team_a if key == KEY_A else self.team_b

    def _refused(self, key: str, bucket: str, now: float) -> int | None:
        """resetTime (ms) if the bucket is full, else None."""
        team = self._limits(key)
        log = self.stamps.setdefault((key, bucket), deque())
        limit = team.limits[bucket]
        if bucket in team.fixed:
            slot_start = (now // RL_WINDOW_S) * RL_WINDOW_S
            used = sum(1 for t in log if t >= slot_start)
            return int((slot_start + RL_WINDOW_S) * 1000) if used >= limit else None
        while log and now - log[0] >= RL_WINDOW_S:
            log.popleft()
        return int((log[0] + RL_WINDOW_S) * 1000) if len(log) >= limit else None

    def wrapper(self) -> AppWrapper:
        def on_request(req: Req, scope: Scope) -> Scope | tuple[int, Json]:
            operation = _operation(req)
            if operation is None or req.key not in (KEY_A, KEY_B):
                return scope
            key = req.key
            team = self._limits(key)
            bucket = team.bucket(operation)
            now = time.time()
            reset = self._refused(key, bucket, now)
            if reset is not None:
                body: dict[str, Any] = {
                    "error": "rate_limit_exceeded",
                    "message": "Too many requests. Please try again later.",
                    "resetTime": int(now * 1000) if team.reset_now else reset,
                }
                if team.drop_reset:
                    body.pop("resetTime")
                return 429, body
            self.stamps.setdefault((key, bucket), deque()).append(now)
            if team.also_spends is not None:
                other = self._limits(team.also_spends).bucket(operation)
                self.stamps.setdefault((team.also_spends, other), deque()).append(now)
            return scope

        from .faults import rewrite

        return rewrite(on_request)


NO_LIMITS = {"write": 1_000_000, "read": 1_000_000, "batch": 1_000_000}


def catalogue(F: Callable[..., Fault]) -> list[Fault]:
    """Team-B-only variants; `F` is faults.F (name, behaviour, select, killers, wrapper)."""

    def limited(name: str, behaviour: str, killers: set[str], team_b: TeamLimits) -> Fault:
        return F(
            name,
            behaviour,
            "rate_limit",
            killers,
            PerTeamLimiter(team_b=team_b).wrapper(),
            rate_limits=NO_LIMITS,
        )

    return [
        # isolation, one way only
        F(
            "team A's check sees team B's entries",
            "team isolation on check (both directions)",
            "isolation",
            {team_b("test_another_team_cannot_see_an_entry_through_check")},
            check_sees_team_b(),
        ),
        F(
            "team A's list shows team B's entries",
            "team isolation on list (both directions)",
            "isolation",
            {team_b("test_another_teams_list_does_not_show_the_entries")},
            list_shows_team_b(),
        ),
        F(
            "team A can delete team B's entries",
            "team isolation on delete (both directions)",
            "isolation",
            {
                team_b(
                    "test_delete_of_another_teams_entry_answers_403_unauthorized_dnc_and_keeps_it"
                )
            },
            delete_reaches_team_b(),
        ),
        F(
            "team A's add refused when team B lists the URL",
            "the same URL for two teams (both orders)",
            "isolation",
            {team_b("test_two_teams_can_each_add_the_same_url")},
            add_blocked_by_team_b(),
        ),
        # team B's cache never invalidated by one kind of write
        F(
            "team B's check cache kept on add",
            "add invalidates the cache (team B)",
            "cache",
            {team_b("test_check_sees_an_add_at_once_after_a_cached_miss")},
            StaleCheck(invalidate_on=("batch", "delete"), keys=(KEY_B,)).wrapper(),
        ),
        F(
            "team B's check cache kept on delete",
            "delete invalidates the cache (team B)",
            "cache",
            {team_b("test_check_sees_a_delete_at_once_after_a_cached_hit")},
            StaleCheck(invalidate_on=("add", "batch"), keys=(KEY_B,)).wrapper(),
        ),
        F(
            "team B's check cache kept on batch",
            "batch invalidates the cache (team B)",
            "cache",
            {team_b("test_check_sees_a_batch_add_at_once_after_a_cached_miss")},
            StaleCheck(invalidate_on=("add", "delete"), keys=(KEY_B,)).wrapper(),
        ),
        # duplicates for team B
        F(
            "team B's duplicate add answers 201",
            "409 dnc_entry_exists (team B)",
            "duplicates",
            {team_b("test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists")},
            when_key(KEY_B, "POST", "/dnc", 409, _created_copy),
        ),
        # team B's limits
        limited(
            "team B's write limit 31",
            "30 writes per window (team B)",
            {team_b(W30)},
            TeamLimits(limits={"write": 31, "read": 60, "batch": 10}),
        ),
        limited(
            "team B's read limit 59",
            "60 reads per window (team B)",
            {team_b(R60)},
            TeamLimits(limits={"write": 30, "read": 59, "batch": 10}),
        ),
        limited(
            "team B's batch limit 11",
            "10 batches per window (team B)",
            {team_b(B10)},
            TeamLimits(limits={"write": 30, "read": 60, "batch": 11}),
        ),
        limited(
            "team B's delete has its own bucket",
            "add+delete share 30 (team B)",
            {team_b(W30)},
            TeamLimits(
                buckets={**DOCUMENTED_BUCKETS, "delete": "delete"},
                limits={**DOCUMENTED_LIMITS, "delete": 30},
            ),
        ),
        limited(
            "team B's list has its own bucket",
            "check+list share 60 (team B)",
            {team_b(R60)},
            TeamLimits(
                buckets={**DOCUMENTED_BUCKETS, "list": "list"},
                limits={**DOCUMENTED_LIMITS, "list": 60},
            ),
        ),
        limited(
            "team B's requests also spend team A's buckets",
            "limits are per team (team B does not throttle A)",
            {f"{OTHER}[team_B_exhausted]", f"{AFTER}[team_A]"},
            TeamLimits(also_spends=KEY_A),
        ),
        limited(
            "team B's 429 without resetTime",
            "429 carries resetTime (team B)",
            {team_b(BODY429), team_b(AFTER)},
            TeamLimits(drop_reset=True),
        ),
        limited(
            "team B's resetTime is 'now'",
            "admitted again after resetTime (team B)",
            {team_b(AFTER)},
            TeamLimits(reset_now=True),
        ),
        limited(
            "team B's batch bucket in fixed windows",
            "rolling window (team B)",
            {team_b(ROLLING)},
            TeamLimits(fixed=frozenset({"batch"})),
        ),
    ]


def _created_copy(body: Json) -> tuple[int, Json]:
    entry = {
        "$id": "dnc_copy00000000000000000",
        "teamId": "team_selftest_b",
        "url": "https://linkedin.com/in/a-copy",
        "$createdAt": "2025-11-18T10:30:00.000Z",
        "$updatedAt": "2025-11-18T10:30:00.000Z",
    }
    return 201, {"error": None, "data": entry, "message": "Added to Do Not Contact list"}
