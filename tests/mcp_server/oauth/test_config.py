"""`dnc mcp --oauth` settings: a server secret of its own, HTTP only, https off loopback."""

from __future__ import annotations

import pytest

from mcp_server.config import parse_config
from mcp_server.errors import ConfigError

from .hosting import OTHER_SECRET, SECRET

REMOTE = {"DNC_BASE_URL": "https://api.example.com/v1"}
HTTP = ["--transport", "streamable-http", "--oauth"]
PUBLIC = [
    *HTTP, "--host", "0.0.0.0", "--allow-non-loopback", "--allowed-hosts", "mcp.example.com",
]  # fmt: skip


def test_oauth_needs_a_server_secret_of_at_least_32_bytes_and_never_echoes_it() -> None:
    with pytest.raises(ConfigError, match="DNC_MCP_OAUTH_SECRET"):
        parse_config(HTTP, environ=REMOTE)
    with pytest.raises(ConfigError, match="at least 32 bytes") as short:
        parse_config(HTTP, environ=REMOTE | {"DNC_MCP_OAUTH_SECRET": "s3cret-but-short"})
    assert "s3cret-but-short" not in str(short.value)
    config = parse_config(HTTP, environ=REMOTE | {"DNC_MCP_OAUTH_SECRET": SECRET})
    assert config.oauth is True
    assert config.oauth_secret == SECRET
    assert SECRET not in repr(config)


def test_retired_secrets_are_a_comma_separated_grace_list() -> None:
    environ = REMOTE | {
        "DNC_MCP_OAUTH_SECRET": OTHER_SECRET,
        "DNC_MCP_OAUTH_SECRET_PREVIOUS": f" {SECRET} ,",
    }
    assert parse_config(HTTP, environ=environ).oauth_previous_secrets == (SECRET,)
    with pytest.raises(ConfigError, match="DNC_MCP_OAUTH_SECRET_PREVIOUS"):
        parse_config(HTTP, environ=environ | {"DNC_MCP_OAUTH_SECRET_PREVIOUS": "short"})


def test_oauth_is_for_the_http_transport_and_an_https_public_url() -> None:
    environ = REMOTE | {"DNC_API_KEY": "k", "DNC_MCP_OAUTH_SECRET": SECRET}
    with pytest.raises(ConfigError, match="streamable-http"):
        parse_config(["--oauth"], environ=environ)
    with pytest.raises(ConfigError, match="https"):
        parse_config(
            [*PUBLIC, "--public-url", "http://mcp.example.com"],
            environ=REMOTE | {"DNC_MCP_OAUTH_SECRET": SECRET},
        )
    hosted = parse_config(
        [*PUBLIC, "--public-url", "https://mcp.example.com"],
        environ=REMOTE | {"DNC_MCP_OAUTH_SECRET": SECRET},
    )
    assert hosted.oauth is True
