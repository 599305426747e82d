"""OAuth 2.1 for the hosted `dnc mcp` (`--oauth`): the server is its own authorization server.

- `provider`: the SDK's `OAuthAuthorizationServerProvider` over a `GrantStore`;
- `store`: SQLite (data dir, 0600) or Redis, shared by replicas;
- `crypto`: the team key sealed with AES-GCM under an HKDF key from the server secret;
- `consent` / `routes`: the consent page and the HTTP surface (the SDK's endpoints);
- `verifier`: `BearerVerifier`, the seam for an operator's own identity provider, and the
  `Authenticator` that turns a token into a `Credential`;
- `scopes`: `dnc:read` / `dnc:write` / `dnc:delete`, per request, in `tools/list` and calls.
"""

from mcp_server.oauth.crypto import KeySealer, SealError, new_token, token_digest
from mcp_server.oauth.provider import (
    ACCESS_TOKEN_PREFIX,
    ACCESS_TTL_S,
    CODE_TTL_S,
    REFRESH_TTL_S,
    ConsentRequest,
    DncOAuthProvider,
)
from mcp_server.oauth.routes import CONSENT_COOKIE, CONSENT_PATH, consent_routes, oauth_routes
from mcp_server.oauth.scopes import (
    ALL_SCOPES,
    DELETE,
    READ,
    TOOL_SCOPES,
    WRITE,
    ScopeFilter,
    ScopeGate,
    granted,
    missing_scope,
)
from mcp_server.oauth.store import GRANT_DB_NAME, GrantStore, RedisGrantStore, SqliteGrantStore
from mcp_server.oauth.verifier import BearerVerifier, OAuthAuthenticator, VerifiedBearer

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "ACCESS_TTL_S",
    "ALL_SCOPES",
    "CODE_TTL_S",
    "CONSENT_COOKIE",
    "CONSENT_PATH",
    "DELETE",
    "GRANT_DB_NAME",
    "READ",
    "REFRESH_TTL_S",
    "TOOL_SCOPES",
    "WRITE",
    "BearerVerifier",
    "ConsentRequest",
    "DncOAuthProvider",
    "GrantStore",
    "KeySealer",
    "OAuthAuthenticator",
    "RedisGrantStore",
    "ScopeFilter",
    "ScopeGate",
    "SealError",
    "SqliteGrantStore",
    "VerifiedBearer",
    "consent_routes",
    "granted",
    "missing_scope",
    "new_token",
    "oauth_routes",
    "token_digest",
]
