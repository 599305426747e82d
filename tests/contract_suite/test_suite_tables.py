"""The suite's tables agree with each other and with openapi.yaml: every test has a requirement,
every Schemathesis check runs or says why not, every tolerance names a real decision; the
tolerance table, baselines and redaction behave as documented. No server needed."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from contract_tests import baseline, seeds
from contract_tests.checks import schemathesis_checks
from contract_tests.checks.generated_input import classify
from contract_tests.checks.schemathesis_checks import REQUIRES
from contract_tests.checks.tolerances import TOLERANCES, Seen, tolerance_for
from contract_tests.requirements import ID_PATTERN, SCHEMATHESIS_ID, Requirement
from contract_tests.verdict_doc import redact
from dnc_kit.resources import load_openapi

SUITE = Path(__file__).resolve().parents[2] / "contract_tests"
DECISIONS = {d["id"] for d in load_openapi()["info"]["x-dnc-decisions"]}


def _suite_tests() -> list[str]:
    names = []
    for path in sorted(SUITE.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [
            n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
        ]
    return names


def _declared(name: str) -> list[Requirement]:
    """The requirements a suite test declares (its `@requires(...)` decorators), read from the
    source: importing a suite module needs the suite's own markers."""
    namespace = {"seeds": seeds, "REQUIRES": REQUIRES, "SCHEMATHESIS_ID": SCHEMATHESIS_ID}
    for path in sorted(SUITE.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return [
                    Requirement(*(eval(ast.unparse(a), namespace) for a in deco.args))
                    for deco in node.decorator_list
                    if isinstance(deco, ast.Call) and ast.unparse(deco.func) == "requires"
                ]
    raise AssertionError(f"{name} not found")


@pytest.mark.parametrize("name", _suite_tests())
def test_every_suite_test_declares_exactly_one_requirement_with_its_sentence(name: str) -> None:
    declared = _declared(name)
    assert len(declared) == 1, f"{name} declares {len(declared)} requirements (@requires)"
    requirement = declared[0]
    assert ID_PATTERN.fullmatch(requirement.id)
    assert not requirement.id.startswith("test"), "an id is not a test name"
    assert requirement.checks.strip()
    assert set(requirement.decisions) <= DECISIONS
    assert requirement.of_parameter("not_a_server_error").checks.strip()


def test_every_requirement_id_belongs_to_exactly_one_test() -> None:
    ids = [_declared(name)[0].id for name in _suite_tests()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_check_schemathesis_registers_runs_or_says_why_not() -> None:
    registered = set(schemathesis_checks.registered_names())
    ran = set(schemathesis_checks.RUN)
    not_run = {n.name for n in schemathesis_checks.NOT_RUN}
    assert registered - {"max_response_time"} <= ran | not_run, registered - ran - not_run
    assert not ran & not_run
    assert "max_response_time" in not_run
    for name in (*ran, "answered", "envelope", "documented_invalid_refused", "batch_entry_shape"):
        assert schemathesis_checks.REQUIRES[name]


def test_a_check_is_switched_off_only_with_a_decision_or_a_reason() -> None:
    for entry in schemathesis_checks.NOT_RUN:
        assert entry.reason
        assert entry.decision is None or entry.decision in DECISIONS


def test_every_tolerance_names_a_decision_of_openapi_yaml() -> None:
    for tolerance in TOLERANCES:
        assert tolerance.decision in DECISIONS, tolerance
        assert tolerance.check in schemathesis_checks.RUN, tolerance


def _seen(check: str, op: str, mode: str, status: int, **case: Any) -> Seen:
    fake = SimpleNamespace(body=case.get("body"), query=case.get("query"))
    return Seen(check, op, mode, status, fake, case.get("answer"), case.get("message", ""))


@pytest.mark.parametrize(
    ("seen", "decision"),
    [
        # a documented url form refused: a failure; an inferred one: another implementation's choice
        (_seen("positive_data_acceptance", "addDncEntry", "positive", 400,
               body={"url": "https://www.linkedin.com/in/dnc-conformance-x-john/"}), None),
        (_seen("positive_data_acceptance", "addDncEntry", "positive", 400,
               body={"url": "HTTPS://M.LINKEDIN.COM/in/dnc-conformance-x-john?trk=1"}),
         "url-pattern"),
        # junk accepted as a url: a failure; a LinkedIn form outside the pattern: a decision
        (_seen("negative_data_rejection", "addDncEntry", "negative", 201,
               body={"url": "0000"}), None),
        (_seen("negative_data_rejection", "addDncEntry", "negative", 201,
               body={"url": "linkedin.com/in/%C3%B6mer"}), "url-pattern"),
        (_seen("negative_data_rejection", "addDncEntry", "negative", 201,
               body={"url": 7}), None),
        # check of an unreadable url: onList false is a legal answer, onList true is not
        (_seen("negative_data_rejection", "checkDncStatus", "negative", 200,
               query={"url": "???"}, answer={"data": {"onList": False}}), "check-invalid-url"),
        (_seen("negative_data_rejection", "checkDncStatus", "negative", 200,
               query={"url": "???"}, answer={"data": {"onList": True}}), None),
        (_seen("negative_data_rejection", "listDncEntries", "negative", 200), "list-range"),
        # a repeated url is not a missing one: read as either value, onList false is legal
        (_seen("negative_data_rejection", "checkDncStatus", "negative", 200,
               query={"url": ["null", "null"]}, answer={"data": {"onList": False}}),
         "repeated-params"),
        (_seen("negative_data_rejection", "listDncEntries", "negative", 200,
               query={"limit": [5, 7]}), "repeated-params"),
        # input the pages call invalid, accepted: a failure whatever else it breaks
        (_seen("negative_data_rejection", "checkDncStatus", "negative", 200,
               query={"url": None}), None),
        (_seen("negative_data_rejection", "addDncEntriesBatch", "negative", 201,
               body={"entries": []}), None),
        (_seen("negative_data_rejection", "addDncEntriesBatch", "negative", 201,
               body={"entries": [{"url": 7}]}), "batch-entry-shape"),
        (_seen("negative_data_rejection", "addDncEntriesBatch", "negative", 201,
               body={"entries": [{"name": "x"}]}), None),
        (_seen("negative_data_rejection", "deleteDncEntry", "negative", 404), "delete-id-format"),
        (_seen("status_code_conformance", "addDncEntry", "negative", 422), "invalid-input-status"),
        (_seen("status_code_conformance", "addDncEntry", "positive", 422), None),
        (_seen("status_code_conformance", "deleteDncEntry", "negative", 400),
         "invalid-input-status"),
        (_seen("response_schema_conformance", "addDncEntry", "positive", 201), None),
        (_seen("unsupported_method", "addDncEntry", "negative", 404), "unknown-route"),
        (_seen("unsupported_method", "addDncEntry", "negative", 405), None),
        (_seen("ignored_auth", "listDncEntries", "positive", 200), None),
        (_seen("content_type_conformance", "listDncEntries", "positive", 200), None),
    ],
)  # fmt: skip
def test_the_tolerance_table_separates_decisions_from_broken_behaviour(
    seen: Seen, decision: str | None
) -> None:
    found = tolerance_for(seen)
    assert (found.decision if found else None) == decision


def test_a_baseline_lists_ids_as_strings_or_objects_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(
        "expected-failures:\n"
        "  - test_a\n"
        "  - id: test_b[team_B]\n"
        "    reason: gateway caps pages (OPS-1)\n",
        encoding="utf-8",
    )
    entries = baseline.load(path)
    assert [(e.id, e.reason) for e in entries] == [
        ("test_a", "listed in the baseline"),
        ("test_b[team_B]", "gateway caps pages (OPS-1)"),
    ]
    assert baseline.matches(entries[0], "a.b[team_A]", "test_a[team_A]")
    assert not baseline.matches(entries[1], "b.c[team_A]", "test_b[team_A]")
    assert baseline.unknown(entries, {"test_a", "test_c"}) == ["test_b[team_B]"]
    assert all(baseline.legacy(e) for e in entries)


def test_a_baseline_names_requirement_ids_and_old_test_names_still_match(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text("- list.total\n- isolation.add.same-url[team_B]\n- test_x\n", encoding="utf-8")
    ids, old_name = baseline.load(path)[:2], baseline.load(path)[2]
    assert baseline.matches(ids[0], "list.total", "test_list_total_whatever")
    assert baseline.matches(ids[1], "isolation.add.same-url[team_B]")
    assert not baseline.matches(ids[1], "isolation.add.same-url[team_A]")
    assert not baseline.matches(ids[0], "list.totals", "list.total")  # ids never match tests
    assert baseline.matches(old_name, "some.id[team_A]", "test_x[team_A]")
    assert baseline.legacy(old_name)
    assert not baseline.legacy(ids[0])


def test_a_malformed_baseline_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text("expected-failures: {not: a list}\n", encoding="utf-8")
    with pytest.raises(baseline.BaselineError, match="list of requirement ids"):
        baseline.load(path)


def test_redaction_removes_every_key_from_every_string_of_the_verdict() -> None:
    doc = {"a": ["sent Bearer ka_123 ok", {"b": "ka_123 and kb_9"}], "n": 3, "none": None}
    assert redact(doc, ["ka_123", "kb_9", None]) == {
        "a": ["sent Bearer [REDACTED] ok", {"b": "[REDACTED] and [REDACTED]"}],
        "n": 3,
        "none": None,
    }


@pytest.mark.parametrize(
    ("operation", "query", "body", "refused"),
    [
        ("checkDncStatus", [], None, True),
        ("checkDncStatus", [("url", "")], None, True),
        ("checkDncStatus", [("url", "null")], None, False),
        ("checkDncStatus", [("url", "null"), ("url", "null")], None, False),
        ("checkDncStatus", [("url", ""), ("url", "")], None, False),
        ("addDncEntry", [], {"url": None}, True),
        ("addDncEntry", [], {"url": "0000"}, True),
        ("addDncEntry", [], {"url": "m.linkedin.com/in/someone"}, False),
        ("addDncEntriesBatch", [], {"entries": "x"}, True),
        ("listDncEntries", [("limit", "-1"), ("limit", "")], None, False),
    ],
)  # fmt: skip
def test_only_input_the_pages_call_invalid_must_be_refused(
    operation: str, query: list[tuple[str, str]], body: Any, refused: bool
) -> None:
    found = classify(operation, query, body)
    assert (found.refuse is not None) == refused, found
    assert found.decision is None if refused else found.decision in DECISIONS
