"""The client's URL reading: every documented case agreed, no inferred case contradicted."""

from __future__ import annotations

from typing import Any

import pytest

from dnc_client.normalize import documented_key, is_blank
from dnc_kit.resources import load_normalization_cases

CASES = load_normalization_cases()
DOCUMENTED = [c for c in CASES if c["source"] == "documented"]
INFERRED = [c for c in CASES if c["source"] == "inferred"]


def _id(case: dict[str, Any]) -> str:
    return repr(case["input"])[:60]


@pytest.mark.parametrize("case", [c for c in DOCUMENTED if c["expected"]], ids=_id)
def test_every_documented_form_is_read_exactly_as_the_documentation_says(
    case: dict[str, Any],
) -> None:
    assert documented_key(case["input"]) == case["expected"]


@pytest.mark.parametrize("case", [c for c in DOCUMENTED if not c["expected"]], ids=_id)
def test_a_documented_rejection_is_never_read_as_a_profile(case: dict[str, Any]) -> None:
    assert documented_key(case["input"]) is None


@pytest.mark.parametrize("case", INFERRED, ids=_id)
def test_an_inferred_case_is_either_agreed_with_or_left_to_the_server(
    case: dict[str, Any],
) -> None:
    assert documented_key(case["input"]) in {None, case["expected"]}


def test_the_documented_cases_cover_enough_of_the_fixtures_to_mean_something() -> None:
    assert len([c for c in DOCUMENTED if c["expected"]]) >= 30


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/ACoAAA1b2C3d4E5f6",  # member id: case matters on some servers
        "in/acwaab1234xyz",
        "http://linkedin.com/in/john",  # http:// is not documented
        "https://uk.linkedin.com/in/john",
        "https://linkedin.com/in/john?trk=x",
        " in/john",
        "in/john//",
        "/in/john",
        "https://linkedin.com/in/john.smith",
        "https://linkedin.com/in/jo",
        "in/" + "a" * 101,
        "https://linkedin.com/in/ömer",
        "https://lin\u212aedin.com/in/john",  # KELVIN SIGN lowercases to k: never trusted
    ],
)
def test_forms_the_documentation_does_not_fix_are_left_to_the_server(url: str) -> None:
    assert documented_key(url) is None


@pytest.mark.parametrize(("url", "blank"), [("", True), ("  \t", True), ("in/x", False)])
def test_blank_values_are_recognised(url: str, blank: bool) -> None:
    assert is_blank(url) is blank
