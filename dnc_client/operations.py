"""The five API operations as values: what to send, and how to read the `data` that comes back.

Both clients build the same `Operation` for a call and differ only in how they send it, so a
request's shape and the parsing of its answer are written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from dnc_client.errors import DncApiError
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage
from dnc_kit.contract import OPERATION_BUCKETS

__all__ = [
    "BATCH_TIMEOUT_S",
    "DELETED_MESSAGE",
    "Operation",
    "add",
    "add_batch",
    "check",
    "delete",
    "list_page",
]

T = TypeVar("T")
_M = TypeVar("_M", bound=BaseModel)

DELETED_MESSAGE = "DNC entry deleted successfully"
# The seeds: "500 URLs typically processes in 25-50 seconds"; a batch is never replayed after a
# timeout (its outcome would be unclear), so it gets time to finish.
BATCH_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One call: its operationId (which names its rate-limit bucket), the request, the parser."""

    operation_id: str
    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, str] | None = None
    json: object = None
    timeout_s: float | None = None  # None: the client's own timeout

    @property
    def bucket(self) -> str:
        return OPERATION_BUCKETS[self.operation_id]


def _model(model: type[_M]) -> Callable[[Any], _M]:
    def parse(data: Any) -> _M:
        try:
            return model.model_validate(data)
        except ValidationError:
            raise DncApiError(
                200, "bad_response", f"answer does not match {model.__name__}"
            ) from None

    return parse


def _deleted_message(data: Any) -> str:
    message = data.get("message") if isinstance(data, Mapping) else None
    return message if isinstance(message, str) else DELETED_MESSAGE


def add(url: str) -> Operation[DncEntry]:
    """POST /dnc. The answer to an already-listed URL is a ConflictError (409)."""
    return Operation("addDncEntry", "POST", "/dnc", _model(DncEntry), json={"url": url})


def add_batch(urls: Sequence[str]) -> Operation[BatchResult]:
    """POST /dnc/batch with at most the spec's batch maximum of URLs."""
    body = {"entries": [{"url": url} for url in urls]}
    return Operation(
        "addDncEntriesBatch",
        "POST",
        "/dnc/batch",
        _model(BatchResult),
        json=body,
        timeout_s=BATCH_TIMEOUT_S,
    )


def check(url: str) -> Operation[CheckResult]:
    """GET /dnc/check."""
    return Operation("checkDncStatus", "GET", "/dnc/check", _model(CheckResult), {"url": url})


def list_page(limit: int, offset: int) -> Operation[ListPage]:
    """GET /dnc: one page, newest first."""
    params = {"limit": str(limit), "offset": str(offset)}
    return Operation("listDncEntries", "GET", "/dnc", _model(ListPage), params)


def delete(entry_id: str) -> Operation[str]:
    """DELETE /dnc/{id}; the id is escaped into one path segment. Parses the API's message."""
    path = f"/dnc/{quote(entry_id, safe='')}"
    return Operation("deleteDncEntry", "DELETE", path, _deleted_message)
