"""The REST API at /api/v1/: django-ninja, personal tokens, JSON problems.

Every URL here is exempt from LoginRequiredMiddleware and does its own authentication,
so an anonymous request is answered 401, never redirected to the sign-in page. The
operations accept only a token; the schema and the documentation page also accept a
signed-in session, so people can read them in the browser.
docs/api.md and docs/decisions/0080-0082."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, reverse
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase
from ninja.operation import Operation

from qpa.api import endpoints, problems
from qpa.api.auth import authenticate_request, token_from_header
from qpa.api.ratelimit import RateLimited

NAMESPACE = "api"


def caller_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in session (past its second step: the MFA middleware ran already) or a
    live token; anyone else is answered 401."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            try:
                token = authenticate_request(request, token_from_header(request))
            except RateLimited as limited:
                response = problems.problem(429, str(limited), retry_after=limited.retry_after)
                response["Retry-After"] = str(limited.retry_after)
                return response
            if token is None:
                return problems.unauthenticated(
                    "Sign in to QPA, or send a live API token: Authorization: Bearer <token>."
                )
        return view(request, *args, **kwargs)

    return wrapped


METHOD_ORDER = ("get", "post", "put", "patch", "delete")


class GovukDocs(DocsBase):
    """A GOV.UK page listing the operations, generated from the schema: no scripts, no
    assets from elsewhere (the CSP forbids both)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        groups: dict[str, list[dict[str, Any]]] = {}
        for path, item in schema["paths"].items():
            for method in METHOD_ORDER:
                operation = item.get(method)
                if operation is None:
                    continue
                tag = (operation.get("tags") or ["other"])[0]
                security = operation.get("security") or []
                groups.setdefault(tag, []).append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": operation.get("summary", ""),
                        "parameters": [
                            {
                                "name": p["name"],
                                "where": p["in"],
                                "required": p.get("required", False),
                                "description": p.get("description", ""),
                            }
                            for p in operation.get("parameters", [])
                        ],
                        "body": "requestBody" in operation,
                        "responses": sorted(operation.get("responses", {})),
                        "secured": bool(security),
                    }
                )
        return render(
            request,
            "api/docs.html",
            {
                "groups": sorted(groups.items()),
                "schema_url": self.get_openapi_url(api, kwargs),
                "title": schema["info"]["title"],
                "version": schema["info"]["version"],
                "description": schema["info"].get("description", ""),
            },
        )


def _root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponseRedirect(reverse(f"{NAMESPACE}:openapi-view"))


class QpaNinjaAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view's own name (`case_list`, `audit_submit`): what a generated client
        calls the operation. Names are unique across the endpoints (a test checks)."""
        return operation.view_func.__name__

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if not isinstance(pattern, URLPattern):
                continue
            if pattern.name == "api-root":
                pattern.callback = caller_required(_root)
            pattern.callback = login_not_required(pattern.callback)
        return urls


api = QpaNinjaAPI(
    title="Quality of Practice Audit API",
    version="1",
    description="Cases, cycles, allocations, audits and follow-up actions, within the "
    "remit of the token's person. Authenticate with a personal API token "
    "(Authorization: Bearer <token>) made at /account/api-tokens/.",
    urls_namespace=NAMESPACE,
    docs=GovukDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    docs_decorator=caller_required,
)
problems.install(api)
api.add_router("/cases", endpoints.cases)
api.add_router("/", endpoints.cycles)
api.add_router("/audits", endpoints.audits)
api.add_router("/actions", endpoints.actions)
api.add_router("/reports", endpoints.reports)
api.add_router("/", endpoints.assurance)
