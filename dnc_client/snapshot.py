"""A consistent snapshot of a whole DNC list over offset paging, as a pure state machine.

The list is paged by offset, newest first, and other clients write while we read: an add
before our offset shifts the rest down (we would read entries twice), a delete shifts them up
(we would skip one: the dangerous case, a listed person missing from the snapshot). So pages
overlap by `overlap` entries and each new page is re-aligned on entries already seen (by
`$id`), never on offsets alone:

- the last already-seen entry in a page is the anchor; everything after it is new, so a shift
  of up to `overlap - 1` positions either way costs nothing but the overlap;
- a page with no seen entry at all cannot be aligned: if its entries are all newer than the
  last one collected (the documented order is by creation time) the reader steps forward,
  otherwise it steps back until it finds an anchor again (`max_repairs` times at most);
- seen entries must come back in the order first read (ties in creation time may be in any
  order, but a stable one); if not, the reader cannot prove it skipped nothing and raises;
- a short page ends the list only once the page right after it holds nothing unseen: a
  server may serve fewer entries per page than the limit it echoes (one extra read);
- the overlap is bounded by half the page actually served, so small pages still advance;
- after the last page the head is read again until a known entry, to catch entries added
  while the reader paged.

The guarantee: every entry that was on the list for the whole read is in the snapshot exactly
once; entries added or deleted meanwhile may or may not be. When that cannot be ensured,
`InconsistentSnapshotError` is raised instead of answering an incomplete list.

`SnapshotReader` does no I/O: a driver asks `next_read()`, fetches that page and `feed`s it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from dnc_client.errors import InconsistentSnapshotError
from dnc_client.models import DncEntry, ListPage
from dnc_kit.contract import LIST_LIMIT_MAX, LIST_OFFSET_MAX

__all__ = [
    "DEFAULT_OVERLAP",
    "MAX_HEAD_READS",
    "MAX_REPAIRS",
    "PageRead",
    "SnapshotReader",
]

DEFAULT_OVERLAP: Final = 50  # absorbs up to 49 deletes or adds between two reads for free
MAX_REPAIRS: Final = 8  # steps back or forward to re-find an anchor, per snapshot
MAX_HEAD_READS: Final = 8  # head re-reads to reach a known entry (8 pages of new entries)


@dataclass(frozen=True)
class PageRead:
    """The page to read next: `GET /dnc?limit=...&offset=...`."""

    offset: int
    limit: int


def _created(entry: DncEntry) -> datetime | None:
    try:
        return datetime.fromisoformat(entry.created_at)
    except ValueError:
        return None


def _newer(entry: DncEntry, than: DncEntry) -> bool:
    """Strictly newer by `$createdAt`; False whenever that cannot be told."""
    mine, theirs = _created(entry), _created(than)
    if mine is None or theirs is None:
        return False
    try:
        return mine > theirs
    except TypeError:  # one with a time zone, one without
        return False


class SnapshotReader:
    """Reads a whole list page by page; see the module docstring for how it stays consistent."""

    def __init__(self, *, page_size: int = LIST_LIMIT_MAX, overlap: int = DEFAULT_OVERLAP) -> None:
        if not 0 < overlap < page_size:
            raise ValueError("overlap must be at least 1 and less than page_size")
        self.page_size = page_size
        self.overlap = overlap
        self.reads = 0
        self.repairs = 0
        self._body: list[DncEntry] = []  # in list order, as first read
        self._position: dict[str, int] = {}  # id -> index in _body
        self._added: dict[str, DncEntry] = {}  # entries found to be added while reading
        self._next: PageRead | None = PageRead(0, page_size)
        self._in_head = False
        self._head_reads = 0
        # A server may serve fewer entries per page than it echoes as its limit, so a short
        # page is only taken as the end once the page after it holds nothing unseen.
        self._cap: int | None = None  # entries per page the server was seen to serve at most
        self._confirm: tuple[PageRead, list[DncEntry], bool] | None = None  # short page, first?

    # ---- what the driver asks -----------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._next is None

    def next_read(self) -> PageRead | None:
        """The page to fetch next, or None when the snapshot is complete."""
        return self._next

    @property
    def entries(self) -> list[DncEntry]:
        """The snapshot, newest first: entries added while reading, then the list as read."""
        return [*self._added.values(), *self._body]

    def __len__(self) -> int:
        return len(self._body) + len(self._added)

    def feed(self, page: ListPage) -> list[DncEntry]:
        """Take the page for `next_read()`; returns the entries it added to the snapshot."""
        read = self._next
        if read is None:
            raise RuntimeError("the snapshot is complete; nothing was asked for")
        self.reads += 1
        entries = list({entry.id: entry for entry in page.entries}.values())
        if self._confirm is not None:
            return self._feed_confirmation(entries)
        served = min(read.limit, page.limit, self._cap or read.limit)
        full = len(entries) >= served
        if self._in_head:
            return self._feed_head(read, entries, full)
        if not self._body:
            return self._feed_first(entries, full)
        return self._feed_body(read, entries, full)

    # ---- the pages ----------------------------------------------------------------------

    def _feed_first(self, entries: list[DncEntry], full: bool) -> list[DncEntry]:
        self._append(entries)
        if not full:
            self._await_end(PageRead(0, self.page_size), entries, first=True)
        else:
            self._next = self._after(0, entries)
        return entries

    def _feed_body(self, read: PageRead, entries: list[DncEntry], full: bool) -> list[DncEntry]:
        seen = self._seen_indexes(entries)
        if not seen:
            return self._realign(read, entries, full)
        anchor = seen[-1]
        fresh = entries[anchor + 1 :]
        added = self._note_added(entries[:anchor])
        self._append(fresh)
        if full:
            self._next = self._after(read.offset, entries)
        else:
            self._await_end(read, entries, first=False)
        return [*added, *fresh]

    def _realign(self, read: PageRead, entries: list[DncEntry], full: bool) -> list[DncEntry]:
        """No entry of the page was seen before: find out which way the list moved."""
        if entries and _newer(entries[-1], self._body[-1]):
            # Everything here is newer than our last entry, so it was added while we read
            # (every older-than-now entry newer than the frontier is already collected).
            added = self._note_added(entries)
            self._repair(self._after(read.offset, entries) if full else None)
            if not full:
                self._start_head()
            return added
        if read.offset == 0 and not full:
            # The whole list is this one page, and none of it was seen: it was all replaced.
            added = self._note_added(entries)
            self._next = None
            return added
        if read.offset == 0:
            raise InconsistentSnapshotError(
                "the list changed beyond repair while it was read (no known entry on page 1)"
            )
        # Deletes moved our last entry up, past this page's start: read further back.
        served = self._cap or self.page_size
        step = max(1, served - min(self.overlap, served // 2))
        self._repair(PageRead(max(0, read.offset - step), read.limit))
        return []

    def _feed_head(self, read: PageRead, entries: list[DncEntry], full: bool) -> list[DncEntry]:
        self._head_reads += 1
        seen = self._seen_indexes(entries)
        if seen:
            added = self._note_added(entries[: seen[0]])
            self._next = None
            return added
        added = self._note_added(entries)
        if not full:
            self._next = None  # the list now holds only entries added while we read
        elif self._head_reads >= MAX_HEAD_READS:
            raise InconsistentSnapshotError(
                "entries were added faster than the list could be read; read it again later"
            )
        else:
            self._next = self._after(read.offset, entries)
        return added

    def _await_end(self, read: PageRead, entries: list[DncEntry], *, first: bool) -> None:
        """A short page: read right after it before believing the list ends there."""
        self._confirm = (read, entries, first)
        self._next = PageRead(read.offset + len(entries), self.page_size)

    def _feed_confirmation(self, entries: list[DncEntry]) -> list[DncEntry]:
        assert self._confirm is not None
        read, short, first = self._confirm
        self._confirm = None
        if all(e.id in self._position or e.id in self._added for e in entries):
            # Nothing unseen after the short page (an add shifts seen entries here, a
            # delete empties it): the short page was the end.
            if first:
                self._next = None  # one page: the snapshot is that instant's list
            else:
                self._start_head()
            return []
        # More entries follow: the server serves at most this many per page, whatever it
        # echoes. They are read again from an overlapping page, so that page can be aligned.
        self._cap = len(short)
        self._next = self._after(read.offset, short)
        return []

    # ---- bookkeeping ----------------------------------------------------------------------

    def _seen_indexes(self, entries: list[DncEntry]) -> list[int]:
        """Indexes in `entries` of entries seen before; raises if they came back reordered."""
        indexes = [i for i, entry in enumerate(entries) if entry.id in self._position]
        positions = [self._position[entries[i].id] for i in indexes]
        if any(later <= earlier for earlier, later in itertools.pairwise(positions)):
            raise InconsistentSnapshotError(
                "the list came back in another order between two reads, so entries may have"
                " been skipped; read it again later"
            )
        return indexes

    def _append(self, entries: list[DncEntry]) -> None:
        for entry in entries:
            if entry.id not in self._position and entry.id not in self._added:
                self._position[entry.id] = len(self._body)
                self._body.append(entry)

    def _note_added(self, entries: list[DncEntry]) -> list[DncEntry]:
        fresh = [e for e in entries if e.id not in self._position and e.id not in self._added]
        for entry in fresh:
            self._added[entry.id] = entry
        return fresh

    def _after(self, offset: int, entries: list[DncEntry]) -> PageRead:
        """The page that starts `overlap` entries before the end of this one, the overlap
        bounded by the page so that a server serving small pages still moves forward."""
        overlap = min(self.overlap, max(1, len(entries) // 2))
        start = offset + len(entries) - overlap
        if start <= offset:
            raise InconsistentSnapshotError(
                "the server serves too few entries per page to read the list consistently"
            )
        if start > LIST_OFFSET_MAX:
            raise InconsistentSnapshotError("the list is longer than the API can page through")
        return PageRead(max(0, start), self.page_size)

    def _repair(self, next_read: PageRead | None) -> None:
        self.repairs += 1
        if self.repairs > MAX_REPAIRS:
            raise InconsistentSnapshotError(
                "the list kept shifting while it was read; read it again later"
            )
        self._next = next_read

    def _start_head(self) -> None:
        if self.reads == 1:
            self._next = None
            return
        self._in_head = True
        self._next = PageRead(0, self.page_size)
