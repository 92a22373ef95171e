"""Every URL QPA serves, walked from the resolver, with an example path for each: the
allow-list of pages that need no sign-in, and the API's namespace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

# Every other URL must send an anonymous visitor to the sign-in page.
ANONYMOUS_ALLOWED = {
    "accounts:sign-in",
    "accounts:sign-out",
    # The council identity provider's sign-in (404 unless QPA_OIDC_ISSUER is set).
    "accounts:oidc-start",
    "accounts:oidc-callback",
    "core:health",
    # A one-time link to choose a password (qpa/accounts/set_password.py): its token is
    # the credential; a wrong or used one shows "This link does not work".
    "accounts:set-password",
}
# The REST API (namespace "api") authenticates each request itself, with a token: an
# anonymous request is answered 401 (or 405 for a method the route does not have),
# never redirected to the sign-in page. See tests/test_access.py.
API_NAMESPACE = "api:"


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):  # type: ignore[no-untyped-def]
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from walk(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}", prefix + str(pattern.pattern)


def example_path(route: str) -> str:
    for converter, value in (
        ("<slug:slug>", "quality-of-practice"),
        ("<str:username>", "somebody"),
        ("<uidb64>", "MQ"),
        ("<token>", "not-a-token"),
        ("<slug:chart>", "overall"),
        ("<slug:target_slug>", "ilacs"),
        ("<int:position>", "1"),
        ("<slug:step>", "kind"),
        ("<slug:quarter>", "2026-Q3"),
        ("<uuid:plan_id>", "00000000-0000-4000-8000-000000000001"),
        ("<uuid:cycle_id>", "00000000-0000-4000-8000-000000000002"),
        ("<uuid:sampled_id>", "00000000-0000-4000-8000-000000000003"),
        ("<uuid:allocation_id>", "00000000-0000-4000-8000-000000000004"),
        ("<uuid:public_id>", "00000000-0000-4000-8000-000000000000"),
        # The API's path parameters (validated by the API itself, not by a converter).
        ("<case_id>", "00000000-0000-4000-8000-000000000005"),
        ("<cycle_id>", "00000000-0000-4000-8000-000000000006"),
        ("<allocation_id>", "00000000-0000-4000-8000-000000000007"),
        ("<audit_id>", "00000000-0000-4000-8000-000000000008"),
        ("<action_id>", "00000000-0000-4000-8000-000000000009"),
        ("<position>", "1"),
        ("<reaudit_id>", "00000000-0000-4000-8000-00000000000a"),
        ("<moderation_id>", "00000000-0000-4000-8000-00000000000b"),
    ):
        route = route.replace(converter, value)
    assert "<" not in route, f"add an example value for {route}"
    return "/" + route.lstrip("^").rstrip("$")
