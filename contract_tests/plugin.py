"""The pytest side of the suite: options, markers, the session-wide context (clients, pacer,
cleanup), test order, and the verdict printed at the end."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests import baseline, embedded, verdict_doc, verdict_md
from contract_tests.cleanup import Tracker, cleanup_team
from contract_tests.client import DncClient, ExchangeLog
from contract_tests.config import (
    DOCUMENTED_WINDOW_S,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_SECOND_KEY,
    LIMITS,
    ConfigError,
    RunConfig,
    env_clock_skew,
    env_window,
)
from contract_tests.context import NOT_MEASURED, Ctx
from contract_tests.pacing import Pacer
from contract_tests.report import (
    CATEGORIES,
    EXPECTED_FAILURE,
    FAIL,
    PASS,
    STALE,
    Verdict,
)
from contract_tests.report import NOT_MEASURED as NM
from contract_tests.requirements import MARK, requirement_of, result_id

# Requests per team, category and bucket (write, read, batch), cleanup included, measured
# against the reference server (the list filled past 1000 entries, deleted again at the end);
# with a long window Schemathesis runs on a budget and the list is not filled.
PLANNED: dict[str, tuple[int, int, int]] = {
    "batch": (2, 2, 7),
    "normalization": (25, 42, 1),
    "cache": (4, 7, 1),
    "schema": (60, 85, 40),
    "check": (2, 4, 0),
    "list": (1104, 24, 9),
    "delete": (8, 4, 0),
    "duplicates": (9, 2, 0),
    "isolation": (5, 4, 0),
    "auth": (0, 0, 0),
    "envelope": (2, 2, 1),
    "rate_limit": (50, 127, 40),
}
PLANNED_LONG: dict[str, tuple[int, int, int]] = {"list": (4, 16, 0), "schema": (8, 22, 1)}
# The categories that spend the batch bucket come first, so that with a long window its drain
# before the rate-limit tests overlaps the others; the envelope and schema audit of every
# answer comes after everything but the rate-limit tests, which come last.
ORDER = [
    "batch", "normalization", "cache", "schema", "check", "list", "delete", "duplicates",
    "isolation", "auth", "envelope", "rate_limit",
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
    try:
        run = _run_config(config)
    except ConfigError as exc:
        pytest.exit(f"dnc conformance: {exc}", returncode=2)
    run.embedded = not run.base_url
    _STATE["run"] = run
    _STATE["verdict"] = Verdict(
        target=run.base_url or "embedded reference server", run_id=run.run_id, window_s=run.window_s
    )
    _STATE["started"] = time.monotonic()
    _STATE["started_at"] = time.time()
    _STATE["expected"] = []
    if run.baseline is not None:
        try:
            _STATE["expected"] = baseline.load(run.baseline)
        except baseline.BaselineError as exc:
            pytest.exit(f"dnc conformance: {exc}", returncode=4)


def _run_config(config: pytest.Config) -> RunConfig:
    """Options first, then the environment, then the defaults; a bad value is a ConfigError."""
    base_url = config.getoption("--base-url") or os.environ.get(ENV_BASE_URL) or ""
    window = config.getoption("--rate-window-s")
    if window is not None and not window > 0:
        raise ConfigError(f"--rate-window-s must be a positive number of seconds, got {window:g}")
    return RunConfig(
        base_url=base_url.rstrip("/"),
        api_key=config.getoption("--api-key") or os.environ.get(ENV_API_KEY, ""),
        second_api_key=config.getoption("--second-api-key")
        or os.environ.get(ENV_SECOND_KEY)
        or None,
        window_s=float(window)
        if window
        else env_window(embedded.DEFAULT_WINDOW_S if not base_url else DOCUMENTED_WINDOW_S),
        strict=bool(config.getoption("--dnc-strict") or getattr(config.option, "strict", False)),
        rate_limit_tests=not config.getoption("--no-rate-limit-tests"),
        clock_skew_s=float(config.getoption("--clock-skew-s"))
        if config.getoption("--clock-skew-s") is not None
        else env_clock_skew(),
        rolling_window_test=not config.getoption("--no-rolling-window-test"),
        report_md=Path(config.getoption("--report-md"))
        if config.getoption("--report-md")
        else None,
        report_json=Path(config.getoption("--report-json"))
        if config.getoption("--report-json")
        else None,
        baseline=Path(config.getoption("--baseline")) if config.getoption("--baseline") else None,
    )


def plan_lines(run: RunConfig, categories: set[str]) -> list[str]:
    """The request budget and expected duration of the selected categories."""
    w = run.window_s
    planned = {b: 0 for b in LIMITS}
    before_limits = {b: 0 for b in LIMITS}
    for category in categories:
        counts = PLANNED_LONG.get(category) if run.long_window else None
        for bucket, n in zip(LIMITS, counts or PLANNED[category], strict=True):
            planned[bucket] += n
            if category != "rate_limit":
                before_limits[bucket] += n
    # The first window of each bucket is free; every further window of the busiest one waits.
    busiest = max(max(0.0, before_limits[b] / LIMITS[b] - 1) for b in LIMITS)
    base = 40.0 if "schema" in categories and not run.long_window else 15.0
    expected = base + busiest * w
    if "rate_limit" in categories:
        # The buckets drain (a window and a margin) and are measured side by side: one window
        # to resetTime, and one more for the rolling-window test's second phase. The batch
        # bucket is spent first, so its drain overlaps the other categories.
        drain = 1.1 * w
        rolling = (2 if run.rolling_window_test else 1) * w
        expected = max(expected + drain + w, 10 + drain + rolling)
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
    _STATE["selected"] = set(categories)
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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run: RunConfig = _STATE["run"]
    items.sort(key=lambda item: ORDER.index(_category(item)))
    expected: list[baseline.Expected] = _STATE["expected"]
    ids = {item.name: _result_id(item) for item in items}
    unknown = baseline.unknown(expected, set(ids) | set(ids.values()))
    if unknown:
        pytest.exit(
            f"dnc conformance: the baseline {run.baseline} lists requirement(s) the suite does "
            f"not have: {', '.join(unknown)}",
            returncode=4,
        )
    for item in items:
        item.user_properties.append(("requirement", ids[item.name]))
        for entry in expected:
            if baseline.matches(entry, ids[item.name], item.name):
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"baseline: {entry.reason}"))
                _STATE.setdefault("baselined", set()).add(item.name)
                if baseline.legacy(entry):
                    _STATE.setdefault("legacy", {})[entry.id] = ids[item.name].partition("[")[0]
                break
    if not run.rate_limit_tests:
        skip = pytest.mark.skip(
            reason=NOT_MEASURED + "rate-limit tests switched off (--no-rate-limit-tests)"
        )
        for item in items:
            if item.get_closest_marker("rate_limit") is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    """Every request from here on (module fixtures included) is evidence of this test."""
    _STATE["current_test"] = item.name
    ctx: Ctx | None = _STATE.get("ctx")
    if ctx is not None:
        ctx.log.current_test = item.name
    return (yield)


def _result_id(item: pytest.Item) -> str:
    requirement = requirement_of(item)
    return result_id(requirement, item.name) if requirement is not None else item.name


def _failure_detail(longrepr: Any) -> str:
    text = str(longrepr)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
    if lines:
        return lines[0][1:].strip()
    return text.strip().splitlines()[-1] if text.strip() else ""


def _evidence(name: str, excinfo: Any, failed: bool) -> list[dict[str, Any]]:
    """The exchanges a failure names, or the test's first and last ones (at most three)."""
    ctx: Ctx | None = _STATE.get("ctx")
    named = getattr(excinfo.value, "exchanges", None) if excinfo is not None else None
    if named:
        return [ex.evidence() for ex in named[:3]]
    if ctx is None:
        return []
    own = ctx.log.of_test(name)
    picked = own[-2:] if failed else own[:1] + own[-1:] if len(own) > 1 else own
    return [ex.evidence() for ex in picked]


# Outermost, so that the report seen here is final (xfail of a baseline already applied).
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    verdict: Verdict = _STATE["verdict"]
    name, category = item.name, _category(item)
    listed = name in _STATE.get("baselined", set())
    record = functools.partial(verdict.record, requirement=requirement_of(item))
    if report.skipped and hasattr(report, "wasxfail"):
        # Listed in the baseline and failed as expected.
        detail = _failure_detail(report.longrepr)
        evidence = _evidence(name, call.excinfo, True)
        record(name, category, FAIL, detail, evidence=evidence, baseline=EXPECTED_FAILURE)
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        record(name, category, NM, str(reason).replace("Skipped: ", ""))
    elif report.failed and listed and str(report.longrepr).startswith("[XPASS(strict)]"):
        detail = "stale baseline: listed as an expected failure, but passed (remove it)"
        record(name, category, PASS, detail, evidence=_evidence(name, None, False), baseline=STALE)
    elif report.failed:
        evidence = _evidence(name, call.excinfo, True)
        record(name, category, FAIL, _failure_detail(report.longrepr), evidence=evidence)
    elif report.when == "call":
        record(name, category, PASS, evidence=_evidence(name, None, False))
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
    log.current_test = _STATE.get("current_test", "")
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


def _document(run: RunConfig, verdict: Verdict) -> dict[str, Any]:
    ctx: Ctx | None = _STATE.get("ctx")
    facts = verdict_doc.RunFacts(
        started_at=_STATE["started_at"],
        finished_at=time.time(),
        selected=frozenset(_STATE.get("selected", set())),
        unplanned_429=dict(ctx.pacer.unplanned_429) if ctx is not None else {},
        baseline=str(run.baseline) if run.baseline is not None else None,
    )
    return verdict_doc.build(verdict, run, facts)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdict: Verdict = _STATE.get("verdict")  # type: ignore[assignment]
    run: RunConfig | None = _STATE.get("run")
    if verdict is None or run is None:
        return
    verdict.duration_s = time.monotonic() - _STATE["started"]
    ctx: Ctx | None = _STATE.get("ctx")
    if ctx is not None:
        verdict.requests = ctx.log.count_by_bucket()
        verdict.requests_by_team = ctx.log.count_by_team()
        unplanned = sum(ctx.pacer.unplanned_429.values())
        detail = f" {dict(ctx.pacer.unplanned_429)}, waited out and retried" if unplanned else ""
        verdict.notes.append(
            f"Unplanned 429 answers (outside the rate-limit tests): {unplanned}{detail}"
        )
    for problem in _STATE.get("cleanup_problems", []):
        verdict.notes.append(f"Cleanup: {problem}")
    for old, new in sorted(_STATE.get("legacy", {}).items()):
        verdict.notes.append(
            f"Baseline: {old!r} names a test function (deprecated, still honoured); list the "
            f"requirement id {new!r} instead"
        )
    doc = _document(run, verdict)
    tw = terminalreporter
    tw.section("DNC conformance verdict")
    tw.line(f"Target: {doc['target']['label']}   run id: {run.run_id}   window: {run.window_s:g} s")
    tw.line(verdict_md.table_text(doc))
    missing = doc["not_measured"]
    if missing:
        tw.line("")
        tw.line(f"NOT MEASURED ({len(missing)}; never counted as passed):", yellow=True, bold=True)
        for row in missing:
            tw.line(f"  - {row['id']}: {row['reason'].replace(NOT_MEASURED, '')}", yellow=True)
    for row in doc["results"]:
        if row["baseline"] == EXPECTED_FAILURE:
            tw.line(f"EXPECTED FAILURE (baseline): {row['id']}", yellow=True)
        elif row["baseline"] == STALE:
            tw.line(f"STALE BASELINE (listed, but passed): {row['id']}", red=True, bold=True)
    for row in doc["results"]:
        if not row["warnings"]:
            continue
        tw.line("")
        tw.line(
            f"WARNINGS from {row['id']} ({len(row['warnings'])}; fail only with --strict):",
            yellow=True,
        )
        for w in row["warnings"][:15]:
            tw.line(f"  - {w}", yellow=True)
        if len(row["warnings"]) > 15:
            tw.line(f"  - … and {len(row['warnings']) - 15} more (see --report-md)", yellow=True)
    if doc["requests"]:
        tw.line("")
        tw.line("Requests per bucket: " + ", ".join(f"{k} {v}" for k, v in doc["requests"].items()))
    for note in doc["notes"]:
        tw.line(note)
    tw.line("")
    passed = doc["verdict"] == "pass" and exitstatus == 0
    tw.line("VERDICT: " + ("PASS" if passed else "FAIL"), bold=True, green=passed, red=not passed)
    if run.report_md is not None:
        run.report_md.parent.mkdir(parents=True, exist_ok=True)
        run.report_md.write_text(verdict_md.markdown(doc), encoding="utf-8")
        tw.line(f"Markdown verdict written to {run.report_md}")
    if run.report_json is not None:
        verdict_doc.write(doc, run.report_json)
        tw.line(f"Verdict document written to {run.report_json}")
    trace = config.getoption("--trace-file")
    if trace and ctx is not None:
        secrets = [run.api_key, run.second_api_key]
        with Path(trace).open("w", encoding="utf-8") as out:
            for ex in ctx.log.exchanges:
                row = {"test": ex.test, "at": round(ex.sent_at, 3), **ex.evidence()}
                out.write(json.dumps(verdict_doc.redact(row, secrets), ensure_ascii=False) + "\n")
        tw.line(f"Trace of {len(ctx.log.exchanges)} exchanges written to {trace}")
