"""Baselines (`--baseline FILE`): the requirements a deployment is known to fail.

A listed requirement that fails does not fail the run (it is reported as an expected failure);
a listed requirement that passes does fail it ("stale baseline": remove it from the file), as
the MCP conformance suite's `--expected-failures` does. Listed requirements become strict
xfails, so pytest, JUnit and the verdict agree.

The file is YAML, a list of requirement ids (the verdict's `results[].id`), each a string or an
object with an `id` and a `reason`, at the top level or under `expected-failures`:

    expected-failures:
      - id: list.limit.above-100
        reason: our gateway caps pages at 100 (OPS-123)
      - isolation.add.same-url[team_B]

An id without `[...]` covers every parameter of the test. Baselines written before the ids
existed name test functions (`test_list_honours_a_limit_above_100_up_to_1000`): they still
load and match, and the verdict carries a deprecation note naming the id to use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KEY = "expected-failures"


class BaselineError(ValueError):
    """The baseline file cannot be read or names requirements the suite does not have."""


@dataclass(frozen=True)
class Expected:
    id: str
    reason: str


def load(path: Path) -> list[Expected]:
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    if isinstance(raw, dict):
        raw = raw.get(KEY)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BaselineError(f"baseline {path}: expected a list of requirement ids under {KEY!r}")
    out: list[Expected] = []
    for item in raw:
        if isinstance(item, str):
            out.append(Expected(item.strip(), "listed in the baseline"))
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            reason = str(item.get("reason") or "listed in the baseline")
            out.append(Expected(item["id"].strip(), reason))
        else:
            raise BaselineError(f"baseline {path}: not a requirement id: {item!r}")
    return out


def legacy(expected: Expected) -> bool:
    """An entry naming a test function (the ids of format 1), not a requirement id."""
    return expected.id.startswith("test_")


def matches(expected: Expected, result: str, test_name: str = "") -> bool:
    """Does the entry name this result (by requirement id, or by test name for old files)?"""
    names = (result, test_name) if legacy(expected) else (result,)
    return any(n and (n == expected.id or n.partition("[")[0] == expected.id) for n in names)


def unknown(expected: list[Expected], names: set[str]) -> list[str]:
    """Ids of the baseline that name no requirement (or test) of the suite."""
    return [e.id for e in expected if not any(matches(e, name, name) for name in names)]
