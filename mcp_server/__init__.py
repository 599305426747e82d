"""`dnc mcp`: the DNC list as safe, rate-aware MCP tools for AI agents.

Built on the official `mcp` SDK (`MCPServer`) over `dnc_client.AsyncDncClient`, for any
deployment of openapi.yaml, for one team or (over HTTP, a key per request) many. Modules, one job
each: `config` (settings), `models` (tool results), `errors` (this package's errors and the
messages the model reads), `audit` (JSONL log of writes), `api` (the operations the tools use),
`tenancy` (whose key a request acts with), `access` (who may call over HTTP: a bearer checked
before any session), `stdio` (a JSON-RPC error for a malformed stdio line), `deletion` (the
whole of `dnc_delete`: find the entry, ask a human by form, URL, approval page or echo token,
delete, audit), `tools` (what the other tools do), `prompts`, `server` (MCP glue), `embedded`
and `runtime` (wiring), `stdio_page` (the approval page, started on first need), `http_app` (the
HTTP side), `cli` (`dnc mcp`), `demo` (a scripted agent session).
"""

from mcp_server import demo, embedded
from mcp_server.config import McpConfig, ToolMode, parse_config
from mcp_server.runtime import open_server
from mcp_server.server import build_server
from mcp_server.tools import ToolDeps

__all__ = [
    "McpConfig",
    "ToolDeps",
    "ToolMode",
    "build_server",
    "demo",
    "embedded",
    "open_server",
    "parse_config",
]
