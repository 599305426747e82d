"""`dnc demo` (what `make demo` runs): the toolkit's two halves, end to end, on this machine.

1. The conformance suite starts the embedded reference server and checks it against
   openapi.yaml, then prints its verdict table.
2. A scripted AI agent talks to the MCP server: it records an opt-out from a reply, checks both
   prospects, and meets the delete confirmation that refuses to act without a human's yes.

The suite runs as a child process, exactly as a user would run `dnc conformance`, so the demo
shows the real command's output and exit code rather than an in-process imitation.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

RULE = "=" * 78


def _banner(title: str) -> None:
    print(f"\n{RULE}\n{title}\n{RULE}", flush=True)


def run_conformance(report: Path, extra: Sequence[str] = ()) -> int:
    """Run `dnc conformance` against the embedded reference server; return its exit code."""
    command = [sys.executable, "-m", "dnc", "conformance", "--report-md", str(report)]
    return subprocess.call([*command, *extra])  # noqa: S603 - our own interpreter and module


def run_agent() -> None:
    import anyio

    from mcp_server.demo import run_agent_demo

    anyio.run(run_agent_demo, sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dnc demo", description=__doc__.splitlines()[0])
    parser.add_argument("--skip-suite", action="store_true", help="only the agent session")
    parser.add_argument("--skip-agent", action="store_true", help="only the conformance suite")
    args = parser.parse_args(argv)

    started = time.monotonic()
    status = 0
    if not args.skip_suite:
        _banner("1/2  dnc conformance: is the reference server a correct DNC API?")
        with tempfile.TemporaryDirectory(prefix="dnc-demo-") as tmp:
            report = Path(tmp) / "verdict.md"
            status = run_conformance(report)
            if report.exists():
                _banner("Verdict (the Markdown table `--report-md` writes for a CI summary)")
                print(report.read_text(encoding="utf-8"))
            else:
                print("The suite wrote no verdict table; see its output above.")
    if not args.skip_agent:
        _banner("2/2  dnc mcp: an AI agent handles two prospect replies")
        run_agent()
    _banner(f"Demo finished in {time.monotonic() - started:.0f} s (suite exit code {status}).")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
