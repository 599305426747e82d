"""`check_many` and `add_many` as plans: every decision of the bulk helpers, with no I/O.

Like `dnc_client.plan`, each plan is a generator that yields steps and receives their results;
the async and the blocking client only carry the steps out (a failed request comes back as the
`DncError` it raised, not as an exception thrown into the plan).

`check_many_plan` chooses by cost. A snapshot costs about one read per 1,000 entries, a check
one read per distinct URL, and the list's length is unknown until it has been read. So it reads
the list while that stays cheaper: it stops once it has spent as many reads as the URLs still
unmatched would cost one by one (the ski-rental rule: never more than twice the cheaper way),
and then checks those URLs through the API. Inputs whose normalization the documentation fixes
(`dnc_client.normalize`) are matched locally; every other spelling is grouped by shape
(`dnc_client.shapes`), and a shape is matched locally only once the deployment has answered
`PROBES_PER_SHAPE` listed URLs of that shape with the snapshot's own entries; the URLs of any
other shape are checked through the API. THE RULE: a person on the list is never reported as
not on it. A URL is reported `onList: false` only by the API itself or by a complete,
consistent snapshot for a documented or confirmed spelling; anything that went wrong is an
error with `onList` unknown (None), never false. A refused key or an unreachable API ends the
run (`ends_bulk_run`): every further request would fail the same way.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import Field

from dnc_client.errors import (
    AuthenticationError,
    BadRequestError,
    DncApiError,
    DncError,
    InconsistentSnapshotError,
    InvalidUrlError,
    PayloadTooLargeError,
)
from dnc_client.models import BatchResult, CheckResult, DncEntry, ListPage, WireModel
from dnc_client.normalize import CANONICAL_PREFIX, documented_key, is_blank
from dnc_client.progress import BulkProgress
from dnc_client.shapes import Spelling, spell, spelling_of, username_of
from dnc_client.snapshot import PageRead, SnapshotReader
from dnc_kit.contract import BATCH_MAX_ENTRIES, URL_MAX_LENGTH

__all__ = [
    "BLANK_URL_ERROR",
    "TOO_LONG_ERROR",
    "AddBatch",
    "AddOutcome",
    "BulkStep",
    "CheckEach",
    "CheckOutcome",
    "Notify",
    "ReadPage",
    "add_many_plan",
    "check_many_plan",
    "error_text",
]

BLANK_URL_ERROR: Final = "LinkedIn URL is required"
TOO_LONG_ERROR: Final = (
    f"Invalid LinkedIn URL format (longer than the {URL_MAX_LENGTH:,} characters the API accepts)"
)
SNAPSHOT_MIN_URLS: Final = 3  # below this, checks cost no more than a snapshot's reads
PROBES_PER_SHAPE: Final = 2  # listed URLs checked per spelling shape before matching it locally
PROBE_CANDIDATES: Final = 6  # listed URLs a shape may be probed with, should some be deleted
MAX_PROBE_ROUNDS: Final = 3
MAX_SPLITS: Final = 6  # a batch refused with 400/413 is halved at most this often per call


class CheckOutcome(WireModel):
    """The answer for one input URL of `check_many`, in input order."""

    url: Annotated[str, Field(description="The URL as given")]
    on_list: Annotated[
        bool | None,
        Field(
            alias="onList",
            description="true: on the list; false: not on it; null: unknown (see error)",
        ),
    ]
    entry: Annotated[DncEntry | None, Field(description="The entry, when on the list")] = None
    normalized_url: Annotated[
        str | None,
        Field(alias="normalizedUrl", description="The normalized URL, when known"),
    ] = None
    error: Annotated[
        str | None, Field(description="Why this URL could not be checked (onList is null)")
    ] = None


class AddOutcome(WireModel):
    """What `add_many` did with one input URL, in input order."""

    url: Annotated[str, Field(description="The URL as given")]
    status: Literal["added", "duplicate", "error"]
    normalized_url: Annotated[
        str | None, Field(alias="normalizedUrl", description="As stored, when known")
    ] = None
    error: str | None = None


@dataclass(frozen=True)
class ReadPage:
    """Fetch one list page; the result is a `ListPage` or the `DncError` raised."""

    read: PageRead


@dataclass(frozen=True)
class CheckEach:
    """Check each URL through the API (in any order, concurrently if the driver can); the
    result is one `CheckResult` or `DncError` per URL, in the order given."""

    urls: tuple[str, ...]


@dataclass(frozen=True)
class AddBatch:
    """Send one batch; the result is a `BatchResult` or the `DncError` raised."""

    urls: tuple[str, ...]


@dataclass(frozen=True)
class Notify:
    """Report progress to the caller's callback (the result is ignored)."""

    progress: BulkProgress


BulkStep = ReadPage | CheckEach | AddBatch | Notify
CheckPlan = Generator[BulkStep, Any, list[CheckOutcome]]
AddPlan = Generator[BulkStep, Any, list[AddOutcome]]


def error_text(error: DncError) -> str:
    """A short, key-free reason for a per-URL error."""
    if isinstance(error, DncApiError):
        return f"{error.message} ({error.status} {error.code})"
    return str(error) or type(error).__name__


# ---- check_many -----------------------------------------------------------------------------


def check_many_plan(
    urls: Sequence[str], *, page_size: int | None = None
) -> Generator[BulkStep, Any, list[CheckOutcome]]:
    keys = [None if _unsendable(url) else documented_key(url) for url in urls]
    spellings = [
        None if key is not None or _unsendable(url) else spelling_of(url)
        for url, key in zip(urls, keys, strict=True)
    ]
    wanted = {key for key in keys if key is not None}
    wanted |= {spelling.key for spelling in spellings if spelling is not None}
    found: dict[str, DncEntry] = {}
    complete = False
    confirmed: set[str] = set()
    answers: dict[str, CheckResult | DncError] = {}
    if len(wanted) >= SNAPSHOT_MIN_URLS:
        reader = SnapshotReader() if page_size is None else SnapshotReader(page_size=page_size)
        complete = yield from _snapshot_matches(reader, wanted, found)
        if complete:
            confirmed = yield from _learn_shapes(urls, spellings, found, reader.entries, answers)
    # Inputs outside the documented forms and the confirmed shapes, and (after an abandoned
    # snapshot) unmatched keys, are checked through the API.
    ask: dict[str, None] = {}  # insertion-ordered set
    for url, key, spelling in zip(urls, keys, spellings, strict=True):
        if _unsendable(url) or (key is not None and (complete or key in found)):
            continue
        if spelling is not None and spelling.shape in confirmed:
            continue
        asked = key if key is not None else url
        if asked not in answers:
            ask[asked] = None
    if ask:
        results = yield CheckEach(tuple(ask))
        answers.update(zip(ask, results, strict=True))
    return [
        _outcome(url, key, spelling, found, complete, confirmed, answers)
        for url, key, spelling in zip(urls, keys, spellings, strict=True)
    ]


def _snapshot_matches(
    reader: SnapshotReader, wanted: set[str], found: dict[str, DncEntry]
) -> Generator[BulkStep, Any, bool]:
    """Read the list while that is cheaper than checking; True if the snapshot is complete."""
    while (read := reader.next_read()) is not None:
        if reader.reads >= len(wanted) - len(found):
            return False  # the rest would now cost no more by checks than the reads so far
        page: ListPage | DncError = yield ReadPage(read)
        if isinstance(page, DncError):
            return False
        try:
            fresh = reader.feed(page)
        except InconsistentSnapshotError:
            return False
        for entry in fresh:
            key = documented_key(entry.url) or entry.url
            if key in wanted and key not in found:
                found[key] = entry
        yield Notify(
            BulkProgress("snapshot", len(reader), None, f"{len(reader)} list entries read")
        )
    return True


def _learn_shapes(
    urls: Sequence[str],
    spellings: Sequence[Spelling | None],
    found: dict[str, DncEntry],
    snapshot: Sequence[DncEntry],
    answers: dict[str, CheckResult | DncError],
) -> Generator[BulkStep, Any, set[str]]:
    """The shapes the deployment answers like their documented form (`dnc_client.shapes`).

    Each probe is a URL of the shape whose username the complete snapshot lists: an input
    where there is one (its answer then also answers that input), else a listed username
    respelled in the shape. A shape is confirmed when `PROBES_PER_SHAPE` probes come back
    listed with the snapshot's own `$id`. A probe answered "not listed" is either a shape the
    deployment does not normalize or an entry deleted since the snapshot: the documented form
    of that username is checked too, and only if that is not listed either (deleted) is the
    probe replaced by another. Any other answer, or an error, and the shape is checked URL by
    URL. A shape with no more URLs than probes is not learned: checking its URLs costs no more.
    """
    shapes: dict[str, dict[str, Spelling]] = {}  # shape -> distinct inputs of that shape
    for url, spelling in zip(urls, spellings, strict=True):
        if spelling is not None:
            shapes.setdefault(spelling.shape, {}).setdefault(url, spelling)
    donors = [
        (username, entry)
        for entry in snapshot
        if (username := username_of(documented_key(entry.url) or "")) is not None
    ][:PROBE_CANDIDATES]
    queues: dict[str, list[tuple[str, str, str]]] = {}  # shape -> (probe URL, $id, doc. key)
    for shape, inputs in shapes.items():
        if len(inputs) > PROBES_PER_SHAPE:
            queues[shape] = _candidates(inputs, found, donors)
    confirmed = dict.fromkeys(queues, 0)
    refuted: set[str] = set()
    for _ in range(MAX_PROBE_ROUNDS):
        probes: dict[str, tuple[str, str, str]] = {}
        for shape, queue in queues.items():
            if shape in refuted:
                continue
            while queue and confirmed[shape] + _asked(probes, shape) < PROBES_PER_SHAPE:
                url, entry_id, key = queue.pop(0)
                probes[url] = (shape, entry_id, key)
        if not probes:
            break
        results: list[CheckResult | DncError] = yield CheckEach(tuple(probes))
        recheck: dict[str, str] = {}  # documented key -> shape
        for (url, (shape, entry_id, key)), result in zip(probes.items(), results, strict=True):
            answers[url] = result
            if _same_entry(result, entry_id):
                confirmed[shape] += 1
            elif isinstance(result, CheckResult) and not result.on_list:
                recheck[key] = shape
            else:
                refuted.add(shape)
        if recheck:
            checked: list[CheckResult | DncError] = yield CheckEach(tuple(recheck))
            for (key, shape), result in zip(recheck.items(), checked, strict=True):
                answers[key] = result
                if not (isinstance(result, CheckResult) and not result.on_list):
                    refuted.add(shape)  # listed as documented, not in this shape: not the same
    return {
        shape
        for shape, count in confirmed.items()
        if count >= PROBES_PER_SHAPE and shape not in refuted
    }


def _candidates(
    inputs: dict[str, Spelling],
    found: dict[str, DncEntry],
    donors: list[tuple[str, DncEntry]],
) -> list[tuple[str, str, str]]:
    """Probe URLs for one shape, inputs known to be listed first: (URL, $id, documented key)."""
    chosen: dict[str, tuple[str, str, str]] = {}  # $id -> probe
    for url, spelling in inputs.items():
        entry = found.get(spelling.key)
        if entry is not None and entry.id not in chosen:
            chosen[entry.id] = (url, entry.id, spelling.key)
        if len(chosen) == PROBE_CANDIDATES:
            return list(chosen.values())
    template = next(iter(inputs.values()))
    for username, entry in donors:
        if len(chosen) == PROBE_CANDIDATES:
            break
        if entry.id not in chosen:
            chosen[entry.id] = (spell(template, username), entry.id, CANONICAL_PREFIX + username)
    return list(chosen.values())


def _asked(probes: dict[str, tuple[str, str, str]], shape: str) -> int:
    return sum(1 for probe_shape, _, _ in probes.values() if probe_shape == shape)


def _same_entry(result: CheckResult | DncError, entry_id: str) -> bool:
    return (
        isinstance(result, CheckResult)
        and result.on_list
        and result.entry is not None
        and result.entry.id == entry_id
    )


def _outcome(
    url: str,
    key: str | None,
    spelling: Spelling | None,
    found: dict[str, DncEntry],
    complete: bool,
    confirmed: set[str],
    answers: dict[str, CheckResult | DncError],
) -> CheckOutcome:
    if is_blank(url):
        return CheckOutcome(url=url, on_list=None, error=BLANK_URL_ERROR)
    if len(url) > URL_MAX_LENGTH:
        return CheckOutcome(url=url, on_list=None, error=TOO_LONG_ERROR)
    if spelling is not None and spelling.shape in confirmed:
        key = spelling.key  # the deployment answered this shape like its documented form
    # A username listed in its documented form is listed, whatever the deployment answers
    # for this spelling of it: a shape it does not normalize must not hide a listed person.
    documented = spelling.key if spelling is not None else key
    if documented is not None and documented in found:
        entry = found[documented]
        return CheckOutcome(url=url, on_list=True, entry=entry, normalized_url=entry.url)
    if key is not None and complete:
        return CheckOutcome(url=url, on_list=False, normalized_url=key)
    if spelling is not None:
        recheck = answers.get(spelling.key)  # a probe's documented form, when it was checked
        if isinstance(recheck, CheckResult) and recheck.on_list:
            listed = recheck.entry
            return CheckOutcome(
                url=url,
                on_list=True,
                entry=listed,
                normalized_url=listed.url if listed is not None else spelling.key,
            )
    answer = answers[key if key is not None else url]
    if isinstance(answer, DncError):
        return CheckOutcome(url=url, on_list=None, normalized_url=key, error=error_text(answer))
    listed = answer.entry
    if answer.on_list and listed is None:
        return CheckOutcome(url=url, on_list=True, normalized_url=key)
    return CheckOutcome(
        url=url,
        on_list=answer.on_list,
        entry=listed,
        normalized_url=listed.url if listed is not None else key,
    )


# ---- add_many -------------------------------------------------------------------------------


def add_many_plan(
    urls: Sequence[str], *, chunk_size: int = BATCH_MAX_ENTRIES
) -> Generator[BulkStep, Any, list[AddOutcome]]:
    """Batches of at most `chunk_size`; a batch refused as too large (nothing was added) is
    split in two and resent; a failed batch marks its rows as errors and the rest go on."""
    outcomes: dict[int, AddOutcome] = {
        i: AddOutcome(
            url=url, status="error", error=BLANK_URL_ERROR if is_blank(url) else TOO_LONG_ERROR
        )
        for i, url in enumerate(urls)
        if _unsendable(url)
    }
    sendable = [i for i in range(len(urls)) if i not in outcomes]
    queue = [sendable[start : start + chunk_size] for start in range(0, len(sendable), chunk_size)]
    splits = 0
    while queue:
        chunk = queue.pop(0)
        result: BatchResult | DncError = yield AddBatch(tuple(urls[i] for i in chunk))
        if _too_large(result) and len(chunk) > 1 and splits < MAX_SPLITS:
            splits += 1
            half = len(chunk) // 2
            queue[:0] = [chunk[:half], chunk[half:]]
            continue
        if isinstance(result, DncError):
            _fail(outcomes, urls, chunk, error_text(result))
            if isinstance(result, AuthenticationError):
                _fail(outcomes, urls, [i for rest in queue for i in rest], error_text(result))
                queue.clear()
        elif len(result.details) != len(chunk):
            _fail(outcomes, urls, chunk, "the API's answer did not list every URL; check them")
        else:
            for i, detail in zip(chunk, result.details, strict=True):
                outcomes[i] = AddOutcome(
                    url=urls[i],
                    status=detail.status,
                    normalized_url=detail.url if detail.status != "error" else None,
                    error=detail.error if detail.status == "error" else None,
                )
        done = len(outcomes)
        yield Notify(BulkProgress("add", done, len(urls), f"{done}/{len(urls)} URLs sent"))
    return [outcomes[i] for i in range(len(urls))]


def _unsendable(url: str) -> bool:
    """Blank, or longer than the contract's `maxLength`: answered without a request."""
    return is_blank(url) or len(url) > URL_MAX_LENGTH


def _too_large(result: object) -> bool:
    if isinstance(result, PayloadTooLargeError):
        return True
    return isinstance(result, BadRequestError) and not isinstance(result, InvalidUrlError)


def _fail(outcomes: dict[int, AddOutcome], urls: Sequence[str], rows: list[int], why: str) -> None:
    for i in rows:
        outcomes[i] = AddOutcome(url=urls[i], status="error", error=why)
