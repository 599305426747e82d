"""`dnc mcp`: the DNC list as safe, rate-aware MCP tools for AI agents.

Built on the official `mcp` SDK (`MCPServer`) over `dnc_client.AsyncDncClient`, for any
deployment of openapi.yaml. Modules, one job each: `config` (settings), `models` (tool results),
`errors` (this package's errors and the messages the model reads), `audit` (JSONL log of writes),
`confirm` (delete confirmation), `tools` (what each tool does), `prompts`, `server` (MCP glue),
`embedded` and `runtime` (wiring), `cli` (`dnc mcp`), `demo` (a scripted agent session).
"""

from mcp_server.config import McpConfig, ToolMode, parse_config
from mcp_server.runtime import open_server
from mcp_server.server import build_server
from mcp_server.tools import ToolDeps

__all__ = [
    "McpConfig",
    "ToolDeps",
    "ToolMode",
    "build_server",
    "open_server",
    "parse_config",
]
