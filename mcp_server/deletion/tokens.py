"""The form question, and the weaker echo tokens (`--confirm-with-token`) for `dnc_delete`.

- `confirmation_question`: what a form elicitation asks the human; only an accepted form with
  `confirm: true` deletes.
- `ConfirmationTokens`: for clients that can be asked nothing, and only when the operator opts
  in. The first call deletes nothing and returns a preview plus a token; the agent shows the
  preview to the human and, only after a yes, calls again with the token. A token is random
  (not derivable from the entry), kept in this process's memory, bound to one entry id, usable
  once, and expires after `ttl_s`. The model relays it, so a model that obeys a prospect can
  forge the yes: this is the weaker way, and the approval page is the default.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from dnc_client import Clock
from mcp_server.errors import TokenRejected

__all__ = [
    "DEFAULT_TOKEN_TTL_S",
    "TOKEN_PREFIX",
    "ConfirmationTokens",
    "IssuedToken",
    "confirmation_question",
]

DEFAULT_TOKEN_TTL_S = 300.0
TOKEN_PREFIX = "dncconfirm_"  # noqa: S105 - a label, not a secret


def confirmation_question(entry_id: str, url: str | None) -> str:
    """What the human is asked; a pure function of the entry, as elicitation requires."""
    shown = url if url is not None else "(URL not found on the first pages of the list)"
    return (
        "An AI agent asks to REMOVE a person from your Do-Not-Contact list.\n"
        f"URL: {shown}\n"
        f"Entry: {entry_id}\n"
        "Consequence: the deletion is permanent; this person can be contacted by outreach"
        " campaigns again. Only approve if they gave new consent or were added by mistake."
    )


@dataclass(frozen=True)
class IssuedToken:
    token: str
    entry_id: str
    expires_at: float


class ConfirmationTokens:
    """Issues and redeems single-use, entry-bound, expiring confirmation tokens."""

    def __init__(self, *, clock: Clock, ttl_s: float = DEFAULT_TOKEN_TTL_S) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._issued: dict[str, IssuedToken] = {}

    def issue(self, entry_id: str) -> IssuedToken:
        self._purge()
        issued = IssuedToken(
            token=TOKEN_PREFIX + secrets.token_urlsafe(24),
            entry_id=entry_id,
            expires_at=self._clock() + self._ttl_s,
        )
        self._issued[issued.token] = issued
        return issued

    def redeem(self, token: str, entry_id: str) -> None:
        """Consume `token` for `entry_id`, or raise TokenRejected. A token is spent either way."""
        issued = self._issued.pop(token, None)
        if issued is None:
            raise TokenRejected(
                "This confirmation_token is unknown or was already used. Nothing was deleted."
                " Call dnc_delete again without a token to get a new preview for the human."
            )
        if self._clock() >= issued.expires_at:
            raise TokenRejected(
                "This confirmation_token has expired. Nothing was deleted. Call dnc_delete"
                " again without a token, show the new preview to the human and ask again."
            )
        if issued.entry_id != entry_id:
            raise TokenRejected(
                f"This confirmation_token was issued for entry {issued.entry_id}, not {entry_id}."
                " Nothing was deleted and the token is now void. Call dnc_delete again without"
                " a token to get a preview of the entry you mean."
            )

    def _purge(self) -> None:
        now = self._clock()
        for token in [t for t, i in self._issued.items() if now >= i.expires_at]:
            del self._issued[token]
