"""`dnc mcp`'s access settings: a bearer of its own off loopback, no token on a multi-team
server, the session caps, and secrets kept out of the configuration's repr."""

from __future__ import annotations

import pytest

from mcp_server.config import parse_config
from mcp_server.errors import ConfigError

TOKEN = "an-mcp-token-of-forty-characters-0123456"
KEY = "sk_live_config_team_key_51f0c2"
PUBLIC = [
    "--transport", "streamable-http", "--host", "0.0.0.0", "--allow-non-loopback",
    "--allowed-hosts", "mcp.example.com", "--public-url", "https://mcp.example.com",
]  # fmt: skip
REMOTE = {"DNC_BASE_URL": "https://api.example.test/v1"}


@pytest.mark.parametrize("environ", [REMOTE | {"DNC_API_KEY": KEY}, {}], ids=["remote", "embedded"])
def test_a_single_team_server_off_loopback_needs_a_token_of_its_own(
    environ: dict[str, str],
) -> None:
    with pytest.raises(ConfigError, match="DNC_MCP_TOKEN"):
        parse_config(PUBLIC, environ=environ)
    config = parse_config(PUBLIC, environ=environ | {"DNC_MCP_TOKEN": TOKEN})
    assert config.mcp_token == TOKEN


def test_a_multi_team_server_off_loopback_needs_no_token_and_refuses_one() -> None:
    assert parse_config(PUBLIC, environ=REMOTE).multi_tenant is True
    with pytest.raises(ConfigError, match="single-team"):
        parse_config(PUBLIC, environ=REMOTE | {"DNC_MCP_TOKEN": TOKEN})


def test_a_token_with_whitespace_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(["--transport", "streamable-http"], environ={"DNC_MCP_TOKEN": "two words"})
    assert "two words" not in str(refused.value)


def test_the_session_caps_and_idle_timeout_are_flags() -> None:
    flags = [
        "--transport", "streamable-http", "--max-sessions", "50",
        "--max-sessions-per-credential", "3", "--session-idle-timeout", "120",
    ]  # fmt: skip
    config = parse_config(flags, environ={})
    assert (config.max_sessions, config.max_sessions_per_credential) == (50, 3)
    assert config.session_idle_s == 120
    defaults = parse_config([], environ={})
    assert defaults.max_sessions > defaults.max_sessions_per_credential > 1


@pytest.mark.parametrize(
    "flags",
    [
        ["--max-sessions", "0"],
        ["--max-sessions-per-credential", "0"],
        ["--session-idle-timeout", "0"],
    ],
)
def test_session_limits_must_be_positive(flags: list[str]) -> None:
    with pytest.raises(ConfigError):
        parse_config(["--transport", "streamable-http", *flags], environ={})


def test_the_repr_shows_neither_the_token_nor_a_password_in_the_base_url() -> None:
    environ = {
        "DNC_BASE_URL": "https://operator:hunter2@api.example.test/v1",
        "DNC_API_KEY": KEY,
        "DNC_MCP_TOKEN": TOKEN,
    }
    shown = repr(parse_config(["--transport", "streamable-http"], environ=environ))
    for secret in ("hunter2", KEY, TOKEN):
        assert secret not in shown
    assert "operator:***@api.example.test" in shown
    assert "mcp_token=set" in shown
