"""The text a model reads from the bulk tools, sized for a context window.

`dnc_check_many` and `dnc_add_batch` keep their whole result in `structuredContent` (for the
client application), but the text block is what a model reads, and a pretty-printed copy of
500 results is over 200,000 characters. So the text is: the counts and what to do, then only
the inputs that need attention (listed, unknown, failed), one short line each, grouped under
one heading per reason. Budget: at most `TEXT_BASE_BUDGET` + `TEXT_PER_URL_BUDGET` characters
per line shown. Never JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from dnc_client import CANONICAL_PREFIX, CheckOutcome, WireModel
from mcp_server.models import BatchAddResult

__all__ = [
    "MAX_URLS_PER_CALL",
    "TEXT_BASE_BUDGET",
    "TEXT_PER_URL_BUDGET",
    "Only",
    "add_batch_text",
    "check_many_text",
    "require_at_most",
    "tool_result",
]

MAX_URLS_PER_CALL: Final = 10_000  # per dnc_check_many / dnc_add_batch call
TEXT_BASE_BUDGET: Final = 2_000
TEXT_PER_URL_BUDGET: Final = 40
_SHOWN_MAX: Final = 32  # characters of a URL shown on its line

Only = Literal["listed", "unknown"]


def require_at_most(tool: str, urls: Sequence[str]) -> None:
    """A clear error, telling the model what to do, for a list over the per-call maximum."""
    if len(urls) > MAX_URLS_PER_CALL:
        raise ToolError(
            f"{tool} takes at most {MAX_URLS_PER_CALL:,} URLs per call and got {len(urls):,}."
            f" Split the list into calls of {MAX_URLS_PER_CALL:,} or fewer and call {tool}"
            " once per part."
        )


def tool_result(structured: WireModel, text: str) -> CallToolResult:
    """The whole result as structured content, and the compact text for the model."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured.model_dump(mode="json", by_alias=True),
    )


def _shown(outcome_url: str, normalized: str | None) -> str:
    """`in/<username>` when known (a documented form dnc_check accepts), else the input, cut."""
    if normalized is not None and normalized.startswith(CANONICAL_PREFIX):
        text = "in/" + normalized.removeprefix(CANONICAL_PREFIX)
    else:
        text = " ".join(outcome_url.split())  # no line breaks or padding inside a line
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def _grouped(lines: Iterable[tuple[str, int, str]]) -> list[str]:
    """`(heading, index, shown)` -> a heading once, then `index shown` lines under it."""
    groups: dict[str, list[str]] = {}
    for heading, index, shown in lines:
        groups.setdefault(heading, []).append(f"{index} {shown}")
    out: list[str] = []
    for heading, rows in groups.items():
        out.append(heading)
        out.extend(rows)
    return out


def check_many_text(
    outcomes: Sequence[CheckOutcome], message: str, only: Only | None = None
) -> str:
    """Counts and instructions, then each listed and each unknown input (index into `results`
    of the full answer, and the person)."""
    lines = [message]
    listed = [
        ("ON the list, never contact (index, person):", i, _shown(o.url, o.normalized_url))
        for i, o in enumerate(outcomes)
        if o.on_list is True
    ]
    unknown = [
        (
            f"UNKNOWN, not cleared ({_cut(o.error or 'could not be checked')}):",
            i,
            _shown(o.url, None),
        )
        for i, o in enumerate(outcomes)
        if o.on_list is None
    ]
    if only != "unknown":
        lines += _grouped(listed)
    if only != "listed":
        lines += _grouped(unknown)
    lines.append(
        "Indexes count from 0 into the structured result's `results`, which also holds each"
        " entry (its `$id` is the entry_id dnc_delete takes)."
        + ("" if only is None else f" Only {only} inputs are shown (only={only}).")
    )
    return "\n".join(lines)


def add_batch_text(result: BatchAddResult, urls: Sequence[str]) -> str:
    """Counts, then each input that was not recorded, under its reason."""
    failed = [
        (
            f"NOT recorded ({_cut(detail.error or 'error')}):",
            i,
            _shown(urls[i] if i < len(urls) else detail.url, None),
        )
        for i, detail in enumerate(result.details)
        if detail.status == "error"
    ]
    lines = [result.message, *_grouped(failed)]
    if failed:
        lines.append("Indexes count from 0 into the URLs given (and the result's `details`).")
    return "\n".join(lines)


def _cut(reason: str, limit: int = 160) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
