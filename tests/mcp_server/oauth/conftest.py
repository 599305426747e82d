"""Fixtures for the OAuth tests: the live tests' real Redis, shared."""

from tests.mcp_server.live.conftest import redis_session, redis_url

__all__ = ["redis_session", "redis_url"]
