"""What the suite's pytest hooks share during one run: one typed value in the config's stash
(as Schemathesis' own plugin keeps its state), never a module-level dict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from contract_tests.baseline import Expected
from contract_tests.config import RunConfig
from contract_tests.context import Ctx
from contract_tests.report import Verdict


@dataclass
class RunState:
    run: RunConfig
    verdict: Verdict
    expected: list[Expected] = field(default_factory=list)  # the baseline's entries
    started: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)
    selected: set[str] = field(default_factory=set)  # categories with a selected test
    baselined: set[str] = field(default_factory=set)  # test names listed in the baseline
    legacy: dict[str, str] = field(default_factory=dict)  # old baseline entry -> its id
    ctx: Ctx | None = None  # once the session fixture has started
    current_test: str = ""  # until ctx exists; then ctx.log.current_test
    cleanup_problems: list[str] = field(default_factory=list)

    def enter_test(self, name: str) -> None:
        """Every request from here on (module fixtures included) is evidence of `name`."""
        self.current_test = name
        if self.ctx is not None:
            self.ctx.log.current_test = name


STATE = pytest.StashKey[RunState]()


def state_of(config: pytest.Config) -> RunState:
    return config.stash[STATE]
