"""Requirements: each suite test declares the one it checks, with `@requires(id, checks, ...)`.

The id (e.g. `rate-limit.write.per-team`) is stable: the verdict, the JUnit properties and
baselines name it, so a test may be renamed without breaking a user's baseline. A parametrized
test's results carry the parameter: `rate-limit.write.per-team[team_A]`. `checks` quotes the
seed sentence (or names the spec decision) the test checks; `decisions` lists the
x-dnc-decisions ids whose other choices it tolerates. tests/contract_suite holds every test to
exactly one requirement and every id to exactly one test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from contract_tests.checks.schemathesis_checks import REQUIRES

MARK = "requirement"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")
SCHEMATHESIS_ID = "schema.schemathesis"
Test = TypeVar("Test", bound=Callable[..., Any])


@dataclass(frozen=True)
class Requirement:
    id: str
    checks: str  # the seed sentence (or spec decision) the test checks
    decisions: tuple[str, ...] = ()  # x-dnc-decisions ids whose other choices it tolerates

    @property
    def source(self) -> str:
        return "documented" if not self.checks.startswith("decision ") else "decision"

    def of_parameter(self, param: str) -> Requirement:
        """The requirement one parameter of the test checks (the Schemathesis test's parameter
        names a check with its own sentence; a team parameter changes nothing)."""
        if self.id == SCHEMATHESIS_ID and param:
            return Requirement(
                self.id, f"Schemathesis check {param}: {REQUIRES.get(param, '?')}", self.decisions
            )
        return self


# Test function name -> its requirement, filled as the suite's test modules are imported.
DECLARED: dict[str, Requirement] = {}


def requires(id: str, checks: str, decisions: tuple[str, ...] = ()) -> Callable[[Test], Test]:
    """Declare the requirement a test checks (a pytest mark the plugin reads)."""
    if not ID_PATTERN.fullmatch(id):
        raise ValueError(f"requirement id {id!r} is not lower-case words joined by . or -")
    requirement = Requirement(id, checks, tuple(decisions))

    def declare(test: Test) -> Test:
        DECLARED[test.__name__] = requirement
        marked: Test = getattr(pytest.mark, MARK)(requirement)(test)
        return marked

    return declare


def split_name(name: str) -> tuple[str, str]:
    """`test_x[team_B]` -> (`test_x`, `team_B`)."""
    base, _, param = name.partition("[")
    return base, param.rstrip("]")


def requirement_of(item: pytest.Item) -> Requirement | None:
    """The requirement a collected test declares (its parameter applied), or None."""
    mark = item.get_closest_marker(MARK)
    if mark is None or not mark.args or not isinstance(mark.args[0], Requirement):
        return None
    return mark.args[0].of_parameter(split_name(item.name)[1])


def result_id(requirement: Requirement, test_name: str) -> str:
    """The id of one result: the requirement's, with the test's parameter if it has one."""
    param = split_name(test_name)[1]
    return f"{requirement.id}[{param}]" if param else requirement.id
