"""The two sets of choices (variants `a` and `b`) this server can make where the seeds are silent.

Every field names the spec decision (`info.x-dnc-decisions` id) it departs from. The README's table
is written from this module; keep them in step.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["VARIANTS", "Variant", "with_choices"]


@dataclass(frozen=True)
class Variant:
    """One consistent set of legal choices."""

    name: str

    # --- URL normalization (unicode-slugs, inferred fixture cases, url-length) ---------------
    trim_unicode_whitespace: bool
    """True: strip every Unicode whitespace around the value; False: only space, tab, CR, LF."""
    accept_scheme_relative: bool
    """`//linkedin.com/in/x` read as https (True) or rejected (False)."""
    accept_mobile: bool
    """`m.` / `touch.` hosts and `/m/in/`, `/mwlite/in/` wrappers accepted (True) or rejected."""
    accept_trailing_segments: bool
    """Sub-pages and locale suffixes after the slug dropped (True) or rejected (False)."""
    strip_host_trailing_dot: bool
    allow_default_port: bool
    """`:443` (https) / `:80` (http) accepted (True); False rejects every explicit port."""
    slug_min: int
    slug_max: int
    casefold: bool
    """True: `str.casefold()` (ß -> ss); False: `str.lower()`."""
    unicode_form: Literal["NFC", "NFKC"]
    percent_encode_output: bool
    """True: non-ASCII slug characters are percent-encoded (UTF-8, upper-case hex) in the output."""
    url_max_length: int

    # --- error choices -------------------------------------------------------------------------
    empty_url_code: str
    """Code for an empty or whitespace-only url (empty-url)."""
    nonstring_url_code: str
    """Code for a null or non-string url on single add (empty-url)."""
    check_invalid_code: str
    """Code for a check url that cannot be normalized (check-invalid-url); always HTTP 400."""
    malformed_body_code: str
    enforce_json_content_type: bool
    """True: a Content-Type that is present and not JSON answers 415 (malformed-body)."""
    empty_body_is_empty_object: bool
    """True: an empty POST body is read as `{}` (so add says 'LinkedIn URL is required')."""
    body_limit: int
    body_too_large_code: str
    batch_max: int | None
    """None: no entry cap beyond the body limit; else more entries answer 413 (batch-maximum)."""
    batch_too_large_code: str
    batch_nonstring_message: str
    """Per-entry error for a url that is present but not a string (batch-entry-shape)."""
    delete_id_pattern: re.Pattern[str]
    """An id not matching this answers 400 (delete-id-format); a matching unknown id is 404."""
    delete_bad_id_code: str

    # --- list ----------------------------------------------------------------------------------
    list_non_integer_is_error: bool
    """False: a non-integer limit/offset falls back to the default; True: 400 (list-range)."""
    offset_max: int
    """Larger offsets are clamped to this (offset-maximum / list-range)."""
    first_query_value_wins: bool

    # --- routing ---------------------------------------------------------------------------------
    authenticate_before_routing: bool
    not_found_code: str
    method_not_allowed_code: str
    tolerate_trailing_slash: bool

    # --- rate limits ---------------------------------------------------------------------------
    count_invalid_requests: bool
    """True: a request answered 400/413/415 after authentication still takes a slot."""
    rate_limit_headers: Literal["structured", "split", "x-ratelimit", "none"]
    """`structured`: `RateLimit-Policy` + `RateLimit` (IETF draft, structured fields);
    `split`: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (older IETF draft);
    `x-ratelimit`: `X-RateLimit-Limit/-Remaining/-Reset` (epoch seconds); `none`: no headers."""
    retry_after: Literal["none", "http-date"]

    # --- ids, timestamps, order --------------------------------------------------------------
    id_style: Literal["base36", "ulid"]
    timestamp_precision: Literal["us", "ms", "s"]
    batch_shares_timestamp: bool
    """True: every entry added by one batch carries the batch's single creation time."""
    ties_oldest_first: bool
    """Order among equal creation timestamps (list-order-ties)."""

    # --- presentation --------------------------------------------------------------------------
    content_type: str
    www_authenticate: str
    read_messages: bool
    """True: check and list answers also carry a `message`."""
    audit_to_log: bool

    # --- choices added for the switchboard (defaults: what variants a and b always did) --------
    check_unreadable_not_listed: bool = False
    """True: a check url that cannot be normalized answers 200 `onList: false`, `entry: null`
    (check-invalid-url, others-may) instead of a 400."""
    id_length: int = 0
    """Characters after `dnc_` of a base36 id (0: 16); ULIDs are always 26."""
    reset_round_up_s: bool = False
    """True: `resetTime` rounded up to the next whole second (still a moment in the window)."""
    location_header: bool = False
    """True: a 201 of a single add carries `Location: /v1/dnc/<id>`."""
    extra_envelope_fields: bool = False
    """True: every body also carries `requestId` and `apiVersion` next to the envelope."""
    reworded_messages: bool = False
    """True: every error message in other words (the codes stay documented)."""
    connection_close: bool = False
    """True: no keep-alive (`Connection: close` on every answer)."""


VARIANT_A = Variant(
    name="a",
    trim_unicode_whitespace=True,
    accept_scheme_relative=True,
    accept_mobile=False,
    accept_trailing_segments=True,
    strip_host_trailing_dot=False,
    allow_default_port=True,
    slug_min=3,
    slug_max=100,
    casefold=False,
    unicode_form="NFC",
    percent_encode_output=True,
    url_max_length=1024,
    empty_url_code="invalid_url",
    nonstring_url_code="invalid_url",
    check_invalid_code="invalid_request",
    malformed_body_code="invalid_json",
    enforce_json_content_type=False,
    empty_body_is_empty_object=True,
    body_limit=256 * 1024,
    body_too_large_code="body_too_large",
    batch_max=None,
    batch_too_large_code="too_many_entries",
    batch_nonstring_message="url must be a string",
    delete_id_pattern=re.compile(r"dnc_[A-Za-z0-9_]{1,100}"),
    delete_bad_id_code="invalid_request",
    list_non_integer_is_error=False,
    offset_max=10**18,
    first_query_value_wins=True,
    authenticate_before_routing=False,
    not_found_code="unknown_route",
    method_not_allowed_code="unsupported_method",
    tolerate_trailing_slash=True,
    count_invalid_requests=False,
    rate_limit_headers="structured",
    retry_after="none",
    id_style="base36",
    timestamp_precision="us",
    batch_shares_timestamp=True,
    ties_oldest_first=True,
    content_type="application/json",
    www_authenticate="Bearer",
    read_messages=False,
    audit_to_log=False,
)

VARIANT_B = Variant(
    name="b",
    trim_unicode_whitespace=False,
    accept_scheme_relative=False,
    accept_mobile=True,
    accept_trailing_segments=False,
    strip_host_trailing_dot=True,
    allow_default_port=False,
    slug_min=2,
    slug_max=100,
    casefold=True,
    unicode_form="NFKC",
    percent_encode_output=False,
    url_max_length=8000,
    empty_url_code="invalid_request",
    nonstring_url_code="invalid_url",
    check_invalid_code="unreadable_url",
    malformed_body_code="malformed_body",
    enforce_json_content_type=True,
    empty_body_is_empty_object=False,
    body_limit=4 * 1024 * 1024,
    body_too_large_code="entity_too_large",
    batch_max=5000,
    batch_too_large_code="too_many_entries",
    batch_nonstring_message="Invalid LinkedIn URL format",
    delete_id_pattern=re.compile(r"dnc_[!-~]{1,196}"),
    delete_bad_id_code="invalid_id",
    list_non_integer_is_error=True,
    offset_max=2**53 - 1,
    first_query_value_wins=False,
    authenticate_before_routing=True,
    not_found_code="no_such_endpoint",
    method_not_allowed_code="method_not_supported",
    tolerate_trailing_slash=False,
    count_invalid_requests=True,
    rate_limit_headers="split",
    retry_after="http-date",
    id_style="ulid",
    timestamp_precision="s",
    batch_shares_timestamp=False,
    ties_oldest_first=False,
    content_type="application/json; charset=utf-8",
    www_authenticate='Bearer realm="dnc", error="invalid_token"',
    read_messages=True,
    audit_to_log=True,
)

VARIANTS: dict[str, Variant] = {"a": VARIANT_A, "b": VARIANT_B}


def with_choices(variant: Variant, choices: list[str]) -> Variant:
    """`variant` with `field=value` overrides (bool: true/false; int; str; `re:` a pattern)."""
    changes: dict[str, object] = {}
    fields = {f.name for f in dataclasses.fields(Variant)}
    for choice in choices:
        name, sep, raw = choice.partition("=")
        if not sep or name not in fields:
            raise ValueError(f"not field=value of a Variant field: {choice!r}")
        current = getattr(variant, name)
        value: object
        if isinstance(current, bool):
            if raw not in ("true", "false"):
                raise ValueError(f"{name} takes true or false, got {raw!r}")
            value = raw == "true"
        elif isinstance(current, int) or name == "batch_max":
            value = None if raw == "none" else int(raw)
        elif isinstance(current, re.Pattern):
            value = re.compile(raw)
        else:
            value = raw
        changes[name] = value
    return dataclasses.replace(variant, **changes)  # type: ignore[arg-type]
