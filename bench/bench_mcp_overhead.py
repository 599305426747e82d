"""What the MCP layer costs: `dnc_check` through an in-memory MCP session vs a direct HTTP call.

Two setups, each comparing the same check on the same reference server:

- loopback: `dnc serve` in its own process on 127.0.0.1, as a deployment runs; the
  MCP server is wired exactly as `dnc mcp` wires it (`runtime.open_server`), its AsyncDncClient
  talks HTTP to that server; the baseline is one httpx call to the same URL.
- in-process: the reference server behind httpx.ASGITransport (no sockets), so the ratio shows
  the SDK's fixed per-call cost against the cheapest possible baseline.

The MCP figure includes the SDK (in-memory client and server, argument and output validation),
the tool function and the AsyncDncClient's pacing; the "client only" line isolates the latter.
Medians over many calls; figures are printed, never asserted (target: ratio <= 1.5x).

    .venv/bin/python -m bench.bench_mcp_overhead [--calls N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx
from mcp import Client
from mcp.server import MCPServer

from mcp_server.api import DncApi
from mcp_server.config import McpConfig
from mcp_server.logs import quieted
from mcp_server.runtime import open_server
from mcp_server.testing import open_stack
from tests.processes import running

KEY = "bench-key"
URL = "https://linkedin.com/in/benchmark-person"
TINY_WINDOW_S = 0.001  # rate limits out of the way: 60 reads per millisecond
UNLIMITED = {"write": 10**9, "read": 10**9, "batch": 10**9}
Call = Callable[[], Awaitable[object]]


async def _median_ms(call: Call, calls: int, warmup: int) -> float:
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _http_check(http: httpx.AsyncClient) -> Call:
    async def direct() -> object:
        response = await http.get("/dnc/check", params={"url": URL})
        response.raise_for_status()
        return response.json()

    return direct


def _client_check(api: DncApi) -> Call:
    async def client_only() -> object:
        return await api.check(URL)

    return client_only


async def _mcp_figures(server: MCPServer, calls: int, warmup: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for mode in ("auto", "legacy"):
        async with Client(server, mode=mode) as client:

            async def via_mcp(client: Client = client) -> object:
                result = await client.call_tool("dnc_check", {"url": URL})
                if result.is_error:
                    raise RuntimeError("dnc_check failed")
                return result.structured_content

            figures[f"MCP session, mode={mode}"] = await _median_ms(via_mcp, calls, warmup)
    return figures


@contextlib.contextmanager
def _loopback_server(db: Path) -> Iterator[str]:
    """`dnc serve` in its own process on 127.0.0.1, as a deployment runs; yields its base URL.

    A separate process matters: a server thread inside the benchmark process would compete for
    the GIL with the MCP client and server and inflate every MCP figure.
    """
    env = dict(os.environ, DNC_API_KEYS=f"{KEY}:team_bench", DNC_RATE_WINDOW_S=str(TINY_WINDOW_S))
    command = [sys.executable, "-m", "reference_server", "--port", "0", "--db", str(db)]
    command += ["--log-level", "warning", "--no-access-log"]
    with running(command, env=env, timeout_s=20, grace_s=10) as server:
        yield server.url


async def _figures(
    http: httpx.AsyncClient, api: DncApi, server: MCPServer, calls: int, warmup: int
) -> dict[str, float]:
    """Direct HTTP, the AsyncDncClient alone and the MCP session, on one listed URL."""
    await http.post("/dnc", json={"url": URL})
    figures = {"direct HTTP (httpx)": await _median_ms(_http_check(http), calls, warmup)}
    figures["AsyncDncClient only (no MCP)"] = await _median_ms(_client_check(api), calls, warmup)
    figures |= await _mcp_figures(server, calls, warmup)
    return figures


async def measure_loopback(base_url: str, tmp: Path, calls: int, warmup: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    config = McpConfig(
        base_url=base_url,
        api_key=KEY,
        data_dir=tmp,
        audit_path=tmp / "audit.jsonl",
        rate_window_s=TINY_WINDOW_S,
    )
    async with (
        httpx.AsyncClient(base_url=base_url, headers=headers) as http,
        open_server(config) as running,
    ):
        return await _figures(http, running.deps.api, running.server, calls, warmup)


async def measure_in_process(tmp: Path, calls: int, warmup: int) -> dict[str, float]:
    async with open_stack(tmp, rate_limits=UNLIMITED) as stack, stack.http() as http:
        return await _figures(http, stack.deps.api, stack.server, calls, warmup)


def _report(title: str, figures: dict[str, float]) -> None:
    baseline = figures["direct HTTP (httpx)"]
    print(title)
    for name, median in figures.items():
        ratio = median / baseline
        note = "  (target <= 1.5x)" if name.startswith("MCP") else ""
        print(f"  {name:<26} {median:7.3f} ms   {ratio:4.2f}x{note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dnc_check latency: MCP vs direct HTTP")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args([] if argv is None else argv)  # `python -m bench` passes none
    print(f"dnc_check median latency over {args.calls} calls; ratio to direct HTTP")
    with quieted(), tempfile.TemporaryDirectory(prefix="dnc-bench-") as tmp:
        root = Path(tmp)
        (root / "loopback").mkdir()
        (root / "asgi").mkdir()
        with _loopback_server(root / "loopback" / "dnc.db") as base_url:
            loopback = anyio.run(
                measure_loopback, base_url, root / "loopback", args.calls, args.warmup
            )
        _report("loopback HTTP (reference server on 127.0.0.1):", loopback)
        in_process = anyio.run(measure_in_process, root / "asgi", args.calls, args.warmup)
        _report("in-process (ASGI transport, no sockets):", in_process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
