"""What every check receives: the run config, one client per team, the verdict, and helpers to
create entries under the run prefix."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests.cleanup import Tracker
from contract_tests.client import DncClient, ExchangeLog
from contract_tests.config import RunConfig
from contract_tests.pacing import Pacer
from contract_tests.report import Verdict

NOT_MEASURED = "NOT MEASURED: "
# The teams of the two keys; every per-team guarantee is checked for each of them.
TEAMS = ("A", "B")
TEAM_IDS = ["team_A", "team_B"]


@dataclass
class Ctx:
    config: RunConfig
    pacer: Pacer
    log: ExchangeLog
    tracker: Tracker
    verdict: Verdict
    a: DncClient
    b_client: DncClient | None
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def current_test(self) -> str:
        """The test running now (the plugin's runtest hook sets it on the log)."""
        return self.log.current_test

    @property
    def b(self) -> DncClient:
        """Team B's client; the test is "not measured" when no second key was given."""
        if self.b_client is None:
            pytest.skip(NOT_MEASURED + "no second team key (DNC_SECOND_TEAM_API_KEY)")
        return self.b_client

    def client(self, team: str) -> DncClient:
        """The client of team "A" or "B" (B: "not measured" without a second key)."""
        return self.a if team == "A" else self.b

    @staticmethod
    def other(team: str) -> str:
        return "B" if team == "A" else "A"

    def fresh_slug(self, name: str) -> str:
        return f"{self.config.slug_prefix}{name}-{next(self._names)}"

    def fresh_url(self, name: str) -> str:
        """A canonical URL under the run prefix, unique within the run."""
        return self.config.url_for(f"{name}-{next(self._names)}")

    def warn(self, message: str) -> None:
        self.verdict.warn(self.current_test, message)

    def add_entry(self, url: str, client: DncClient | None = None) -> dict[str, Any]:
        """Add one URL (setup step) and return the created entry; fail loudly if it is refused."""
        client = client or self.a
        ex = client.add(url)
        if ex.status != 201 or not isinstance(ex.data, dict):
            raise AssertionError(
                f"setup: adding a fresh URL must answer 201 with the entry.\n{ex.describe()}"
            )
        return dict(ex.data)
