"""The consent page's HTML, as pure functions: who asks, for what, and a form to answer.

Stable element ids (browser tests drive the page by them):

    #consent-form          the form (POST to the page's own path)
    #client-name           the requesting client's registered name
    #redirect-host         where the answer goes (the redirect URI's host, or its scheme)
    #scope-dnc-read        checkbox, name "scope", value "dnc:read"   (only the scopes asked for)
    #scope-dnc-write       checkbox, name "scope", value "dnc:write"
    #scope-dnc-delete      checkbox, name "scope", value "dnc:delete"
    #api-key               the team's DNC API key: a password input, name "api_key"
    #csrf                  hidden, name "csrf" (bound to this authorization request)
    #approve / #decline    the two submit buttons (name "decision", value approve / decline)
    #error                 why the last attempt failed (present only then)
    #message               the text of a message page (request gone, too many attempts, ...)

The page never echoes the key: a failed attempt shows an empty field again.
"""

from __future__ import annotations

from html import escape
from typing import Final
from urllib.parse import urlsplit

from mcp_server.html_document import html_document
from mcp_server.oauth.provider import ConsentRequest
from mcp_server.oauth.scopes import SCOPE_DESCRIPTIONS

__all__ = ["consent_page", "message_page", "redirect_host"]

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}dt{font-weight:600}dd{margin:0 0 .6rem 0;word-break:break-all}"
    "button{font-size:1rem;padding:.6rem 1rem;margin:.3rem .6rem .3rem 0;cursor:pointer}"
    ".go{background:#0b57d0;color:#fff;border:0}.keep{background:#eee;border:1px solid #999}"
    ".warn{background:#fff4e5;border-left:4px solid #b3261e;padding:.6rem 1rem}"
    "fieldset{border:1px solid #ccc;margin:1rem 0}input[type=password]{width:100%;"
    "font-size:1rem;padding:.4rem}"
)


def _document(title: str, body: str) -> str:
    return html_document(title, body, _STYLE)


def redirect_host(redirect_uri: str) -> str:
    """What the person is told the answer goes to: the host (and port), or an app's scheme."""
    parts = urlsplit(redirect_uri)
    return parts.netloc or f"{parts.scheme}: (an app on this device)"


def consent_page(request: ConsentRequest, action: str, *, error: str | None = None) -> str:
    boxes = "".join(
        f'<p><label><input type="checkbox" name="scope" value="{escape(scope)}"'
        f' id="scope-{escape(scope.replace(":", "-"))}" checked> <code>{escape(scope)}</code>:'
        f" {escape(SCOPE_DESCRIPTIONS.get(scope, scope))}</label></p>"
        for scope in request.scopes
    )
    failed = f'<p class="warn" id="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{failed}<p>An application asks to use your team's Do-Not-Contact list.</p>"
        f'<dl><dt>Application</dt><dd id="client-name">{escape(request.client_name)}</dd>'
        f'<dt>Sends the answer to</dt><dd id="redirect-host">'
        f"{escape(redirect_host(request.redirect_uri))}</dd></dl>"
        f'<form method="post" action="{escape(action)}" id="consent-form">'
        f'<input type="hidden" name="request" value="{escape(request.id)}">'
        f'<input type="hidden" name="csrf" id="csrf" value="{escape(request.csrf)}">'
        f"<fieldset><legend>It may</legend>{boxes}</fieldset>"
        '<p><label for="api-key">Your team\'s DNC API key (to prove you belong to the team;'
        " it stays on this server)</label>"
        '<input type="password" name="api_key" id="api-key" autocomplete="off"'
        ' spellcheck="false"></p>'
        '<button type="submit" name="decision" value="approve" id="approve" class="go">'
        "Allow</button>"
        '<button type="submit" name="decision" value="decline" id="decline" class="keep">'
        "Deny</button></form>"
        "<p>Deleting an entry always needs a person's approval on a separate page, whatever"
        " you allow here. You can revoke this access from the application at any time.</p>"
    )
    return _document("Allow access to your DNC list?", body)


def message_page(title: str, text: str) -> str:
    return _document(title, f'<p id="message">{escape(text)}</p>')
