"""pytest entry point of the conformance suite: the hooks and fixtures live in `plugin.py`."""

from contract_tests.plugin import (
    ctx,
    dnc_ctx,
    pytest_addoption,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_terminal_summary,
)

__all__ = [
    "ctx",
    "dnc_ctx",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_terminal_summary",
]
