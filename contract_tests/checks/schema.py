"""Generated requests, judged twice: by Schemathesis' own checks and by the suite's semantic ones.

Schemathesis generates the requests (examples, coverage, fuzzing and stateful phases, positive
and negative data; see `schema_phases.py`). Every generated request is first made safe (URLs
moved under the run prefix, delete ids that are not the run's own made unknown), then sent
through the gate (`contract_tests/gate.py`: paced, recorded, 429s waited out). Its answer is
judged by

- every check of `schemathesis_checks.RUN`, one at a time, with the tolerance table
  (`tolerances.py`) separating broken documented behaviour (a failure) from another
  implementation's legal choice (a warning naming the decision);
- the suite's own checks: a JSON envelope on every answer; input the pages call invalid (missing
  url, missing/empty entries, an entry without a url field) is refused; a batch entry whose url
  is not a string is refused or a per-entry `error` (decision batch-entry-shape).

Generated batches are cut to MAX_GENERATED_BATCH entries (the documented speed is ~10-20
entries per second, so a generated batch of 1000 would take over a minute); Schemathesis
re-reads a changed case, so a cut or prefixed request is judged as what was actually sent.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from contract_tests.checks.common import envelope_problem
from contract_tests.checks.generated_input import Pairs, classify, pairs_of
from contract_tests.checks.schemathesis_checks import RUN, run_check
from contract_tests.checks.tolerances import Seen, Tolerance, tolerance_for
from contract_tests.client import Exchange, batch_timeout_s
from contract_tests.context import Ctx
from contract_tests.fixtures import _slug_position
from contract_tests.gate import GatedTransport

MAX_GENERATED_BATCH = 25
_LEADING_SPACE = re.compile(r"^[ \t\r\n]*")
# Checks that compare a request with the one a link derived it from.
LINKED_CHECKS = frozenset({"ensure_resource_availability", "use_after_free"})
# The suite's own checks of generated requests (named like Schemathesis' checks).
OWN_CHECKS = ("answered", "envelope", "documented_invalid_refused", "batch_entry_shape")


def operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


@dataclass
class Finding:
    check: str
    operation: str
    phase: str
    mode: str
    problem: str
    exchange: Exchange | None

    def describe(self) -> str:
        where = f"[{self.operation} · {self.phase}/{self.mode}]"
        shown = f"\n  {self.exchange.describe()}" if self.exchange is not None else ""
        return f"{where} {self.problem}{shown}"


@dataclass
class Tolerated:
    """Failures of one check that a decision allows: counted, one example kept."""

    tolerance: Tolerance
    count: int = 0
    example: str = ""


@dataclass
class Tally:
    """What one check saw over the whole schema run."""

    judged: int = 0
    findings: list[Finding] = field(default_factory=list)
    tolerated: dict[str, Tolerated] = field(default_factory=dict)  # decision id -> tally


@dataclass
class SchemaRun:
    ctx: Ctx
    gate: GatedTransport | None = None
    tallies: dict[str, Tally] = field(default_factory=lambda: {n: Tally() for n in RUN})
    own: dict[str, Tally] = field(default_factory=lambda: {n: Tally() for n in OWN_CHECKS})
    calls: Counter[str] = field(default_factory=Counter)
    probes: Counter[str] = field(default_factory=Counter)
    skipped_for_budget: int = 0
    unsendable: list[str] = field(default_factory=list)
    own_ids: set[str] = field(default_factory=set)
    auth_confirmed: set[str] = field(default_factory=set)
    # Cases whose delete id the suite replaced (not the run's own): not the request a link meant.
    replaced_ids: set[str] = field(default_factory=set)

    # -- safety ----------------------------------------------------------------------------------
    def safe_url(self, value: Any) -> Any:
        """Move a generated url under the run prefix; empty or non-string values stay as they
        are."""
        if not isinstance(value, str) or not value.strip() or self.ctx.config.marker in value:
            return value
        lead = _LEADING_SPACE.match(value)
        start = lead.end() if lead else 0
        pos = _slug_position(value[start:])
        prefix = self.ctx.config.slug_prefix
        if pos is not None:
            return value[: start + pos] + prefix + value[start + pos :]
        return prefix + value

    def make_safe(self, case: Any) -> None:
        op = operation_id(case)
        body = case.body
        if op == "addDncEntry" and isinstance(body, dict) and "url" in body:
            case.body = {**body, "url": self.safe_url(body["url"])}
        elif op == "addDncEntriesBatch" and isinstance(body, dict):
            entries = body.get("entries")
            if isinstance(entries, list):
                safe = [
                    {**e, "url": self.safe_url(e["url"])}
                    if isinstance(e, dict) and "url" in e
                    else e
                    for e in entries[:MAX_GENERATED_BATCH]
                ]
                case.body = {**body, "entries": safe}
        elif op == "deleteDncEntry":
            params = dict(case.path_parameters or {})
            entry_id = params.get("id")
            if entry_id not in self.own_ids:
                params["id"] = f"{entry_id}Z{self.ctx.config.run_id}"
                case.path_parameters = params
                self.replaced_ids.add(case.id)

    def learn_ids(self, body: Any) -> None:
        """Remember ids of entries whose url carries the run marker: only those may be deleted."""
        if isinstance(body, dict):
            url, entry_id = body.get("url"), body.get("$id")
            if isinstance(url, str) and self.ctx.config.marker in url and isinstance(entry_id, str):
                self.own_ids.add(entry_id)
            for value in body.values():
                self.learn_ids(value)
        elif isinstance(body, list):
            for value in body:
                self.learn_ids(value)

    def attach(self, gate: GatedTransport) -> None:
        self.gate = gate
        gate.listeners.append(lambda _case, exchange: self.learn_ids(exchange.body))

    # -- calling ---------------------------------------------------------------------------------
    def timeout(self, case: Any) -> float:
        timeout = self.ctx.config.request_timeout_s
        if operation_id(case) == "addDncEntriesBatch":
            timeout = max(timeout, batch_timeout_s(case.body))
        return timeout

    def call(self, case: Any) -> Any:
        """Make the case safe and send it through the gate; None if it got no answer."""
        self.make_safe(case)
        op = operation_id(case)
        self.calls[op] += 1
        try:
            return case.call(timeout=self.timeout(case))
        except (requests.ConnectionError, requests.Timeout) as exc:
            self.own["answered"].judged += 1
            self.own["answered"].findings.append(
                Finding(
                    "answered",
                    op,
                    "?",
                    "?",
                    f"no answer at all (connection closed or timed out): {exc!r}"[:300],
                    None,
                )
            )
            return None
        except (ValueError, UnicodeError, OSError) as exc:
            # The generated request could not even be sent (e.g. a header the HTTP library
            # refuses): not the server's fault, so the case is dropped.
            self.unsendable.append(f"{case.method} {case.formatted_path}: {exc!r}"[:300])
            return None

    # -- judging ---------------------------------------------------------------------------------
    def judge(self, case: Any, response: Any, phase: str, mode: str, recorder: Any = None) -> None:
        op = operation_id(case)
        exchange = self.gate.last_exchange.get(case.id) if self.gate is not None else None
        self.own["answered"].judged += 1
        for name, problem in _own_problems(op, case, exchange):
            self.own[name].judged += 1
            if problem is not None:
                self.own[name].findings.append(Finding(name, op, phase, mode, problem, exchange))
        kwargs = {"timeout": self.timeout(case)}
        answer = exchange.body if exchange is not None else None
        for name in RUN:
            if name == "ignored_auth" and op in self.auth_confirmed:
                continue  # enforcement is a property of the operation, as in Schemathesis' engine
            if name in LINKED_CHECKS and case.id in self.replaced_ids:
                continue  # the suite sent another id than the link gave (safety): not comparable
            failures = run_check(name, case, response, kwargs, recorder)
            tally = self.tallies[name]
            tally.judged += 1
            if name == "ignored_auth" and not failures and 200 <= response.status_code < 300:
                self.auth_confirmed.add(op)
            for failure in failures:
                text = f"{failure.code} {failure.title}: {failure.message}".strip()
                sent = exchange.query if exchange is not None else None
                seen = Seen(
                    name, op, mode, response.status_code, case, answer, failure.message, sent
                )
                tolerance = tolerance_for(seen)
                if tolerance is None:
                    tally.findings.append(Finding(name, op, phase, mode, text, exchange))
                    continue
                kept = tally.tolerated.setdefault(tolerance.decision, Tolerated(tolerance))
                kept.count += 1
                if not kept.example:
                    request = exchange.request_line() if exchange is not None else ""
                    kept.example = f"{request} -> {response.status_code}: {text}"[:400]

    def findings(self, name: str) -> list[Finding]:
        tally = self.tallies.get(name) or self.own[name]
        return tally.findings

    def checks_summary(self) -> list[dict[str, Any]]:
        """Per check: answers judged, failures, and what decisions tolerated (for the verdict)."""
        rows = []
        for source, tallies in (("schemathesis", self.tallies), ("suite", self.own)):
            for name, tally in tallies.items():
                rows.append(
                    {
                        "name": name,
                        "source": source,
                        "judged": tally.judged,
                        "failures": len(tally.findings),
                        "tolerated": [
                            {"decision": d, "count": t.count, "situation": t.tolerance.situation}
                            for d, t in sorted(tally.tolerated.items())
                        ],
                    }
                )
        return rows


def _own_problems(op: str, case: Any, exchange: Exchange | None) -> list[tuple[str, str | None]]:
    if exchange is None:
        return []
    success = 200 <= exchange.status < 300
    problem = envelope_problem(exchange)
    out: list[tuple[str, str | None]] = [
        ("envelope", f"envelope: {problem}" if problem else None),
        (
            "documented_invalid_refused",
            f"input the pages call invalid was accepted: {refusal}"
            if success and (refusal := refusal_required(op, case, exchange.query))
            else None,
        ),
    ]
    if op == "addDncEntriesBatch":
        out.append(
            (
                "batch_entry_shape",
                nonstring_entry_problem(case.body, exchange.body) if success else None,
            )
        )
    return out


def refusal_required(operation_id: str, case: Any, sent_query: Pairs | None = None) -> str | None:
    """Why the documentation itself says this input is refused with 400 (None: it does not),
    judged by the query as it was sent when known (generated_input.py)."""
    query = sent_query if sent_query is not None else pairs_of(case.query)
    return classify(operation_id, query, case.body).refuse


def nonstring_entry_problem(sent: Any, answer: Any) -> str | None:
    """A batch accepted with 2xx: every entry whose url is not a string must be an `error`."""
    entries = sent.get("entries") if isinstance(sent, dict) else None
    if not isinstance(entries, list):
        return None
    odd = [
        i
        for i, e in enumerate(entries)
        if isinstance(e, dict) and not isinstance(e.get("url"), str)
    ]
    if not odd:
        return None
    data = answer.get("data") if isinstance(answer, dict) else None
    details = data.get("details") if isinstance(data, dict) else None
    if not isinstance(details, list) or len(details) != len(entries):
        return "a batch accepted with 2xx must report one detail per entry"
    for i in odd:
        detail = details[i]
        if not isinstance(detail, dict) or detail.get("status") != "error":
            return (
                f"entry {i} has a url that is not a string; accepted with 2xx it must be a "
                f"per-entry error, got {detail!r}"[:300]
            )
    return None
