"""Fixtures for the MCP server tests (the frozen clock is tests/conftest.py's); the helpers
themselves live in `mcp_server.testing`."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from mcp_server.testing import StackFactory, open_stack


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "node: drives `dnc mcp` over stdio with the TypeScript SDK (needs node, npm)"
    )


@pytest.fixture
def make_stack(tmp_path: Path) -> StackFactory:
    """`async with make_stack(mode=..., rate_limits=..., token_ttl_s=...) as stack:`."""
    return partial(open_stack, tmp_path)
