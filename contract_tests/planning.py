"""Which tests run, in which order, and what the run will cost: categories, the baseline's
expected failures, the request budget and expected duration printed at the start."""

from __future__ import annotations

import pytest

from contract_tests import baseline
from contract_tests.config import LIMITS, RunConfig
from contract_tests.context import NOT_MEASURED
from contract_tests.report import CATEGORIES
from contract_tests.requirements import requirement_of, result_id
from contract_tests.run_state import state_of

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


def category_of(item: pytest.Item) -> str:
    """The category is the test module's: test_<category>.py."""
    stem = item.path.stem.removeprefix("test_")
    if stem in CATEGORIES:
        return stem
    for key in ORDER:
        if item.get_closest_marker(key) is not None:
            return key
    return "schema"


def result_id_of(item: pytest.Item) -> str:
    requirement = requirement_of(item)
    return result_id(requirement, item.name) if requirement is not None else item.name


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
    state = state_of(session.config)
    categories = {category_of(item) for item in session.items}
    state.selected = set(categories)
    if not state.run.rate_limit_tests:
        categories.discard("rate_limit")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and categories:
        for line in plan_lines(state.run, categories):
            reporter.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = state_of(config)
    items.sort(key=lambda item: ORDER.index(category_of(item)))
    ids = {item.name: result_id_of(item) for item in items}
    unknown = baseline.unknown(state.expected, set(ids) | set(ids.values()))
    if unknown:
        pytest.exit(
            f"dnc conformance: the baseline {state.run.baseline} lists requirement(s) the suite "
            f"does not have: {', '.join(unknown)}",
            returncode=4,
        )
    for item in items:
        item.user_properties.append(("requirement", ids[item.name]))
        for entry in state.expected:
            if baseline.matches(entry, ids[item.name], item.name):
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"baseline: {entry.reason}"))
                state.baselined.add(item.name)
                if baseline.legacy(entry):
                    state.legacy[entry.id] = ids[item.name].partition("[")[0]
                break
    if not state.run.rate_limit_tests:
        skip = pytest.mark.skip(
            reason=NOT_MEASURED + "rate-limit tests switched off (--no-rate-limit-tests)"
        )
        for item in items:
            if item.get_closest_marker("rate_limit") is not None:
                item.add_marker(skip)
