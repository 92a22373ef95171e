"""The profile pages for personal API tokens: make one (shown once), revoke one."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qpa.accounts.models import User
from qpa.accounts.permissions import acting_user
from qpa.api.forms import ApiTokenForm
from qpa.api.models import ApiToken
from qpa.api.services import api_token_create, api_token_revoke


def _acting(request: HttpRequest) -> User:
    user = acting_user(request)
    return user


def api_tokens(request: HttpRequest) -> HttpResponse:
    user = _acting(request)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = api_token_create(acting_user=user, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    for e in errors:
                        form.add_error(field if field in form.fields else None, e)
            else:
                for message in error.messages:
                    form.add_error(None, message)
        else:
            return render(request, "accounts/api_tokens_new.html", {"made": made})
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": tokens},
        status=400 if form.errors else 200,
    )


@require_POST
def api_token_revoke_view(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    user = _acting(request)
    token = ApiToken.objects.filter(user=user, public_id=public_id).first()
    if token is None:
        raise Http404
    api_token_revoke(acting_user=user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("tokens:api-tokens")
