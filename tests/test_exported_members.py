"""Each package's consumers import only what the package exports: the names in its
`__init__.py` `__all__` (a submodule named there is public with all it holds), or a submodule
listed in PUBLIC_SUBMODULES with the reason it is public.

Consumers are the other packages and every test outside the package's own test folder
(`tests/<package>/` tests the package from inside, white-box). `bench/` measures internals on
purpose and is no consumer. Imports are read from the source (ast), nothing is imported.

Imports that break the rule today are listed in KNOWN_VIOLATIONS with who should fix them: the
list may only shrink (an entry nothing needs any more fails the run, so it is removed).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Bottom-up, as in tests/test_layering.py.
PACKAGES = (
    "dnc_kit",
    "dnc_client",
    "reference_server",
    "mcp_server",
    "dnc_cli",
    "contract_tests",
    "dnc",
)
OWN_TESTS = {
    "tests/dnc_kit": "dnc_kit",
    "tests/dnc_client": "dnc_client",
    "tests/reference_server": "reference_server",
    "tests/mcp_server": "mcp_server",
    "tests/dnc_cli": "dnc_cli",
    "tests/contract_suite": "contract_tests",
}

PUBLIC_SUBMODULES = {
    "dnc.main": "the `dnc` console script's target (pyproject.toml [project.scripts])",
    "dnc_client.testing": "frozen clock and fake sleeps, for tests of anything that paces",
    "reference_server.testing": "the in-process client and fake clock, for tests of consumers",
    "mcp_server.testing": "a whole MCP stack in-process, for tests and benchmarks",
}

# imported module (or "package:name") -> who should fix it and how; shrink only.
KNOWN_VIOLATIONS: dict[str, str] = {}


def exported(package: str) -> frozenset[str]:
    return _exports()[package]


@cache
def _exports() -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    for package in PACKAGES:
        tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
        names: frozenset[str] = frozenset()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
            ):
                names = frozenset(ast.literal_eval(node.value))
        found[package] = names
    return found


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def consumer_files() -> Iterator[tuple[Path, str | None]]:
    """Every source file that may import a package, with the package it belongs to (None for
    a test outside any package's own folder)."""
    for folder in (*PACKAGES, "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if folder != "tests":
                yield path, folder
                continue
            own = next(
                (pkg for where, pkg in OWN_TESTS.items() if relative.startswith(where)), None
            )
            yield path, own


def imported(tree: ast.AST) -> Iterator[str]:
    """Each imported module as a dotted name, or "package:name" for a name from a package."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if is_module(full) else f"{node.module}:{alias.name}"


def breaks_the_rule(target: str, consumer: str | None) -> bool:
    dotted = target.split(":")[0]
    package, _, rest = dotted.partition(".")
    if package not in PACKAGES or package == consumer:
        return False
    if not rest:
        name = target.partition(":")[2]
        return bool(name) and name not in exported(package)
    if dotted in PUBLIC_SUBMODULES or any(
        dotted.startswith(f"{public}.") for public in PUBLIC_SUBMODULES
    ):
        return False
    return rest.split(".")[0] not in exported(package)


@cache
def violations() -> dict[str, tuple[str, ...]]:
    """Each import past a public surface, with the files that make it."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    for path, owner in consumer_files():
        for target in imported(ast.parse(path.read_text(encoding="utf-8"))):
            if breaks_the_rule(target, owner):
                module = target.split(":")[0]
                found[module if "." in module else target].add(path.relative_to(ROOT).as_posix())
    return {target: tuple(sorted(files)) for target, files in found.items()}


def test_consumers_import_only_the_exported_names_and_the_listed_public_submodules() -> None:
    new = {
        target: files for target, files in violations().items() if target not in KNOWN_VIOLATIONS
    }
    assert not new, (
        "import these from the package (a name in its __all__), or export them there: "
        + "; ".join(f"{target} in {', '.join(files)}" for target, files in sorted(new.items()))
    )


def test_the_known_violations_only_list_imports_that_still_happen() -> None:
    stale = sorted(set(KNOWN_VIOLATIONS) - set(violations()))
    assert not stale, f"fixed, so remove from KNOWN_VIOLATIONS: {stale}"


def test_every_public_submodule_exists_and_says_why() -> None:
    for dotted, reason in PUBLIC_SUBMODULES.items():
        assert is_module(dotted), dotted
        assert reason.strip(), dotted


# The suite is a pytest plugin run by its command (`dnc conformance`), not a library.
@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "contract_tests"])
def test_every_package_but_the_suite_declares_its_surface_in_all(package: str) -> None:
    names = exported(package)
    assert names, f"{package}/__init__.py has no __all__"
    namespace = _top_level_names(package)
    missing = sorted(n for n in names if n not in namespace and not is_module(f"{package}.{n}"))
    assert not missing, f"{package}.__all__ names what __init__.py does not define: {missing}"


def _top_level_names(package: str) -> set[str]:
    tree = ast.parse((ROOT / package / "__init__.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names
