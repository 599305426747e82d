"""A switchboard of legal choices: a Variant with every choice drawn at random (seeded) from
the alternatives the spec's decisions and the seed pages leave open.

Each field takes variant `a`'s value, variant `b`'s, or one of the extra legal values listed in
EXTRA; `python -m tests.independent_server --seed N` serves the combination of seed N, so a
suite failure against it can be reproduced from the seed the self-test prints.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from .variants import VARIANT_A, VARIANT_B, Variant

__all__ = ["EXTRA", "random_variant"]

# Legal values beyond those of variants a and b (field -> values).
EXTRA: dict[str, tuple[Any, ...]] = {
    "check_unreadable_not_listed": (True,),
    "rate_limit_headers": ("x-ratelimit", "none"),
    "timestamp_precision": ("ms",),
    "id_length": (8, 24, 40),
    "reset_round_up_s": (True,),
    "location_header": (True,),
    "extra_envelope_fields": (True,),
    "reworded_messages": (True,),
    "connection_close": (True,),
    "retry_after": ("none",),
}


def random_variant(seed: int) -> Variant:
    """One combination of legal choices, the same for the same seed."""
    rng = random.Random(seed)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Variant):
        if field.name == "name":
            continue
        options = [getattr(VARIANT_A, field.name), getattr(VARIANT_B, field.name)]
        options += [v for v in EXTRA.get(field.name, ()) if v not in options]
        values[field.name] = rng.choice(options)
    return Variant(name=f"seed-{seed}", **values)
