"""The snapshot state machine against a list that other writers change between page reads.

`ShiftingList` is a plain model of the API's list (newest first by creation time, ties in a
stable order, offset paging); mutations run between reads exactly where a concurrent writer
would land them. The property: every entry on the list for the whole read is in the snapshot
exactly once, or the reader says it could not make sure (InconsistentSnapshotError).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnc_client.errors import InconsistentSnapshotError
from dnc_client.models import DncEntry, ListPage
from dnc_client.snapshot import SnapshotReader


def entry(number: int, second: int) -> DncEntry:
    return DncEntry.model_validate(
        {
            "$id": f"dnc_{number:06d}",
            "teamId": "team_a",
            "url": f"https://linkedin.com/in/person-{number:06d}",
            "$createdAt": f"2025-11-18T10:{second // 60 % 60:02d}:{second % 60:02d}.000Z",
            "$updatedAt": f"2025-11-18T10:{second // 60 % 60:02d}:{second % 60:02d}.000Z",
        }
    )


@dataclass
class ShiftingList:
    """The server's list: `entries` newest first; `between_reads` mutates it before page k."""

    entries: list[DncEntry]
    between_reads: dict[int, Callable[[ShiftingList], None]] = field(default_factory=dict)
    reads: int = 0
    next_number: int = 100_000

    @classmethod
    def of(cls, size: int, *, tie_every: int = 1) -> ShiftingList:
        # Entry i was created at second (size - i) // tie_every: runs of equal timestamps.
        return cls([entry(i, (size - i) // tie_every) for i in range(size)])

    def page(self, offset: int, limit: int) -> ListPage:
        self.reads += 1
        mutate = self.between_reads.get(self.reads)
        if mutate is not None:
            mutate(self)
        chunk = self.entries[offset : offset + limit]
        return ListPage(entries=chunk, total=len(chunk), limit=limit, offset=offset)

    def delete_at(self, *positions: int) -> None:
        for position in sorted(positions, reverse=True):
            if 0 <= position < len(self.entries):
                del self.entries[position]

    def add_newest(self, count: int) -> None:
        newest = self.entries[0].created_at if self.entries else None
        second = 3599 if newest is None else int(newest[17:19]) + int(newest[14:16]) * 60
        for _ in range(count):
            self.next_number += 1
            self.entries.insert(0, entry(self.next_number, min(3599, second + 1)))


def read_all(server: ShiftingList, reader: SnapshotReader) -> list[DncEntry]:
    while (read := reader.next_read()) is not None:
        reader.feed(server.page(read.offset, read.limit))
    return reader.entries


def ids(entries: list[DncEntry]) -> list[str]:
    return [e.id for e in entries]


def test_a_list_that_fits_one_page_costs_that_read_and_one_proving_nothing_follows() -> None:
    server = ShiftingList.of(7)
    reader = SnapshotReader(page_size=10, overlap=3)
    assert ids(read_all(server, reader)) == ids(server.entries)
    assert reader.reads == 2


def test_an_empty_list_is_an_empty_snapshot() -> None:
    reader = SnapshotReader(page_size=10, overlap=3)
    assert read_all(ShiftingList.of(0), reader) == []


def test_an_unchanged_list_is_read_in_order_with_overlapping_pages_and_one_head_read() -> None:
    server = ShiftingList.of(44)
    reader = SnapshotReader(page_size=10, overlap=3)
    assert ids(read_all(server, reader)) == ids(server.entries)
    assert reader.reads == 8  # offsets 0, 7, 14, 21, 28, 35 (short), 44 (empty), the head


def test_a_delete_before_the_offset_would_make_naive_paging_skip_an_entry() -> None:
    server = ShiftingList.of(30)
    original = ids(server.entries)
    server.between_reads[2] = lambda s: s.delete_at(0)
    naive: list[DncEntry] = []
    for offset in (0, 10, 20, 30):
        naive += server.page(offset, 10).entries
    skipped = set(original[1:]) - set(ids(naive))
    assert skipped == {original[10]}  # the dangerous case, with plain offsets


def test_a_delete_before_the_offset_skips_nothing_in_the_snapshot() -> None:
    server = ShiftingList.of(30)
    original = ids(server.entries)
    server.between_reads[2] = lambda s: s.delete_at(0)
    got = ids(read_all(server, SnapshotReader(page_size=10, overlap=3)))
    assert set(original[1:]) <= set(got)
    assert len(got) == len(set(got))


def test_adds_at_the_head_are_not_read_twice_and_are_caught_by_the_head_read() -> None:
    server = ShiftingList.of(30)
    original = ids(server.entries)
    server.between_reads[2] = lambda s: s.add_newest(2)
    got = ids(read_all(server, SnapshotReader(page_size=10, overlap=3)))
    assert len(got) == len(set(got)) == 32
    assert set(original) <= set(got)


def test_more_deletes_than_the_overlap_are_repaired_by_reading_back() -> None:
    server = ShiftingList.of(60)
    original = ids(server.entries)
    server.between_reads[3] = lambda s: s.delete_at(*range(0, 10))
    reader = SnapshotReader(page_size=10, overlap=3)
    got = ids(read_all(server, reader))
    assert set(original[10:]) <= set(got)
    assert reader.repairs >= 1


def test_more_adds_than_a_page_are_stepped_over_by_creation_time() -> None:
    server = ShiftingList.of(40)
    original = ids(server.entries)
    server.between_reads[2] = lambda s: s.add_newest(25)
    got = ids(read_all(server, SnapshotReader(page_size=10, overlap=3)))
    assert set(original) <= set(got)
    assert len(got) == len(set(got))


def test_a_list_whose_order_changes_between_reads_is_refused() -> None:
    server = ShiftingList.of(30)

    def shuffle(s: ShiftingList) -> None:
        s.entries[6], s.entries[8] = s.entries[8], s.entries[6]

    server.between_reads[2] = shuffle
    with pytest.raises(InconsistentSnapshotError):
        read_all(server, SnapshotReader(page_size=10, overlap=3))


def test_a_server_that_serves_shorter_pages_than_asked_is_still_read_to_the_end() -> None:
    server = ShiftingList.of(25)

    def capped(offset: int, limit: int) -> ListPage:
        return ShiftingList.page(server, offset, min(limit, 5)).model_copy(update={"limit": 5})

    reader = SnapshotReader(page_size=10, overlap=3)
    while (read := reader.next_read()) is not None:
        reader.feed(capped(read.offset, read.limit))
    assert ids(reader.entries) == ids(server.entries)


Mutation = tuple[str, int, int]  # (kind, position or count, read number)


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 120),
    tie_every=st.sampled_from([1, 3, 50]),
    mutations=st.lists(
        st.tuples(st.sampled_from(["delete", "add"]), st.integers(0, 130), st.integers(2, 14)),
        max_size=12,
    ),
)
def test_entries_present_throughout_are_all_in_the_snapshot_exactly_once_or_it_says_so(
    size: int, tie_every: int, mutations: list[Mutation]
) -> None:
    server = ShiftingList.of(size, tie_every=tie_every)
    touched: set[str] = set()
    by_read: dict[int, list[Mutation]] = {}
    for mutation in mutations:
        by_read.setdefault(mutation[2], []).append(mutation)

    def apply(batch: list[Mutation]) -> Callable[[ShiftingList], None]:
        def run(s: ShiftingList) -> None:
            for kind, number, _ in batch:
                if kind == "delete" and number < len(s.entries):
                    touched.add(s.entries[number].id)
                    s.delete_at(number)
                elif kind == "add":
                    s.add_newest(number % 7 + 1)

        return run

    server.between_reads = {k: apply(v) for k, v in by_read.items()}
    present_throughout = set(ids(server.entries))
    reader = SnapshotReader(page_size=10, overlap=3)
    try:
        got = ids(read_all(server, reader))
    except InconsistentSnapshotError:
        return  # it said so: allowed, never a silently incomplete list
    assert len(got) == len(set(got)), "an entry appears twice"
    missing = present_throughout - touched - set(got)
    assert not missing, f"entries present throughout were skipped: {sorted(missing)}"


def test_a_few_deletes_between_reads_never_make_the_reader_give_up() -> None:
    server = ShiftingList.of(100)
    for read in range(2, 12):
        server.between_reads[read] = lambda s: s.delete_at(5, 37)
    original = ids(server.entries)
    got = ids(read_all(server, SnapshotReader(page_size=10, overlap=3)))
    assert set(got) <= set(original)
    assert len(got) == len(set(got))
