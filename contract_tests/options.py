"""The suite's command-line options and the run configuration they produce (option > environment
> default), stored with the run's state at `pytest_configure`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contract_tests import baseline, embedded
from contract_tests.config import (
    DOCUMENTED_WINDOW_S,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECOND_KEY,
    ConfigError,
    RunConfig,
    env_clock_skew,
    env_window,
)
from contract_tests.report import CATEGORIES, Verdict
from contract_tests.requirements import MARK
from contract_tests.run_state import STATE, RunState
from dnc_kit.settings import positive_seconds

# The suite's own options, in the order `dnc conformance --help` shows them.
GROUP = "dnc-conformance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "DNC API conformance (dnc conformance)")
    group.addoption(
        "--base-url",
        default=None,
        help=f"API base URL, e.g. https://api.example.com/v1 (env {ENV_BASE_URL}); "
        "without it the embedded reference server is started",
    )
    group.addoption("--api-key", default=None, help=f"team A's API key (env {ENV_API_KEY})")
    group.addoption(
        "--second-api-key", default=None, help=f"another team's API key (env {ENV_SECOND_KEY})"
    )
    group.addoption(
        "--rate-window-s",
        type=float,
        default=None,
        help="the target's rate-limit window in seconds (env DNC_RATE_WINDOW_S, default "
        f"{DOCUMENTED_WINDOW_S:g})",
    )
    group.addoption(
        "--clock-skew-s",
        type=float,
        default=None,
        help="tolerated clock difference to the target in seconds (env DNC_CLOCK_SKEW_S, "
        "default 2); the server's Date header is used as well where present",
    )
    group.addoption(
        "--no-rolling-window-test",
        action="store_true",
        default=False,
        help="skip the rolling-window test (reported as not measured); it shares the batch "
        "bucket's limit test and costs about one more window",
    )
    group.addoption(
        "--rolling-window-test",
        action="store_true",
        default=False,
        help="(the default now; kept for old command lines)",
    )
    group.addoption(
        "--no-rate-limit-tests",
        action="store_true",
        default=False,
        help="skip the rate-limit tests (reported as not measured)",
    )
    group.addoption(
        "--report-md", default=None, help="write the Markdown verdict table to this path"
    )
    group.addoption(
        "--report-json",
        default=None,
        help="write the verdict document (contract_tests/verdict.schema.json) to this path",
    )
    group.addoption(
        "--trace-file",
        default=None,
        help="write every request and answer of the run to this file (JSON lines; keys never "
        "appear, only which team's key was used)",
    )
    group.addoption(
        "--baseline",
        default=None,
        help="YAML list of requirement ids expected to fail: a listed failure does not fail the "
        "run, a listed requirement that passes does (stale baseline)",
    )
    group.addoption(
        "--dnc-strict",
        action="store_true",
        default=False,
        help="inferred normalization cases fail instead of warning (also: --strict)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for key, title in CATEGORIES.items():
        config.addinivalue_line("markers", f"{key}: {title}")
    config.addinivalue_line(
        "markers", f"{MARK}(requirement): the requirement a test checks (declared by @requires)"
    )
    _hypothesis_home()
    try:
        run = run_config(config)
    except ConfigError as exc:
        pytest.exit(f"dnc conformance: {exc}", returncode=2)
    run.embedded = not run.base_url
    verdict = Verdict(
        target=run.base_url or "embedded reference server", run_id=run.run_id, window_s=run.window_s
    )
    state = RunState(run=run, verdict=verdict)
    config.stash[STATE] = state
    if run.baseline is not None:
        try:
            state.expected = baseline.load(run.baseline)
        except baseline.BaselineError as exc:
            pytest.exit(f"dnc conformance: {exc}", returncode=4)


def _path(config: pytest.Config, name: str) -> Path | None:
    value = config.getoption(name)
    return Path(value) if value else None


def run_config(config: pytest.Config) -> RunConfig:
    """Options first, then the environment, then the defaults; a bad value is a ConfigError."""
    base_url = config.getoption("--base-url") or os.environ.get(ENV_BASE_URL) or ""
    window = config.getoption("--rate-window-s")
    if window is not None:
        window = positive_seconds(window, "--rate-window-s")
    default_window = embedded.DEFAULT_WINDOW_S if not base_url else DOCUMENTED_WINDOW_S
    skew = config.getoption("--clock-skew-s")
    return RunConfig(
        base_url=base_url.rstrip("/"),
        api_key=config.getoption("--api-key") or os.environ.get(ENV_API_KEY, ""),
        second_api_key=config.getoption("--second-api-key")
        or os.environ.get(ENV_SECOND_KEY)
        or None,
        window_s=float(window) if window else env_window(default_window),
        strict=bool(config.getoption("--dnc-strict") or getattr(config.option, "strict", False)),
        rate_limit_tests=not config.getoption("--no-rate-limit-tests"),
        clock_skew_s=float(skew) if skew is not None else env_clock_skew(),
        rolling_window_test=not config.getoption("--no-rolling-window-test"),
        report_md=_path(config, "--report-md"),
        report_json=_path(config, "--report-json"),
        baseline=_path(config, "--baseline"),
    )


def _hypothesis_home() -> None:
    """Hypothesis keeps its files (unicode tables, examples) in a cache directory, not in the
    user's working directory, unless HYPOTHESIS_STORAGE_DIRECTORY says where."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    from hypothesis.configuration import set_hypothesis_home_dir

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    set_hypothesis_home_dir(cache / "dnc-kit" / "hypothesis")
