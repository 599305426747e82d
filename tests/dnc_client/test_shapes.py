"""Spelling shapes: the client's grouping of undocumented spellings, which it then learns from
the deployment (dnc_client.shapes); no I/O here."""

from __future__ import annotations

import pytest

from dnc_client.shapes import spell, spelling_of, username_of


@pytest.mark.parametrize(
    "url",
    [
        "https://linkedin.com/in/ada-lovelace",
        "LINKEDIN.COM/IN/ADA-LOVELACE/",
        "in/ada-lovelace",
        "",
        "https://www.linkedin.com/company/acme",
        "https://linkedin.com/in/ACoAAB1234",
        "https://linkedin.com/in/ad\u00e4",
        "https://evil.com/in/ada-lovelace",
    ],
)
def test_documented_forms_and_what_cannot_be_parsed_have_no_shape(url: str) -> None:
    assert spelling_of(url) is None


def test_the_same_spelling_of_two_people_is_one_shape_and_respells_either() -> None:
    one = spelling_of("HTTP://UK.LinkedIn.com/in/Ada-Lovelace/details/experience/?trk=abc ")
    two = spelling_of("http://uk.linkedin.com/in/alan-turing/details/experience/?trk=xyz ")
    assert one is not None
    assert two is not None
    assert one.shape == two.shape  # tracking values do not make a shape of their own
    assert one.key == "https://linkedin.com/in/ada-lovelace"
    assert spell(one, "alan-turing") == (
        "http://uk.linkedin.com/in/alan-turing/details/experience/?trk=abc "
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://linkedin.com/in/ada-lovelace", "http://www.linkedin.com/in/ada-lovelace"),
        ("https://uk.linkedin.com/in/ada-lovelace", "https://de.linkedin.com/in/ada-lovelace"),
        ("https://linkedin.com/in/ada-lovelace?trk=a", "https://linkedin.com/in/ada-lovelace?x=a"),
        (" https://linkedin.com/in/ada-lovelace", "https://linkedin.com/in/ada-lovelace "),
        ("m.linkedin.com/in/ada-lovelace/details/x/", "m.linkedin.com/in/ada-lovelace/details/y/"),
        ("http://linkedin.com/in/ada-lovelace", "http://linkedin.com/in/ada-lovelace#top"),
    ],
)
def test_spellings_that_differ_in_anything_but_values_are_different_shapes(
    first: str, second: str
) -> None:
    one, two = spelling_of(first), spelling_of(second)
    assert one is not None
    assert two is not None
    assert one.shape != two.shape
    assert one.key == two.key == "https://linkedin.com/in/ada-lovelace"


def test_only_a_canonical_key_gives_a_username_to_respell() -> None:
    assert username_of("https://linkedin.com/in/ada-lovelace") == "ada-lovelace"
    assert username_of("https://linkedin.com/in/ACoAAB1234") is None
    assert username_of("https://linkedin.com/in/x?y=1") is None
