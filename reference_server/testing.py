"""Helpers for driving the reference server in-process (tests, conformance self-tests).

async with inprocess_client(Settings(api_keys={"k": "team"})) as client:
    await client.get("/v1/dnc", headers={"Authorization": "Bearer k"})
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette

from reference_server.app import embedded_app
from reference_server.service import DncService
from reference_server.settings import Settings

__all__ = ["FakeClock", "inprocess_client", "service_of"]


@dataclass
class FakeClock:
    """A settable clock for `Settings.clock`: time moves only when told to."""

    now: float = 1_763_460_000.0  # 2025-11-18T10:00:00Z

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# client id -> app, so `service_of` can reach the service behind an in-process client.
_APPS: dict[int, Starlette] = {}


@asynccontextmanager
async def inprocess_client(
    settings: Settings, base_url: str = "http://dnc.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired through ASGITransport to a fresh app with storage open.

    For white-box assertions (audit trail, cache) reach the service with `service_of(client)`.
    """
    async with embedded_app(settings) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            _APPS[id(client)] = app
            try:
                yield client
            finally:
                _APPS.pop(id(client), None)


def service_of(client: httpx.AsyncClient) -> DncService:
    """The service behind an `inprocess_client`, for white-box assertions (audit, cache)."""
    service: DncService = _APPS[id(client)].state.service
    return service
