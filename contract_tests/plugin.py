"""The pytest side of the suite, in four parts sharing one `RunState` (run_state.py):

- `options.py`: the command-line options and the run configuration (`pytest_configure`);
- `planning.py`: categories, order, baselines, the request budget printed at the start;
- `session.py`: the session context every check receives, and each outcome recorded;
- `reporting.py`: the verdict at the end, in the terminal and in the files asked for.

`conftest.py` imports the hooks and fixtures from here.
"""

from contract_tests.options import pytest_addoption, pytest_configure
from contract_tests.planning import pytest_collection_finish, pytest_collection_modifyitems
from contract_tests.reporting import pytest_terminal_summary
from contract_tests.session import (
    ctx,
    dnc_ctx,
    pytest_runtest_makereport,
    pytest_runtest_setup,
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
