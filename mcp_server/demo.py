"""A scripted agent session against `dnc mcp`'s embedded backend, for `make demo`.

    await run_agent_demo(sys.stdout)

The "agent" is a script, not a model: it reads two prospect replies, fetches the
`handle_opt_out_reply` prompt, records the opt-out with `dnc_add`, checks both prospects with
`dnc_check`, and then tries to remove the opted-out person twice, once from a client without
elicitation (a link to the approval page for the human, nothing deleted) and once from a client
whose human says no.
Everything runs in-process on a throw-away data dir; the user's own data dir is not touched.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Final, TextIO

import anyio
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, ErrorData, TextContent

from mcp_server.config import McpConfig
from mcp_server.logs import quieted
from mcp_server.runtime import open_server
from mcp_server.stdio_page import page_on_demand

__all__ = ["SAMPLE_REPLIES", "looks_like_opt_out", "main", "run_agent_demo"]

SAMPLE_REPLIES: Final = (
    (
        "https://www.linkedin.com/in/jane-doe-demo/",
        "Please stop messaging me. Remove me from your list, I am not interested.",
    ),
    (
        "linkedin.com/in/tom-baker-demo",
        "Thanks for reaching out! Could you send me pricing for 20 seats?",
    ),
)
_OPT_OUT_PHRASES: Final = (
    "stop",
    "remove me",
    "unsubscribe",
    "not interested",
    "do not contact",
    "don't contact",
    "leave me alone",
    "spam",
)


def looks_like_opt_out(reply: str) -> bool:
    """The demo agent's stand-in for a model's judgement (the prompt says what to look for)."""
    lowered = reply.lower()
    return any(phrase in lowered for phrase in _OPT_OUT_PHRASES)


def _content(result: CallToolResult) -> dict[str, Any]:
    if result.is_error or result.structured_content is None:
        text = " ".join(b.text for b in result.content if isinstance(b, TextContent))
        raise RuntimeError(f"tool failed: {text}")
    data: dict[str, Any] = result.structured_content
    return data


class _HumanSaysNo:
    """The elicitation callback: shows the question and answers like a cautious human."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    async def __call__(
        self, context: ClientRequestContext, params: ElicitRequestParams
    ) -> ElicitResult | ErrorData:
        self._out.write("     The human is asked:\n")
        for line in params.message.splitlines():
            self._out.write(f"       | {line}\n")
        self._out.write("     The human answers: decline\n")
        return ElicitResult(action="decline")


async def run_agent_demo(out: TextIO, data_dir: Path | None = None) -> None:
    """Play the scripted session, writing a readable transcript to `out`."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(quieted())
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dnc-demo-")))
        config = McpConfig(
            base_url=None,
            api_key=None,
            data_dir=data_dir,
            audit_path=data_dir / "mcp-audit.jsonl",
        )
        async with open_server(config) as running, page_on_demand(running.approvals):
            await _session(out, running.server, config)


async def _session(out: TextIO, server: Any, config: McpConfig) -> None:
    w = out.write
    async with Client(server) as agent:
        tools = [tool.name for tool in (await agent.list_tools()).tools]
        w("== An AI agent handles prospect replies through `dnc mcp` ==\n")
        w(f"   backend: embedded reference server; protocol {agent.protocol_version}\n")
        w(f"   tools offered: {', '.join(tools)}\n\n")

        opted_out: list[str] = []
        for number, (url, reply) in enumerate(SAMPLE_REPLIES, start=1):
            w(f"-- Reply {number} from {url}\n")
            w(f'   "{reply}"\n')
            prompt = await agent.get_prompt(
                "handle_opt_out_reply", {"reply_text": reply, "linkedin_url": url}
            )
            w(f"   prompt handle_opt_out_reply: {len(prompt.messages)} message(s) of guidance\n")
            if looks_like_opt_out(reply):
                w("   agent decides: OPT-OUT -> dnc_add\n")
                added = _content(
                    await agent.call_tool("dnc_add", {"url": url, "reason": reply[:80]})
                )
                entry = added["entry"]
                w(f"   dnc_add: {added['status']} {entry['$id']} as {entry['url']}\n\n")
                opted_out.append(url)
            else:
                w("   agent decides: NOT AN OPT-OUT (a question about pricing)\n\n")

        w("-- Before any outreach, the agent checks both prospects\n")
        for url, _ in SAMPLE_REPLIES:
            checked = _content(await agent.call_tool("dnc_check", {"url": url}))
            verdict = (
                "ON THE LIST -> do not contact" if checked["onList"] else "not listed -> may reply"
            )
            w(f"   dnc_check {url}: {verdict}\n")
        w("\n")

        target = opted_out[0]
        w(f"-- The agent is asked to remove {target} (it must not happen without a human's yes)\n")
        w("   1. from a client WITHOUT elicitation:\n")
        preview = _content(await agent.call_tool("dnc_delete", {"url": target}))
        w(f"     dnc_delete: {preview['status']}; the human must open {preview['approval_url']}\n")
        w(f"     server says: {preview['message'][:110]}...\n")
        still = _content(await agent.call_tool("dnc_check", {"url": target}))["onList"]
        w(f"     dnc_check afterwards: on the list = {still}\n")

    w("   2. from a client WITH elicitation (the human is asked directly):\n")
    async with Client(server, elicitation_callback=_HumanSaysNo(out)) as asking:
        refused = _content(await asking.call_tool("dnc_delete", {"url": target}))
        w(f"     dnc_delete: {refused['status']}: {refused['message'][:70]}...\n")
        still = _content(await asking.call_tool("dnc_check", {"url": target}))["onList"]
        w(f"     dnc_check afterwards: on the list = {still}\n\n")

    lines = config.audit_path.read_text(encoding="utf-8").splitlines()
    w(f"-- Audit log ({config.audit_path.name}): {len(lines)} record(s)\n")
    for record in map(json.loads, lines):
        w(f"   {record['time']}  {record['tool']:<10}  {record['outcome']:<35}  {record['id']}\n")


def main() -> int:
    anyio.run(run_agent_demo, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
