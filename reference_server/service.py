"""The five DNC operations, free of HTTP: validation, normalization, storage, cache, audit.

Handlers turn requests into these calls and results into envelopes; the order auth -> rate
limit -> validation is kept by the handlers, which call `admit` before any method here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import anyio

from reference_server.auth import Authenticator, Principal
from reference_server.cache import AnswerCache, CheckCache, Miss, Token
from reference_server.check_gate import CheckGate, LocalCheckGate
from reference_server.errors import (
    ENTRIES_REQUIRED,
    ENTRY_NEEDS_URL,
    URL_INVALID,
    URL_REQUIRED,
    ApiError,
    EntryExists,
    EntryNotFound,
    ForbiddenEntry,
    InvalidRequest,
    InvalidUrl,
    RateLimited,
)
from reference_server.ratelimit import Decision, Limiter, RateLimiter
from reference_server.settings import Settings
from reference_server.storage import (
    DeleteOutcome,
    DuplicateEntryError,
    Entry,
    KeyStore,
    Storage,
)

__all__ = ["BatchDetail", "BatchResult", "CheckTicket", "DncService"]

_ENTRY_ID = re.compile(r"dnc_[A-Za-z0-9]{1,64}")
# The safety-critical read: with the shared limiter down it is admitted per instance and
# answered from the database rather than refused (decision outage-redis).
DEGRADABLE_OPERATIONS = frozenset({"checkDncStatus"})


@dataclass(frozen=True, slots=True)
class BatchDetail:
    url: str
    status: Literal["added", "duplicate", "error"]
    error: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"url": self.url, "status": self.status}
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class BatchResult:
    details: list[BatchDetail]

    def count(self, status: str) -> int:
        return sum(1 for detail in self.details if detail.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.count("added"),
            "duplicates": self.count("duplicate"),
            "errors": self.count("error"),
            "details": [detail.to_json() for detail in self.details],
        }

    @property
    def message(self) -> str:
        return (
            f"Bulk import completed: {self.count('added')} added, "
            f"{self.count('duplicate')} duplicates, {self.count('error')} errors"
        )


@dataclass(frozen=True, slots=True)
class CheckTicket:
    """An admitted check: its rate decision, and its URL's cached answer or why it has none."""

    decision: Decision
    url: str | None
    invalid: ApiError | None
    token: Token
    cached: Entry | Miss | None


class DncService:
    """The operations over injected parts; without `limiter`/`cache` the single-process
    in-memory ones are used (what `dnc serve` runs without Redis)."""

    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        *,
        limiter: Limiter | None = None,
        cache: AnswerCache | None = None,
        gate: CheckGate | None = None,
    ) -> None:
        self.settings = settings
        self.storage = storage
        keys = storage if isinstance(storage, KeyStore) else None
        self.auth = Authenticator(
            settings.api_keys, keys, ttl_s=settings.key_cache_ttl_s, clock=settings.clock
        )
        self.limiter: Limiter = limiter or RateLimiter(
            settings.rate_limits, settings.rate_window_s, settings.clock
        )
        self.cache: AnswerCache = cache or CheckCache(settings.cache_ttl_s, settings.clock)
        self.gate: CheckGate = gate or LocalCheckGate(self.limiter, self.cache)

    def _now_ms(self) -> int:
        return int(self.settings.clock() * 1000)

    async def admit(self, principal: Principal, operation: str) -> Decision:
        """Count the request against its bucket, or raise RateLimited without counting it."""
        decision = await self.limiter.acquire(
            principal.team_id,
            self.settings.operation_buckets[operation],
            degradable=operation in DEGRADABLE_OPERATIONS,
        )
        if not decision.allowed:
            headers = {**decision.headers(), "Retry-After": str(decision.retry_after_s)}
            raise RateLimited(decision.reset_ms, headers)
        return decision

    @contextlib.asynccontextmanager
    async def _team_write(self, team: str) -> AsyncIterator[None]:
        """Shielded so a cancelled request cannot commit and skip the cache invalidation.

        `before_write` may refuse the write (shared cache unreachable: nothing is written);
        `after_write` runs after the commit, whether the write succeeded or not.
        """
        with anyio.CancelScope(shield=True):
            await self.cache.before_write(team)
            try:
                yield
            finally:
                await self.cache.after_write(team)

    def _normalize(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequest(URL_REQUIRED)
        url = self.settings.normalizer(value)
        if url is None:
            raise InvalidUrl(URL_INVALID)
        return url

    async def add(self, principal: Principal, url_value: object) -> Entry:
        url = self._normalize(url_value)
        team = principal.team_id
        entry: Entry | None = None
        async with self._team_write(team):
            with contextlib.suppress(DuplicateEntryError):
                entry = await self.storage.add(
                    team, url, actor=principal.key_fingerprint, now_ms=self._now_ms()
                )
        if entry is None:
            raise EntryExists()
        return entry

    def validate_batch(self, entries: object) -> list[str]:
        """The whole-request checks; returns the raw url strings in order."""
        if not isinstance(entries, list) or not entries:
            raise InvalidRequest(ENTRIES_REQUIRED)
        if len(entries) > self.settings.max_batch_entries:
            raise InvalidRequest(
                f"Entries array must hold at most {self.settings.max_batch_entries} entries"
            )
        raws: list[str] = []
        for item in entries:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                raise InvalidRequest(ENTRY_NEEDS_URL)
            raws.append(item["url"])
        return raws

    async def add_batch(self, principal: Principal, entries: object) -> BatchResult:
        raws = self.validate_batch(entries)
        normalized: list[str | None] = [self.settings.normalizer(raw) for raw in raws]
        to_insert: Sequence[str] = [url for url in normalized if url is not None]
        team = principal.team_id
        stored: list[Entry | None] = []
        if to_insert:
            async with self._team_write(team):
                stored = await self.storage.add_many(
                    team, to_insert, actor=principal.key_fingerprint, now_ms=self._now_ms()
                )
        outcomes = iter(stored)
        details: list[BatchDetail] = []
        for raw, url in zip(raws, normalized, strict=True):
            if url is None:
                details.append(BatchDetail(raw, "error", URL_INVALID))
            else:
                added = next(outcomes) is not None
                details.append(BatchDetail(url, "added" if added else "duplicate"))
        return BatchResult(details)

    async def admit_check(self, principal: Principal, url_value: object) -> CheckTicket:
        """Admit a check and look its answer up in one call; raise RateLimited if refused.

        The URL is normalized first so its answer can be looked up in the same call, but an
        invalid one is reported only after admission (`answer_check`), as for every route.
        """
        url: str | None = None
        invalid: ApiError | None = None
        try:
            url = self._normalize(url_value)
        except ApiError as error:
            invalid = error
        bucket = self.settings.operation_buckets["checkDncStatus"]
        decision, token, cached = await self.gate.admit_and_lookup(principal.team_id, bucket, url)
        if not decision.allowed:
            headers = {**decision.headers(), "Retry-After": str(decision.retry_after_s)}
            raise RateLimited(decision.reset_ms, headers)
        return CheckTicket(decision, url, invalid, token, cached)

    async def answer_check(self, principal: Principal, ticket: CheckTicket) -> Entry | None:
        if ticket.invalid is not None or ticket.url is None:
            raise ticket.invalid or InvalidRequest(URL_REQUIRED)
        if not isinstance(ticket.cached, Miss):
            return ticket.cached
        team = principal.team_id
        read = await self.gate.read_team(team, ticket.url, ticket.token)
        if not isinstance(read, Miss):
            return read  # the team's list is kept instead of this one answer
        entry = await self.storage.get_by_url(team, ticket.url)
        await self.cache.store(team, ticket.url, entry, ticket.token)
        return entry

    async def list_entries(self, principal: Principal, limit: int, offset: int) -> list[Entry]:
        return await self.storage.list_entries(principal.team_id, limit=limit, offset=offset)

    async def delete(self, principal: Principal, entry_id: str) -> None:
        if not _ENTRY_ID.fullmatch(entry_id):
            raise EntryNotFound()
        team = principal.team_id
        async with self._team_write(team):
            outcome = await self.storage.delete(
                team, entry_id, actor=principal.key_fingerprint, now_ms=self._now_ms()
            )
        if outcome is DeleteOutcome.NOT_FOUND:
            raise EntryNotFound()
        if outcome is DeleteOutcome.OTHER_TEAM:
            raise ForbiddenEntry()
