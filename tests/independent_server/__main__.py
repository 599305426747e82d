"""`python -m tests.independent_server --port P --keys k1:team_a,k2:team_b --variant a`."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from .app import create_app
from .clock import Clock
from .http_protocol import envelope_protocol
from .service import Service
from .switchboard import random_variant
from .variants import VARIANTS, with_choices

_MAX_HEADER_BYTES = 1024 * 1024


def parse_keys(text: str) -> dict[str, str]:
    """`key:team,key:team` -> {key: team}; the team is after the last `:`."""
    keys: dict[str, str] = {}
    for item in text.split(","):
        key, sep, team = item.strip().rpartition(":")
        if not sep or not key or not team:
            raise argparse.ArgumentTypeError(f"not key:team: {item!r}")
        keys[key] = team
    return keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.independent_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys", type=parse_keys, required=True, help="k1:team_a,k2:team_b")
    parser.add_argument("--window-s", type=float, default=60.0, help="rate-limit window")
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="a")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="serve the switchboard's random combination of legal choices of this seed "
        "(replaces --variant)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one choice of the variant (a field of variants.Variant)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    parser.add_argument("--clock-skew-s", type=float, default=0.0, help="shift the server clock")
    args = parser.parse_args(argv)
    try:
        base = VARIANTS[args.variant] if args.seed is None else random_variant(args.seed)
        variant = with_choices(base, args.set)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    service = Service(
        variant=variant,
        keys=args.keys,
        window_s=args.window_s,
        latency_s=args.latency_ms / 1000,
        clock=Clock(args.clock_skew_s),
    )
    uvicorn.run(
        create_app(service),
        host=args.host,
        port=args.port,
        http=envelope_protocol(service.variant.content_type),
        ws="none",
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        h11_max_incomplete_event_size=_MAX_HEADER_BYTES,
    )


if __name__ == "__main__":
    main()
