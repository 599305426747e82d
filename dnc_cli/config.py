"""Where the CLI's requests go: DNC_BASE_URL + DNC_API_KEY, or the local list of `dnc mcp`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from dnc_cli.audit import Trail
from dnc_cli.errors import UsageError
from dnc_client import DEFAULT_BULK_SHARE, AsyncDncClient
from dnc_kit.settings import SettingsError, read_environment
from reference_server.local import local_backend

__all__ = ["CliConfig", "open_api", "read_config"]


@dataclass(frozen=True)
class CliConfig:
    base_url: str | None  # None: the local list
    api_key: str | None
    data_dir: Path
    rate_window_s: float

    def __repr__(self) -> str:  # never the key
        return f"CliConfig(base_url={self.base_url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def where(self) -> str:
        return self.base_url or f"the local list in {self.data_dir}"

    @property
    def trail(self) -> Trail:
        return Trail.of(self.data_dir, self.base_url, self.api_key)


def read_config(environ: Mapping[str, str] | None = None) -> CliConfig:
    try:
        env = read_environment(environ)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    if env.base_url is not None and env.api_key is None:
        raise UsageError("DNC_BASE_URL is set but DNC_API_KEY is not: set the team's API key")
    return CliConfig(
        base_url=env.base_url,
        api_key=env.api_key,
        data_dir=env.data_dir,
        rate_window_s=env.window_s,
    )


@asynccontextmanager
async def open_api(
    config: CliConfig, *, bulk_share: float = DEFAULT_BULK_SHARE
) -> AsyncIterator[AsyncDncClient]:
    """A paced client for the configured deployment, or for the local list (opened here).

    `bulk_share`: the part of each rate-limit bucket bulk work may use (`--max-rate`)."""
    if config.base_url is not None:
        assert config.api_key is not None
        async with AsyncDncClient(
            config.base_url,
            config.api_key,
            rate_window_s=config.rate_window_s,
            bulk_share=bulk_share,
        ) as api:
            yield api
        return
    async with (
        local_backend(config.data_dir, rate_window_s=config.rate_window_s) as local,
        AsyncDncClient(
            local.base_url,
            local.api_key,
            transport=local.transport,
            rate_window_s=config.rate_window_s,
            bulk_share=bulk_share,
        ) as api,
    ):
        yield api
