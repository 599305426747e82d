"""`dnc conformance [pytest args...]`: run the suite against $DNC_BASE_URL, or against the
embedded reference server when it is unset. Returns pytest's exit code (0 only if every
required check passed)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from contract_tests.config import DOCUMENTED_WINDOW_S, ConfigError, env_clock_skew, env_window
from contract_tests.options import pytest_addoption
from dnc_kit.settings import SettingsError, read_environment

SUITE_DIR = Path(__file__).resolve().parent

INTRO = """usage: dnc conformance [options] [pytest options]

Does a deployment honour the DNC API (openapi.yaml)? Exit code 0 only if it does.

  Target   DNC_BASE_URL (e.g. https://api.example.com/v1); unset -> embedded reference server
  Keys     DNC_API_KEY (team A), DNC_SECOND_TEAM_API_KEY (another team, for isolation tests)
  Window   DNC_RATE_WINDOW_S (the target's rate-limit window, default {window:g})
"""
OUTRO = """
  -m <category>  -k <words>  --junitxml PATH  -x ...   any pytest option (--help-pytest)
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


class _Options:
    """Collects the suite's options as `pytest_addoption` declares them (no pytest parser)."""

    def __init__(self) -> None:
        self.options: list[tuple[tuple[str, ...], dict[str, Any]]] = []

    def getgroup(self, *_args: Any, **_kwargs: Any) -> _Options:
        return self

    def addoption(self, *names: str, **attrs: Any) -> None:
        self.options.append((names, attrs))


def suite_help() -> str:
    """The suite's own options, briefly (pytest's several hundred lines: --help-pytest)."""
    collected = _Options()
    pytest_addoption(cast(pytest.Parser, collected))
    parser = argparse.ArgumentParser(add_help=False, usage=argparse.SUPPRESS)
    group = parser.add_argument_group("options")
    for names, attrs in collected.options:
        flag = attrs.get("action") == "store_true"
        group.add_argument(*names, action="store_true" if flag else "store", help=attrs.get("help"))
    body = parser.format_help().strip()
    return INTRO.format(window=DOCUMENTED_WINDOW_S) + "\n" + body + "\n" + OUTRO


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--help-pytest" in args:
        args = ["--help" if a == "--help-pytest" else a for a in args]
    elif any(a in ("-h", "--help") for a in args):
        print(suite_help())
        return 0
    try:  # a bad setting is one line naming it, before pytest starts
        read_environment()
        env_window()
        env_clock_skew()
    except (ConfigError, SettingsError) as exc:
        print(f"dnc conformance: {exc}", file=sys.stderr)
        return 2
    return int(pytest.main(pytest_args(args)))


if __name__ == "__main__":
    raise SystemExit(main())
