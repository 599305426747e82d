"""What a stored API key may do: the scopes `read`, `write` and `delete` (an extension beyond the
provider's pages; openapi.yaml decision key-scopes).

A key created with `dnc keys create --scope read` can check and list but not add or delete, so
an agent or an integration gets only the operations it needs. Keys from `DNC_API_KEYS` and keys
created without `--scope` hold all three, which is the documented behaviour of an API key.
Scopes are kept as one space-separated string, as OAuth writes them (RFC 6749 §3.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from dnc_kit import contract

__all__ = [
    "ALL_SCOPES",
    "OPERATION_SCOPES",
    "SCOPES",
    "ScopeError",
    "format_scopes",
    "parse_scopes",
]

SCOPES: tuple[str, ...] = ("read", "write", "delete")
ALL_SCOPES: frozenset[str] = frozenset(SCOPES)

# operationId -> the scope it needs: openapi.yaml's `x-dnc-scope` on each operation.
OPERATION_SCOPES: Mapping[str, str] = contract.OPERATION_SCOPES

# The MCP server names the same scopes `dnc:read` … (issue 21); either spelling is accepted.
_PREFIX = "dnc:"


class ScopeError(ValueError):
    """A scope name that is not read, write or delete; the message says which ones exist."""


def parse_scopes(values: Iterable[str]) -> frozenset[str]:
    """Scopes from repeated or comma/space-separated values (`read,write`, `dnc:read`)."""
    found: set[str] = set()
    for value in values:
        for part in value.replace(",", " ").split():
            name = part.lower().removeprefix(_PREFIX)
            if name not in ALL_SCOPES:
                raise ScopeError(f"unknown scope {part!r}: use {', '.join(SCOPES)}")
            found.add(name)
    return frozenset(found)


def format_scopes(scopes: Iterable[str]) -> str:
    """The stored form: space-separated, in the fixed order read, write, delete."""
    chosen = set(scopes)
    return " ".join(name for name in SCOPES if name in chosen)
