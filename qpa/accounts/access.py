"""Function-level access: which roles may use a view. Object-level remit lives in the
selectors of each app (for example qpa.cases.selectors.cases_visible_to)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from qpa.accounts.models import Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(*roles: Role) -> Callable[[View], View]:
    allowed = {role.value for role in roles}

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
