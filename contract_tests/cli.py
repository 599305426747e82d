"""`dnc conformance [pytest args...]`: run the suite against $DNC_BASE_URL, or against the
embedded reference server when it is unset. Returns pytest's exit code (0 only if every
required check passed)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from contract_tests.config import ConfigError, env_clock_skew, env_window

SUITE_DIR = Path(__file__).resolve().parent

INTRO = """dnc conformance: does a deployment honour the DNC API (openapi.yaml)?

  Target   DNC_BASE_URL (e.g. https://api.example.com/v1); unset -> embedded reference server
  Keys     DNC_API_KEY (team A), DNC_SECOND_TEAM_API_KEY (another team, for isolation tests)
  Window   DNC_RATE_WINDOW_S (the target's rate-limit window, default 60)
  Options  --report-json PATH (verdict document)  --report-md PATH  --junitxml PATH
           --baseline FILE (expected failures)  --strict  --no-rate-limit-tests
           --no-rolling-window-test  --trace-file PATH  -m <category>  -k <words>
           and any other pytest option
"""


def pytest_args(argv: Sequence[str]) -> list[str]:
    args = list(argv)
    # Schemathesis and Hypothesis are driven from inside test_schema.py; their pytest plugins
    # are not needed and cost ~2 s of start-up.
    defaults = [
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:schemathesis",
        "--tb=short",
        # A library's deprecation notice says nothing about the target: shown, never an error
        # (a checkout's pytest config turns warnings into errors for the project's own tests).
        "-W",
        "default::Warning",
        "-rN",
    ]
    if not any(a in ("-q", "--quiet", "-v", "--verbose") or a.startswith("-q") for a in args):
        defaults.append("-v")
    return [str(SUITE_DIR), *defaults, *args]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print(INTRO)
    try:  # a bad setting is one line naming it, before pytest starts
        env_window()
        env_clock_skew()
    except ConfigError as exc:
        print(f"dnc conformance: {exc}", file=sys.stderr)
        return 2
    return int(pytest.main(pytest_args(args)))


if __name__ == "__main__":
    raise SystemExit(main())
