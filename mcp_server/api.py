"""The DNC API operations the tools use, as a protocol: one client, or one per request's key.

`dnc_client.AsyncDncClient` satisfies it (single-tenant: the server's own key); in multi-tenant
mode `mcp_server.tenancy.RequestScopedApi` does, acting with the key of the MCP request being
served.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from dnc_client import BatchResult, CheckOutcome, CheckResult, DncEntry, ListPage, ProgressCallback

__all__ = ["DncApi"]


class DncApi(Protocol):
    async def add(self, url: str) -> DncEntry: ...

    async def add_batch(self, urls: Sequence[str]) -> BatchResult: ...

    async def check(self, url: str) -> CheckResult: ...

    async def list(self, limit: int, offset: int) -> ListPage: ...

    async def delete(self, entry_id: str) -> str: ...

    async def check_many(
        self, urls: Sequence[str], *, progress: ProgressCallback | None = None
    ) -> builtins.list[CheckOutcome]: ...
