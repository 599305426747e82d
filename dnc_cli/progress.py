"""Progress bars on stderr (rich), never on stdout, where the machine-readable output goes.

Shown only when stderr is a terminal and `--quiet` is not given; a snapshot's length is
unknown until it is read, so its bar counts entries without a total.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Final, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from dnc_client import BulkProgress

__all__ = ["Bars", "Reporter"]

_TITLES: Final = {
    "snapshot": "Reading the list",
    "check": "Checking URLs one by one",
    "add": "Adding in batches",
}


class Bars:
    """`with Bars(enabled) as bars: api.check_many(urls, progress=bars.update)`."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled and sys.stderr.isatty():
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Self:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, progress: BulkProgress) -> None:
        if self._progress is None:
            return
        task = self._tasks.get(progress.phase)
        if task is None:
            task = self._tasks[progress.phase] = self._progress.add_task(
                _TITLES[progress.phase], total=progress.total
            )
        self._progress.update(task, completed=progress.done, total=progress.total)


class Reporter:
    """Human messages on stderr; `--quiet` silences all but errors."""

    def __init__(self, command: str, quiet: bool) -> None:
        self.command = command
        self.quiet = quiet

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def error(self, message: str) -> None:
        print(f"{self.command}: {message}", file=sys.stderr, flush=True)
