"""Run configuration: where the target is, which keys to use, how long its rate-limit window is.

Every setting comes from the environment and can be overridden by the matching pytest option.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dnc_kit.contract import BUCKET_LIMITS, DEFAULT_WINDOW_S
from dnc_kit.settings import SettingsError, non_negative_seconds, positive_seconds

# The documented per-team limits per rolling window, read from openapi.yaml's `x-rate-limit`
# (never retyped: a spec that says 20 writes makes the suite hold a server to 20).
LIMITS: dict[str, int] = dict(BUCKET_LIMITS)
DOCUMENTED_WINDOW_S = DEFAULT_WINDOW_S

ENV_BASE_URL = "DNC_BASE_URL"
ENV_API_KEY = "DNC_API_KEY"
ENV_SECOND_KEY = "DNC_SECOND_TEAM_API_KEY"
ENV_WINDOW = "DNC_RATE_WINDOW_S"
ENV_CLOCK_SKEW = "DNC_CLOCK_SKEW_S"
DEFAULT_CLOCK_SKEW_S = 2.0


def new_run_id() -> str:
    """Eight lowercase hex characters: short enough to keep prefixed slugs far below 100 chars."""
    return secrets.token_hex(4)


@dataclass
class RunConfig:
    base_url: str
    api_key: str
    second_api_key: str | None
    window_s: float = DOCUMENTED_WINDOW_S
    strict: bool = False
    rate_limit_tests: bool = True
    report_md: Path | None = None
    report_json: Path | None = None
    baseline: Path | None = None
    run_id: str = field(default_factory=new_run_id)
    embedded: bool = False
    request_timeout_s: float = 30.0
    clock_skew_s: float = DEFAULT_CLOCK_SKEW_S
    rolling_window_test: bool = True  # off: --no-rolling-window-test (not measured)

    @property
    def marker(self) -> str:
        """The text every URL this run creates carries (slug prefix `<marker>-`)."""
        return f"dnc-conformance-{self.run_id}"

    @property
    def slug_prefix(self) -> str:
        return f"{self.marker}-"

    def url_for(self, name: str) -> str:
        """A canonical URL under the run prefix, e.g. https://linkedin.com/in/dnc-conformance-ab12cd34-x."""
        return f"https://linkedin.com/in/{self.slug_prefix}{name}"

    @property
    def long_window(self) -> bool:
        """A window this long makes every request expensive: Schemathesis runs on a budget."""
        return self.window_s > 10


# A setting with a bad value: one line naming the variable (dnc_kit's one settings error).
ConfigError = SettingsError


def env_window(default: float = DOCUMENTED_WINDOW_S) -> float:
    raw = os.environ.get(ENV_WINDOW, "").strip()
    return positive_seconds(raw, ENV_WINDOW) if raw else default


def env_clock_skew(default: float = DEFAULT_CLOCK_SKEW_S) -> float:
    raw = os.environ.get(ENV_CLOCK_SKEW, "").strip()
    return non_negative_seconds(raw, ENV_CLOCK_SKEW) if raw else default
