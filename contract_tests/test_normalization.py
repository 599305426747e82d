"""URL normalization, data-driven from fixtures/normalization.json."""

import pytest

from contract_tests import seeds
from contract_tests.checks import normalization
from contract_tests.context import Ctx
from contract_tests.fixtures import NormCase, Skipped, normalization_cases
from contract_tests.requirements import requires

pytestmark = pytest.mark.normalization


@pytest.fixture(scope="module")
def cases(dnc_ctx: Ctx) -> tuple[list[NormCase], list[Skipped]]:
    return normalization_cases(dnc_ctx.config.slug_prefix)


@pytest.fixture(scope="module")
def sent(dnc_ctx: Ctx, cases: tuple[list[NormCase], list[Skipped]]) -> normalization.Sent:
    """Every case, documented ones first, in as few batches as the pages recommend."""
    ordered = sorted(cases[0], key=lambda c: not c.documented)
    return normalization.send_in_batches(dnc_ctx, ordered)


@requires("normalization.documented", seeds.NORMALIZATION)
def test_documented_url_forms_are_stored_as_the_canonical_url(sent: normalization.Sent) -> None:
    normalization.documented_normalization_conformance(sent)


@requires("normalization.check-forms", seeds.NORMALIZATION_CHECK)
def test_check_finds_a_listed_url_by_every_documented_form(
    ctx: Ctx, sent: normalization.Sent, cases: tuple[list[NormCase], list[Skipped]]
) -> None:
    normalization.check_finds_documented_forms_conformance(
        ctx, [c for c in cases[0] if c.documented]
    )


@requires("normalization.single-add", seeds.NORMALIZATION)
def test_single_add_stores_the_canonical_url(ctx: Ctx) -> None:
    normalization.add_normalizes_conformance(ctx)


@requires(
    "normalization.invalid-url", f"{seeds.INVALID_URL} and {seeds.MISSING_URL}", ("empty-url",)
)
def test_a_url_that_is_not_a_linkedin_profile_answers_400_invalid_url(ctx: Ctx) -> None:
    normalization.invalid_url_conformance(ctx)


@requires(
    "normalization.inferred",
    "decision unicode-slugs and the inferred cases of fixtures/normalization.json (warnings only)",
    ("unicode-slugs", "url-pattern"),
)
def test_inferred_normalization_cases_match_dnc_kit_decisions(
    ctx: Ctx, sent: normalization.Sent, cases: tuple[list[NormCase], list[Skipped]]
) -> None:
    """Warnings only (failures with --strict): the documentation leaves these cases open."""
    skipped = [s for s in cases[1] if not s.documented]
    if skipped:
        ctx.verdict.notes.append(
            f"Normalization: {len(skipped)} inferred case(s) not measured (moving them under "
            "the run prefix would change their meaning, and sending them verbatim could touch "
            "real entries)."
        )
    normalization.inferred_normalization_conformance(ctx, sent)
