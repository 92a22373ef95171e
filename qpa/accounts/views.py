from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from qpa.accounts.forms import ChangePasswordForm, CodeForm, SignInForm
from qpa.accounts.mfa import (
    TOTP,
    confirmed_device,
    mfa_satisfied,
    qr_code_data_url,
    second_factor_failed,
    second_factor_verify,
    secret_for_typing,
    sign_in_completed,
    throttled_until,
    unconfirmed_device,
)
from qpa.accounts.models import RecoveryCode, User
from qpa.accounts.oidc import oidc_enabled
from qpa.accounts.services import mfa_device_confirm, recovery_codes_replace
from qpa.accounts.sessions import session_clock

SIGNED_OUT_REASONS = {
    "idle": "You were signed out because you did nothing for {minutes} minutes. "
    "Sign in again to carry on.",
    "absolute": "You were signed out because you had been signed in for {hours} hours. "
    "Sign in again to carry on.",
}


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.conf import settings

        context = super().get_context_data(**kwargs)
        reason = SIGNED_OUT_REASONS.get(self.request.GET.get("signed-out", ""))
        if reason:
            context["signed_out_message"] = reason.format(
                minutes=settings.QPA_SESSION_IDLE_SECONDS // 60,
                hours=settings.SESSION_COOKIE_AGE // 3600,
            )
        context["oidc_enabled"] = oidc_enabled()
        context["council_account_refused"] = (
            self.request.GET.get("council-account") == "not-recognised"
        )
        return context


class SignOutView(auth_views.LogoutView):
    pass


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home:home")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    user: User = request.user  # type: ignore[assignment]
    next_url = _next_url(request)
    if mfa_satisfied(request) and request.method == "GET":
        return HttpResponseRedirect(next_url)
    device = confirmed_device(user)
    if device is None:
        return redirect(_with_next("accounts:mfa-enrol", next_url))
    form = CodeForm(
        request.POST or None,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes",
    )
    if request.method == "POST" and form.is_valid():
        wait = throttled_until(device)
        passed = None
        if wait is None:
            passed = second_factor_verify(
                device=device, code=form.cleaned_data["code"], request=request
            )
        else:
            second_factor_failed(user=user, request=request, reason="throttled")
        if wait is not None:
            seconds = "1 second" if wait == 1 else f"{wait} seconds"
            form.add_error("code", f"Too many wrong codes. Wait {seconds}, then try again")
        elif passed:
            already = mfa_satisfied(request)
            request.session.cycle_key()
            otp_login(request, device)
            if not already:
                sign_in_completed(request=request, user=user, second_factor=passed)
            return HttpResponseRedirect(next_url)
        else:
            form.add_error(
                "code",
                "Enter the code your authenticator app shows now, or an unused recovery code",
            )
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app. Only for someone who has none: a second device can
    never be added with the password alone."""
    user: User = request.user  # type: ignore[assignment]
    next_url = _next_url(request)
    if confirmed_device(user) is not None:
        return redirect(_with_next("accounts:mfa-verify", next_url))
    device = unconfirmed_device(user)
    form = CodeForm(request.POST or None, help_text="The 6-digit code your app shows")
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            already = mfa_satisfied(request)
            codes = mfa_device_confirm(acting_user=user, device=device)
            request.session.cycle_key()
            otp_login(request, device)
            if not already:
                sign_in_completed(request=request, user=user, second_factor=TOTP)
            # Shown in this response only: the codes are never stored in plain text.
            return render(
                request,
                "accounts/recovery_codes_new.html",
                {"codes": codes, "next": next_url, "enrolled": True},
            )
        second_factor_failed(user=user, request=request, reason="wrong_code", step="enrol")
        form.add_error("code", "Enter the code your authenticator app shows now")
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "next": next_url,
            "secret": secret_for_typing(device),
            "qr_code": qr_code_data_url(device.config_url),
        },
    )


@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if confirmed_device(user) is None:
        return redirect(_with_next("accounts:mfa-enrol", reverse("accounts:recovery-codes")))
    if request.method == "POST":
        codes = recovery_codes_replace(acting_user=user, user=user)
        return render(
            request,
            "accounts/recovery_codes_new.html",
            {"codes": codes, "next": reverse("home:home"), "enrolled": False},
        )
    unused = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    return render(request, "accounts/recovery_codes.html", {"unused": unused})


class ChangePasswordView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("home:home")

    def form_valid(self, form: ChangePasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password has been changed")
        return response


@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left. A background request: it never extends it."""
    return JsonResponse(session_clock(request.session).as_json())


@require_POST
def session_extend(request: HttpRequest) -> HttpResponse:
    """The "Extend my session" button: the middleware has already restarted the idle
    clock, as for any request a person makes."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(session_clock(request.session).as_json())
    return HttpResponseRedirect(_next_url(request))
