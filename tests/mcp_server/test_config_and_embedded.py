"""`dnc mcp` settings from flags and environment, and the embedded backend's persisted key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mcp_server.config import ToolMode, default_data_dir, parse_config
from mcp_server.embedded import load_or_create_key
from mcp_server.errors import ConfigError

SECRET = "sk_config_secret_123"


def test_without_a_base_url_the_embedded_backend_and_user_data_dir_are_used() -> None:
    config = parse_config([], environ={})
    assert config.base_url is None
    assert config.data_dir == default_data_dir()
    assert config.audit_path == default_data_dir() / "mcp-audit.jsonl"
    assert (config.mode, config.transport) == (ToolMode.FULL, "stdio")


def test_a_deployment_is_configured_from_the_environment(tmp_path: Path) -> None:
    env = {
        "DNC_BASE_URL": "https://api.example.test/v1",
        "DNC_API_KEY": SECRET,
        "DNC_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "DNC_RATE_WINDOW_S": "2.5",
    }
    config = parse_config(["--transport", "streamable-http", "--port", "8123"], environ=env)
    assert (config.base_url, config.api_key) == ("https://api.example.test/v1", SECRET)
    assert config.audit_path == tmp_path / "audit.jsonl"
    assert config.rate_window_s == 2.5
    assert (config.transport, config.port) == ("streamable-http", 8123)
    assert SECRET not in repr(config)


@pytest.mark.parametrize(
    ("flags", "mode"),
    [(["--read-only"], ToolMode.READ_ONLY), (["--no-delete"], ToolMode.NO_DELETE)],
)
def test_read_only_and_no_delete_flags_choose_the_tool_mode(
    flags: list[str], mode: ToolMode
) -> None:
    assert parse_config(flags, environ={}).mode is mode


def test_read_only_and_no_delete_cannot_be_combined() -> None:
    with pytest.raises(SystemExit):
        parse_config(["--read-only", "--no-delete"], environ={})


@pytest.mark.parametrize(
    ("env", "flags", "message"),
    [
        ({"DNC_BASE_URL": "https://x.test/v1"}, [], "DNC_API_KEY"),
        ({"DNC_BASE_URL": "x.test/v1", "DNC_API_KEY": SECRET}, [], "http://"),
        ({"DNC_RATE_WINDOW_S": "soon"}, [], "DNC_RATE_WINDOW_S"),
        ({}, ["--port", "70000"], "--port"),
        ({}, ["--token-ttl", "-1"], "--token-ttl"),
        ({}, ["--host", "0.0.0.0"], "--allow-non-loopback"),
        ({}, ["--host", "10.0.0.5", "--allow-non-loopback"], "--allowed-hosts"),
        (
            {},
            ["--host", "0.0.0.0", "--allow-non-loopback", "--allowed-hosts", "mcp.example.com"],
            "--public-url",
        ),
        ({}, ["--stateless"], "--stateless"),
        ({"DNC_MCP_STATE_SECRET": "short"}, [], "DNC_MCP_STATE_SECRET"),
        ({}, ["--redis-url", "http://redis:6379"], "redis://"),
        ({}, ["--approval-ttl", "0"], "--approval-ttl"),
    ],
)
def test_unusable_settings_are_refused_without_echoing_the_key(
    env: dict[str, str], flags: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(flags, environ=env)
    assert SECRET not in str(caught.value)


def test_the_embedded_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "key"
    key = load_or_create_key(path)
    assert key.startswith("dnck_")
    assert len(key) > 30
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key


def test_without_a_key_one_http_server_serves_many_teams() -> None:
    env = {"DNC_BASE_URL": "https://api.example.test/v1"}
    hosted = parse_config(["--transport", "streamable-http"], environ=env)
    single = parse_config(["--transport", "streamable-http"], environ=env | {"DNC_API_KEY": SECRET})
    embedded = parse_config(["--transport", "streamable-http"], environ={})
    assert hosted.multi_tenant is True
    assert single.multi_tenant is False
    assert embedded.multi_tenant is False


def test_a_public_server_takes_its_allow_lists_and_keeps_secrets_out_of_its_repr() -> None:
    flags = [
        "--transport", "streamable-http", "--host", "0.0.0.0", "--allow-non-loopback",
        "--allowed-hosts", "mcp.example.com,MCP.example.com:443", "--allowed-origins",
        "https://app.example.com", "--public-url", "https://mcp.example.com/", "--stateless",
        "--redis-url", "redis://:hunter2@redis:6379/0",
    ]  # fmt: skip
    secrets = {"DNC_MCP_STATE_SECRET": "s" * 40, "DNC_MCP_TOKEN": "t" * 40}
    config = parse_config(flags, environ=secrets)
    assert config.allowed_hosts == ("mcp.example.com", "mcp.example.com:443")
    assert config.allowed_origins == ("https://app.example.com",)
    assert config.public_url == "https://mcp.example.com"
    assert config.stateless is True
    assert "hunter2" not in repr(config)
    assert "s" * 40 not in repr(config)
    assert "t" * 40 not in repr(config)


def test_the_weaker_token_flow_is_opt_in() -> None:
    assert parse_config([], environ={}).confirm_with_token is False
    assert parse_config(["--confirm-with-token"], environ={}).confirm_with_token is True
