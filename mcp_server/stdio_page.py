"""stdio mode: the approval page on a loopback port of its own, started on first need.

Most sessions never delete, so `dnc mcp` does not start a web server for the page until the
first approval needs a link (`ApprovalService.link`); from then on it serves until `dnc mcp`
exits. A fixed `--approval-port` that is taken is therefore reported on the first delete, as
a tool error, not at start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskStatus
from mcp.server.mcpserver.exceptions import ToolError

from mcp_server.deletion import ApprovalService
from mcp_server.http_app import loopback_page

__all__ = ["page_on_demand"]


@asynccontextmanager
async def page_on_demand(approvals: ApprovalService, port: int = 0) -> AsyncIterator[None]:
    """Within the block, the first `approvals.link(...)` starts the page on 127.0.0.1:`port`."""
    lock = anyio.Lock()
    stop = anyio.Event()

    async def run_page(*, task_status: TaskStatus[str]) -> None:
        async with loopback_page(approvals, port) as base_url:
            task_status.started(base_url)
            await stop.wait()

    async with anyio.create_task_group() as group:

        async def start() -> str:
            async with lock:  # two first approvals at once start one page
                if approvals.base_url is not None:
                    return approvals.base_url
                try:
                    base_url: str = await group.start(run_page)
                except OSError as error:
                    raise ToolError(
                        f"Nothing was deleted: the approval page could not be served on"
                        f" 127.0.0.1:{port} ({error.strerror or error}). Tell the human to"
                        " restart dnc mcp with another --approval-port."
                    ) from None
                return base_url

        approvals.start_page = start
        try:
            yield
        finally:
            approvals.start_page = None
            stop.set()
