"""The pytest side of the suite: options, markers, the session-wide context (clients, pacer,
cleanup), test order, and the verdict printed at the end."""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests import embedded
from contract_tests.cleanup import Tracker, cleanup_team
from contract_tests.client import DncClient, ExchangeLog
from contract_tests.config import (
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECOND_KEY,
    LIMITS,
    ROLLING_TEST_MAX_WINDOW_S,
    RunConfig,
    env_clock_skew,
    env_window,
)
from contract_tests.context import NOT_MEASURED, Ctx
from contract_tests.pacing import Pacer
from contract_tests.report import CATEGORIES, FAIL, PASS, Verdict
from contract_tests.report import NOT_MEASURED as NM

# Requests per category and bucket (write, read, batch), cleanup included, measured against the
# reference server; with a long window the Schemathesis budget is smaller and list is not filled.
PLANNED: dict[str, tuple[int, int, int]] = {
    "check": (2, 6, 0),
    "list": (104, 20, 2),
    "delete": (13, 5, 0),
    "duplicates": (9, 3, 0),
    "batch": (5, 3, 6),
    "normalization": (27, 43, 3),
    "cache": (5, 8, 1),
    "isolation": (6, 8, 0),
    "auth": (0, 0, 0),
    "schema": (47, 71, 43),
    "envelope": (6, 6, 1),
    "rate_limit": (51, 66, 40),
}
PLANNED_LONG: dict[str, tuple[int, int, int]] = {"list": (5, 15, 0), "schema": (15, 22, 5)}
ORDER = [
    "check", "list", "delete", "duplicates", "batch", "normalization", "cache",
    "isolation", "auth", "schema", "envelope", "rate_limit",
]  # fmt: skip
_STATE: dict[str, Any] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dnc-conformance", "DNC API conformance (dnc conformance)")
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
        help="the target's rate-limit window in seconds (env DNC_RATE_WINDOW_S, default 60)",
    )
    group.addoption(
        "--clock-skew-s",
        type=float,
        default=None,
        help="tolerated clock difference to the target in seconds (env DNC_CLOCK_SKEW_S, "
        "default 2); the server's Date header is used as well where present",
    )
    group.addoption(
        "--rolling-window-test",
        action="store_true",
        default=False,
        help="run the rolling-window test even for a window over 10 s (costs ~2.5 windows)",
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
        "--dnc-strict",
        action="store_true",
        default=False,
        help="inferred normalization cases fail instead of warning (also: --strict)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for key, title in CATEGORIES.items():
        config.addinivalue_line("markers", f"{key}: {title}")
    base_url = config.getoption("--base-url") or os.environ.get(ENV_BASE_URL) or ""
    window = config.getoption("--rate-window-s")
    run = RunConfig(
        base_url=base_url.rstrip("/"),
        api_key=config.getoption("--api-key") or os.environ.get(ENV_API_KEY, ""),
        second_api_key=config.getoption("--second-api-key")
        or os.environ.get(ENV_SECOND_KEY)
        or None,
        window_s=float(window)
        if window
        else env_window(embedded.DEFAULT_WINDOW_S if not base_url else 60.0),
        strict=bool(config.getoption("--dnc-strict") or getattr(config.option, "strict", False)),
        rate_limit_tests=not config.getoption("--no-rate-limit-tests"),
        clock_skew_s=float(config.getoption("--clock-skew-s"))
        if config.getoption("--clock-skew-s") is not None
        else env_clock_skew(),
        rolling_window_test=bool(config.getoption("--rolling-window-test")),
        report_md=Path(config.getoption("--report-md"))
        if config.getoption("--report-md")
        else None,
    )
    run.embedded = not run.base_url
    _STATE["run"] = run
    _STATE["verdict"] = Verdict(
        target=run.base_url or "embedded reference server", run_id=run.run_id, window_s=run.window_s
    )
    _STATE["started"] = time.monotonic()


def plan_lines(run: RunConfig, categories: set[str]) -> list[str]:
    """The request budget and expected duration of the selected categories."""
    w = run.window_s
    planned = {b: 0 for b in LIMITS}
    for category in categories:
        counts = PLANNED_LONG.get(category) if run.long_window else None
        for bucket, n in zip(LIMITS, counts or PLANNED[category], strict=True):
            planned[bucket] += n
    busiest = max(planned[b] / LIMITS[b] for b in LIMITS)
    expected = 15 + busiest * w + (w if "rate_limit" in categories else 0)
    if "rate_limit" in categories and (w <= ROLLING_TEST_MAX_WINDOW_S or run.rolling_window_test):
        expected += 3 * w  # the rolling-window test: a drain and two more windows
    budget = ", ".join(f"{b} {LIMITS[b]} per {w:g} s (~{planned[b]} planned)" for b in LIMITS)
    target = run.base_url or f"the embedded reference server (started now, window {w:g} s)"
    second = "given" if run.second_api_key or run.embedded else "MISSING: isolation NOT MEASURED"
    return [
        f"dnc conformance against {target}",
        f"  run {run.run_id}: creates only https://linkedin.com/in/{run.slug_prefix}… "
        "and deletes all of them at the end",
        f"  request budget per team: {budget}",
        f"  expected duration: about {expected:.0f} s"
        + ("" if run.rate_limit_tests else " (rate-limit tests off)"),
        f"  second team key: {second}",
    ]


def pytest_collection_finish(session: pytest.Session) -> None:
    run: RunConfig = _STATE["run"]
    categories = {_category(item) for item in session.items}
    if not run.rate_limit_tests:
        categories.discard("rate_limit")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and categories:
        for line in plan_lines(run, categories):
            reporter.write_line(line)


def _category(item: pytest.Item) -> str:
    """The category is the test module's: test_<category>.py."""
    stem = item.path.stem.removeprefix("test_")
    if stem in CATEGORIES:
        return stem
    for key in ORDER:
        if item.get_closest_marker(key) is not None:
            return key
    return "schema"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run: RunConfig = _STATE["run"]
    items.sort(key=lambda item: ORDER.index(_category(item)))
    if not run.rate_limit_tests:
        skip = pytest.mark.skip(
            reason=NOT_MEASURED + "rate-limit tests switched off (--no-rate-limit-tests)"
        )
        for item in items:
            if item.get_closest_marker("rate_limit") is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    verdict: Verdict = _STATE["verdict"]
    name, category = item.name, _category(item)
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        verdict.record(name, category, NM, str(reason).replace("Skipped: ", ""))
    elif report.failed:
        text = str(report.longrepr)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
        detail = (
            lines[0][1:].strip()
            if lines
            else text.strip().splitlines()[-1:][0]
            if text.strip()
            else ""
        )
        verdict.record(name, category, FAIL, detail)
    elif report.when == "call":
        verdict.record(name, category, PASS)
    return report


@pytest.fixture(scope="session")
def dnc_ctx() -> Iterator[Ctx]:
    run: RunConfig = _STATE["run"]
    server = None
    if run.embedded:
        server = embedded.start(run.window_s)
        run.base_url, run.api_key, run.second_api_key = server.base_url, server.key_a, server.key_b
        _STATE["verdict"].target = f"{server.base_url} (embedded reference server)"
    if not run.api_key:
        pytest.exit(
            f"dnc conformance: {ENV_BASE_URL} is set but {ENV_API_KEY} is missing", returncode=4
        )
    pacer = Pacer(run.window_s)
    log = ExchangeLog()
    tracker = Tracker(marker=run.marker)

    def client(key: str, team: str) -> DncClient:
        c = DncClient(
            base_url=run.base_url,
            api_key=key,
            team=team,
            pacer=pacer,
            log=log,
            timeout_s=run.request_timeout_s,
            window_s=run.window_s,
        )
        c.listeners.append(tracker.observe)
        return c

    a = client(run.api_key, "A")
    b = client(run.second_api_key, "B") if run.second_api_key else None
    ctx = Ctx(
        config=run,
        pacer=pacer,
        log=log,
        tracker=tracker,
        verdict=_STATE["verdict"],
        a=a,
        b_client=b,
    )
    _STATE["ctx"] = ctx
    try:
        yield ctx
    finally:
        problems = []
        for c in (a, b):
            if c is not None:
                problems += cleanup_team(c, tracker)
                c.close()
        _STATE["cleanup_problems"] = problems
        if server is not None:
            server.stop()


@pytest.fixture
def ctx(dnc_ctx: Ctx, request: pytest.FixtureRequest) -> Ctx:
    dnc_ctx.current_test = request.node.name
    return dnc_ctx


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdict: Verdict = _STATE.get("verdict")  # type: ignore[assignment]
    run: RunConfig | None = _STATE.get("run")
    if verdict is None or run is None:
        return
    verdict.duration_s = time.monotonic() - _STATE["started"]
    ctx: Ctx | None = _STATE.get("ctx")
    if ctx is not None:
        verdict.requests = ctx.log.count_by_bucket()
        unplanned = sum(ctx.pacer.unplanned_429.values())
        detail = f" {dict(ctx.pacer.unplanned_429)}, waited out and retried" if unplanned else ""
        verdict.notes.append(
            f"Unplanned 429 answers (outside the rate-limit tests): {unplanned}{detail}"
        )
    for problem in _STATE.get("cleanup_problems", []):
        verdict.notes.append(f"Cleanup: {problem}")
    tw = terminalreporter
    tw.section("DNC conformance verdict")
    tw.line(f"Target: {verdict.target}   run id: {verdict.run_id}   window: {run.window_s:g} s")
    tw.line(verdict.table_text())
    missing = [r for r in verdict.results.values() if r.outcome == NM]
    if missing:
        tw.line("")
        tw.line(f"NOT MEASURED ({len(missing)}; never counted as passed):", yellow=True, bold=True)
        for r in missing:
            tw.line(f"  - {r.name}: {r.detail.replace(NOT_MEASURED, '')}", yellow=True)
    warned = [r for r in verdict.results.values() if r.warnings]
    for r in warned:
        tw.line("")
        tw.line(
            f"WARNINGS from {r.name} ({len(r.warnings)}; fail only with --strict):", yellow=True
        )
        for w in r.warnings[:15]:
            tw.line(f"  - {w}", yellow=True)
        if len(r.warnings) > 15:
            tw.line(f"  - … and {len(r.warnings) - 15} more (see --report-md)", yellow=True)
    if verdict.requests:
        tw.line("")
        tw.line(
            "Requests per bucket: "
            + ", ".join(f"{k} {v}" for k, v in sorted(verdict.requests.items()))
        )
    for note in verdict.notes:
        tw.line(note)
    tw.line("")
    tw.line(
        "VERDICT: " + ("PASS" if verdict.passed and exitstatus == 0 else "FAIL"),
        bold=True,
        green=verdict.passed,
        red=not verdict.passed,
    )
    if run.report_md is not None:
        run.report_md.parent.mkdir(parents=True, exist_ok=True)
        verdict.write(run.report_md)
        tw.line(f"Markdown verdict written to {run.report_md}")
