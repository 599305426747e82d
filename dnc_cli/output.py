"""Writing a result where the user said, without ever harming what is there.

- `-` or no path: stdout.
- A regular file, or a new one: written whole to a temporary file beside it, then renamed over
  it (an interrupted run never leaves half a file), with the mode the file had, or, for a new
  file, the mode the umask gives (as `>` in a shell would).
- A symlink is written through: its target is replaced as above and the link stays a link.
- Anything else (a device such as /dev/null, a FIFO, a socket) is opened and written in place:
  never renamed over, never replaced by a regular file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from dnc_cli.errors import UsageError

__all__ = ["STDOUT", "is_stdout", "write_bytes"]

STDOUT = Path("-")


def is_stdout(output: Path | None) -> bool:
    return output is None or str(output) == "-"


def write_bytes(data: bytes, output: Path | None) -> None:
    if is_stdout(output):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    assert output is not None
    try:
        target = Path(os.path.realpath(output))  # through any symlink, to what it names
        try:
            existing: os.stat_result | None = target.stat()
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            with open(target, "wb") as handle:  # a device or FIFO: written, never replaced
                handle.write(data)
            return
        mode = stat.S_IMODE(existing.st_mode) if existing is not None else _umask_mode()
        _replace(target, data, mode)
    except OSError as error:
        raise UsageError(f"{output}: cannot be written ({error.strerror or error})") from None


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _replace(target: Path, data: bytes, mode: int) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
