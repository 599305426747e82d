"""`python -m tests.contract_suite.variant_server --fault N --port P`: serve the reference server,
or its N-th broken variant (faults.catalogue()), until terminated."""

from __future__ import annotations

import argparse

import uvicorn

from .faults import catalogue
from .harness import reference_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--fault", type=int, default=-1, help="index into catalogue(); -1: no fault"
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--window-s", type=float, default=None, help="rate-limit window of the reference server"
    )
    args = parser.parse_args()
    overrides = {} if args.window_s is None else {"rate_window_s": args.window_s}
    factory = reference_app(**overrides) if args.fault < 0 else catalogue()[args.fault].app
    uvicorn.run(factory(), host="127.0.0.1", port=args.port, log_level="error", lifespan="on")


if __name__ == "__main__":
    main()
