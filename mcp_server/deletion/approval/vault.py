"""Team API keys held in this process's memory while an approval of theirs is pending.

Multi-tenant mode never stores a key: not in Redis, not on disk, not in a log. An approval
decided later (on the page, by a human without the key) still needs the key to delete, so the
replica that issued the approval keeps it here, in memory only, until the approval is decided
or expires; then it is dropped. A restart forgets every key, which leaves the person on the
list: the safe direction.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnc_client import Clock

__all__ = ["KeyVault"]


@dataclass(frozen=True)
class _Held:
    key: str
    until: float


class KeyVault:
    """approval id -> the team key that may carry it out, for the approval's lifetime."""

    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._held: dict[str, _Held] = {}

    def __repr__(self) -> str:  # never the keys
        return f"KeyVault({len(self._held)} held)"

    def __len__(self) -> int:
        self._purge()
        return len(self._held)

    def hold(self, approval_id: str, key: str, *, until: float) -> None:
        self._purge()
        self._held[approval_id] = _Held(key, until)

    def key_for(self, approval_id: str) -> str | None:
        self._purge()
        held = self._held.get(approval_id)
        return held.key if held is not None else None

    def ids(self) -> list[str]:
        self._purge()
        return list(self._held)

    def drop(self, approval_id: str) -> None:
        self._held.pop(approval_id, None)

    def _purge(self) -> None:
        now = self._clock()
        for approval_id in [i for i, h in self._held.items() if now >= h.until]:
            del self._held[approval_id]
