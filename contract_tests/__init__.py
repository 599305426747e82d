"""`dnc conformance`: a pytest + Schemathesis suite that tells a deployment whether it honours the
DNC API described by `openapi.yaml` and the provider's documentation pages.

The suite is an oracle, not a mirror: expected values come from `openapi.yaml` and `fixtures/`,
never from the reference server's code.
"""
