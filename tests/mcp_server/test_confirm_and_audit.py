"""Confirmation tokens, the human's question, and the JSONL audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_server.audit import AuditLog, iso_utc
from mcp_server.deletion.tokens import (
    TOKEN_PREFIX,
    ConfirmationTokens,
    confirmation_question,
)
from mcp_server.errors import TokenRejected
from mcp_server.testing import FrozenClock


def test_a_token_redeems_once_for_its_entry() -> None:
    tokens = ConfirmationTokens(clock=FrozenClock(), ttl_s=60)
    issued = tokens.issue("dnc_abc")
    assert issued.token.startswith(TOKEN_PREFIX)
    tokens.redeem(issued.token, "dnc_abc")
    with pytest.raises(TokenRejected, match="already used"):
        tokens.redeem(issued.token, "dnc_abc")


def test_tokens_are_random_not_derived_from_the_entry() -> None:
    tokens = ConfirmationTokens(clock=FrozenClock(), ttl_s=60)
    assert tokens.issue("dnc_abc").token != tokens.issue("dnc_abc").token


def test_a_token_expires_after_its_lifetime() -> None:
    clock = FrozenClock()
    tokens = ConfirmationTokens(clock=clock, ttl_s=60)
    issued = tokens.issue("dnc_abc")
    assert issued.expires_at == clock.now + 60
    clock.advance(60)
    with pytest.raises(TokenRejected, match="expired"):
        tokens.redeem(issued.token, "dnc_abc")


def test_a_token_for_another_entry_is_rejected_and_void() -> None:
    tokens = ConfirmationTokens(clock=FrozenClock(), ttl_s=60)
    issued = tokens.issue("dnc_abc")
    with pytest.raises(TokenRejected, match="issued for entry dnc_abc, not dnc_xyz"):
        tokens.redeem(issued.token, "dnc_xyz")
    with pytest.raises(TokenRejected, match="already used"):
        tokens.redeem(issued.token, "dnc_abc")


def test_expired_tokens_are_purged_when_new_ones_are_issued() -> None:
    clock = FrozenClock()
    tokens = ConfirmationTokens(clock=clock, ttl_s=60)
    old = tokens.issue("dnc_old")
    clock.advance(61)
    tokens.issue("dnc_new")
    with pytest.raises(TokenRejected, match="unknown"):
        tokens.redeem(old.token, "dnc_old")


def test_the_question_shows_url_id_and_consequence() -> None:
    question = confirmation_question("dnc_abc", "https://linkedin.com/in/jane")
    assert "https://linkedin.com/in/jane" in question
    assert "dnc_abc" in question
    assert "permanent" in question
    assert "contacted" in question
    assert question == confirmation_question("dnc_abc", "https://linkedin.com/in/jane")
    assert "not found" in confirmation_question("dnc_abc", None)


def test_the_audit_log_appends_one_json_line_per_write(tmp_path: Path) -> None:
    clock = FrozenClock()
    log = AuditLog(tmp_path / "nested" / "audit.jsonl", clock)
    log.record(tool="dnc_add", url="https://linkedin.com/in/a", entry_id="dnc_1", outcome="added")
    clock.advance(1.5)
    log.record(tool="dnc_delete", entry_id="dnc_1", outcome="deleted", confirmed_by="elicitation")
    lines = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert lines == [
        {
            "time": "2025-11-18T10:00:00.000Z",
            "tool": "dnc_add",
            "url": "https://linkedin.com/in/a",
            "id": "dnc_1",
            "reason": None,
            "outcome": "added",
        },
        {
            "time": "2025-11-18T10:00:01.500Z",
            "tool": "dnc_delete",
            "url": None,
            "id": "dnc_1",
            "reason": None,
            "outcome": "deleted",
            "confirmed_by": "elicitation",
        },
    ]


def test_timestamps_are_iso_utc_with_milliseconds() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
