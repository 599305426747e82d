"""Exit code 1 of `dnc check URL` means "NOT on the list, safe to contact": a failure of any
kind, also one nobody foresaw, must end in another code (5, unavailable)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest

from dnc_cli.config import CliConfig
from dnc_cli.errors import EXIT_INTERRUPTED, EXIT_UNAVAILABLE
from dnc_cli.main import _run
from dnc_cli.progress import Reporter
from dnc_client import AsyncDncClient, DncConnectionError
from tests.bulk_harness.servers import corrupt_gzip, serve_in_thread

from .conftest import Dnc

KEY = "sk_test_unknown_outcome_0001"


@pytest.fixture
def corrupt_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve_in_thread(corrupt_gzip) as base_url:
        monkeypatch.setenv("DNC_BASE_URL", base_url)
        monkeypatch.setenv("DNC_API_KEY", KEY)
        yield base_url


def test_a_200_whose_body_cannot_be_decoded_is_exit_5_never_not_listed(
    dnc: Dnc, corrupt_api: str
) -> None:
    ran = dnc("check", "https://linkedin.com/in/alice")
    assert ran.code == EXIT_UNAVAILABLE
    assert ran.out == ""
    assert len(ran.err.splitlines()) == 1
    assert "Traceback" not in ran.err
    assert KEY not in ran.err


def _raising(
    error: BaseException,
) -> Callable[[AsyncDncClient, CliConfig, Reporter], Awaitable[int]]:
    async def body(api: AsyncDncClient, config: CliConfig, report: Reporter) -> int:
        raise error

    return body


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug nobody foresaw"),
        ExceptionGroup("task group", [ValueError("in one task")]),
    ],
    ids=["plain", "in-a-task-group"],
)
def test_an_unforeseen_crash_is_one_line_and_exit_5(
    data_dir: object, capsys: pytest.CaptureFixture[str], error: BaseException
) -> None:
    assert _run("check", False, _raising(error)) == EXIT_UNAVAILABLE
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert type(error.exceptions[0] if isinstance(error, ExceptionGroup) else error).__name__ in err


def test_a_clients_error_raised_in_a_task_group_is_explained_as_itself(
    data_dir: object, capsys: pytest.CaptureFixture[str]
) -> None:
    group = ExceptionGroup("task group", [DncConnectionError("the API went away")])
    assert _run("check", False, _raising(group)) == EXIT_UNAVAILABLE
    assert "the API went away" in capsys.readouterr().err


def test_ctrl_c_inside_a_task_group_is_still_exit_130(data_dir: object) -> None:
    group = BaseExceptionGroup("task group", [ValueError("x"), KeyboardInterrupt()])
    assert _run("check", True, _raising(group)) == EXIT_INTERRUPTED
