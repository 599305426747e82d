"""The tree reads bottom-up: every import points to a lower layer, never up or sideways.

    3  dnc                                      the `dnc` entry point, `dnc demo`
    2  mcp_server · dnc_cli · contract_tests    what people and agents run
    1  dnc_client · reference_server            the client library; the reference service
    0  dnc_kit                                  the spec and the fixtures, and their loader

The conformance suite is an oracle: it may use nothing of ours but the spec and the fixtures.
Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYERS: dict[str, int] = {
    "dnc_kit": 0,
    "dnc_client": 1,
    "reference_server": 1,
    "mcp_server": 2,
    "dnc_cli": 2,
    "contract_tests": 2,
    "dnc": 3,
}
ORACLE_MAY_IMPORT = {"contract_tests", "dnc_kit"}


def imported_packages(path: Path) -> set[str]:
    """The project packages that a module imports (absolute imports; relative ones stay inside)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & LAYERS.keys()
    return found


def modules() -> list[tuple[str, Path]]:
    return [
        (package, path)
        for package in LAYERS
        if (REPO_ROOT / package).is_dir()
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("package", "path"), modules(), ids=[str(p.relative_to(REPO_ROOT)) for _, p in modules()]
)
def test_a_module_imports_only_its_own_package_and_lower_layers(package: str, path: Path) -> None:
    upward = {
        other
        for other in imported_packages(path)
        if other != package and LAYERS[other] >= LAYERS[package]
    }
    assert not upward, f"{path.relative_to(REPO_ROOT)} (layer {LAYERS[package]}) imports {upward}"


@pytest.mark.parametrize(
    "path",
    sorted((REPO_ROOT / "contract_tests").rglob("*.py")),
    ids=lambda p: str(p.relative_to(REPO_ROOT)),
)
def test_the_conformance_suite_uses_only_the_spec_and_the_fixtures(path: Path) -> None:
    assert imported_packages(path) <= ORACLE_MAY_IMPORT, path


def test_every_package_of_the_wheel_has_a_layer() -> None:
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for package in LAYERS:
        if (REPO_ROOT / package).is_dir():
            assert f'"{package}"' in text, f"{package} is not built into the wheel"
