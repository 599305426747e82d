"""The one HTML shell of the pages `dnc mcp` serves to people (approval, sign-in, OAuth consent).

Each page brings its own style and body; the shell keeps the charset, the mobile viewport and
`noindex` the same everywhere. Callers escape their own body; the title is escaped here.
"""

from __future__ import annotations

from html import escape

__all__ = ["html_document"]


def html_document(title: str, body: str, style: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{style}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
