"""The session: the context every check receives (clients, pacer, cleanup), which test is
running, and each test's outcome recorded in the verdict as it is reported."""

from __future__ import annotations

import functools
from collections.abc import Generator, Iterator
from typing import Any

import pytest

from contract_tests import embedded
from contract_tests.cleanup import Tracker, cleanup_team
from contract_tests.client import DncClient, ExchangeLog
from contract_tests.config import ENV_API_KEY, ENV_BASE_URL
from contract_tests.context import Ctx
from contract_tests.pacing import Pacer
from contract_tests.planning import category_of
from contract_tests.report import EXPECTED_FAILURE, FAIL, PASS, STALE
from contract_tests.report import NOT_MEASURED as NM
from contract_tests.requirements import requirement_of
from contract_tests.run_state import RunState, state_of


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    """Every request from here on (module fixtures included) is evidence of this test."""
    state_of(item.config).enter_test(item.name)
    return (yield)


def failure_detail(longrepr: Any) -> str:
    """The whole assertion message of a failure (every `E` line), not only its first line."""
    text = str(longrepr)
    lines = [ln.strip()[1:].strip() for ln in text.splitlines() if ln.strip().startswith("E ")]
    if lines:
        first = lines[0]
        for prefix in ("AssertionError: ", "contract_tests.checks.common.ContractViolation: "):
            first = first.removeprefix(prefix)
        return "\n".join([first, *lines[1:]]).strip()
    return text.strip().splitlines()[-1] if text.strip() else ""


def _evidence(state: RunState, name: str, excinfo: Any, failed: bool) -> list[dict[str, Any]]:
    """The exchanges a failure names, or the test's first and last ones (at most three)."""
    named = getattr(excinfo.value, "exchanges", None) if excinfo is not None else None
    if named:
        return [ex.evidence() for ex in named[:3]]
    if state.ctx is None:
        return []
    own = state.ctx.log.of_test(name)
    picked = own[-2:] if failed else own[:1] + own[-1:] if len(own) > 1 else own
    return [ex.evidence() for ex in picked]


# Outermost, so that the report seen here is final (xfail of a baseline already applied).
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    state = state_of(item.config)
    name, category = item.name, category_of(item)
    listed = name in state.baselined
    record = functools.partial(state.verdict.record, requirement=requirement_of(item))
    evidence = functools.partial(_evidence, state, name)
    if report.skipped and hasattr(report, "wasxfail"):
        # Listed in the baseline and failed as expected.
        detail = failure_detail(report.longrepr)
        found = evidence(call.excinfo, True)
        record(name, category, FAIL, detail, evidence=found, baseline=EXPECTED_FAILURE)
    elif report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        record(name, category, NM, str(reason).replace("Skipped: ", ""))
    elif report.failed and listed and str(report.longrepr).startswith("[XPASS(strict)]"):
        detail = "stale baseline: listed as an expected failure, but passed (remove it)"
        record(name, category, PASS, detail, evidence=evidence(None, False), baseline=STALE)
    elif report.failed:
        found = evidence(call.excinfo, True)
        record(name, category, FAIL, failure_detail(report.longrepr), evidence=found)
    elif report.when == "call":
        record(name, category, PASS, evidence=evidence(None, False))
    return report


@pytest.fixture(scope="session")
def dnc_ctx(request: pytest.FixtureRequest) -> Iterator[Ctx]:
    state = state_of(request.config)
    run = state.run
    server = None
    if run.embedded:
        server = embedded.start(run.window_s)
        run.base_url, run.api_key, run.second_api_key = server.base_url, server.key_a, server.key_b
        state.verdict.target = f"{server.base_url} (embedded reference server)"
    if not run.api_key:
        pytest.exit(
            f"dnc conformance: {ENV_BASE_URL} is set but {ENV_API_KEY} is missing", returncode=4
        )
    pacer = Pacer(run.window_s)
    log = ExchangeLog(current_test=state.current_test)
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
        config=run, pacer=pacer, log=log, tracker=tracker, verdict=state.verdict, a=a, b_client=b
    )
    state.ctx = ctx
    try:
        yield ctx
    finally:
        for c in (a, b):
            if c is not None:
                state.cleanup_problems += cleanup_team(c, tracker)
                c.close()
        if server is not None:
            server.stop()


@pytest.fixture
def ctx(dnc_ctx: Ctx) -> Ctx:
    return dnc_ctx
