"""The scripted agent session that `make demo` shows."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mcp_server.demo import SAMPLE_REPLIES, looks_like_opt_out, run_agent_demo


@pytest.mark.parametrize(
    ("reply", "opt_out"),
    [(SAMPLE_REPLIES[0][1], True), (SAMPLE_REPLIES[1][1], False), ("Unsubscribe me", True)],
)
def test_the_demo_agent_tells_opt_outs_from_questions(reply: str, opt_out: bool) -> None:
    assert looks_like_opt_out(reply) is opt_out


@pytest.mark.anyio
async def test_the_demo_records_the_opt_out_checks_both_and_refuses_to_delete(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    await run_agent_demo(out, data_dir=tmp_path)
    text = out.getvalue()
    assert "dnc_add: added dnc_" in text
    assert "jane-doe-demo/: ON THE LIST -> do not contact" in text
    assert "tom-baker-demo: not listed -> may reply" in text
    assert "dnc_delete: approval_required; the human must open http://127.0.0.1:" in text
    assert "The human answers: decline" in text
    assert "dnc_delete: not_deleted" in text
    assert text.count("on the list = True") == 2
    assert "deleted  " not in text.replace("not_deleted", "")
    assert "3 record(s)" in text
