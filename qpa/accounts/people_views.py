"""People, for administrators: list, add, change, disable and enable them, reset a lost
authenticator app, and send a link to choose a new password. Every change goes through
qpa.accounts.services and is in the event log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from qpa.accounts import services
from qpa.accounts.models import RecoveryCode, User
from qpa.accounts.oidc import oidc_enabled
from qpa.accounts.people_forms import (
    ChoosePasswordForm,
    MfaResetForm,
    PeopleFilterForm,
    PersonForm,
)
from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.core.forms import add_validation_error
from qpa.core.models import Event
from qpa.organisation.models import Team

PEOPLE_PER_PAGE = 50
HISTORY_SHOWN = 20

# How each account entry of the event log reads on a person's page.
HISTORY_LABELS = {
    "account.created": "Added",
    "account.changed": "Details changed",
    "account.teams_changed": "Teams changed",
    "account.service_areas_changed": "Service areas changed",
    "account.password_changed": "Password changed",
    "account.set_password_link_sent": "Sent a link to choose a password",
    "account.mfa_reset": "Authenticator app reset",
    "auth.mfa_enrolled": "Set up an authenticator app",
    "auth.recovery_codes_replaced": "New recovery codes made",
}


def _person(username: str) -> User:
    person: User = get_object_or_404(User, username=username)
    return person


@require_GET
@permission_required(Permission.ADMINISTER)
def people_list(request: HttpRequest) -> HttpResponse:
    asked = request.GET.keys() - {"page"}
    form = PeopleFilterForm(request.GET if asked else None)
    people = User.objects.select_related("manager").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name")), "service_areas"
    )
    chosen: list[tuple[str, str]] = []
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["q"].strip()
        if text:
            for word in text.split():
                people = people.filter(
                    Q(username__icontains=word)
                    | Q(first_name__icontains=word)
                    | Q(last_name__icontains=word)
                )
            chosen.append(("Name or username", text))
        if form.cleaned_data["role"]:
            people = people.filter(role=form.cleaned_data["role"])
            chosen.append(("Role", dict(form.fields["role"].choices)[form.cleaned_data["role"]]))  # type: ignore[attr-defined]
        if form.cleaned_data["status"]:
            people = people.filter(is_active=form.cleaned_data["status"] == "active")
            chosen.append(("Status", form.cleaned_data["status"].capitalize()))
    people = people.order_by("last_name", "first_name", "username")
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    counts = User.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        disabled=Count("pk", filter=Q(is_active=False)),
    )
    return render(
        request,
        "accounts/people/list.html",
        {"form": form, "page": page, "chosen": chosen, "counts": counts},
        status=400 if form.errors else 200,
    )


def _sign_in_explained() -> str:
    if oidc_enabled():
        return (
            "They sign in with their council account, which QPA matches by their work "
            "email address. No password is set for them."
        )
    return (
        "QPA emails them a link to choose their own password: it works once. Nobody else "
        "ever knows it."
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.user_create(
                acting_user=acting_user(request),
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                job_title=data["job_title"],
                role=data["role"],
                teams=data["teams"],
                service_areas=data["service_areas"],
                manager=data["manager"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            if oidc_enabled():
                text = f"{person} is added. They sign in with their council account."
            else:
                text = f"{person} is added. We have emailed them a link to choose their password."
            messages.success(request, text)
            return redirect("accounts:person-detail", username=person.username)
    return render(
        request,
        "accounts/people/form.html",
        {
            "form": form,
            "title": "Add a person",
            "button": "Add the person",
            "sign_in_explained": _sign_in_explained(),
            "no_site_url": not oidc_enabled() and not settings.QPA_SITE_URL,
        },
    )


@require_GET
@permission_required(Permission.ADMINISTER)
def person_detail(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    history = list(
        Event.objects.filter(object_type="accounts.user", object_id=str(person.pk))
        .order_by("-seq")
        .only("occurred_at", "action", "actor_username", "data")[:HISTORY_SHOWN]
    )
    context: dict[str, Any] = {
        "person": person,
        "teams": person.teams.select_related("service_area").order_by("name"),
        "service_areas": person.service_areas.all(),
        "reports": User.objects.filter(manager=person).order_by("last_name", "first_name"),
        "has_app": TOTPDevice.objects.filter(user=person, confirmed=True).exists(),
        "unused_codes": RecoveryCode.objects.filter(user=person, used_at__isnull=True).count(),
        "has_password": person.has_usable_password(),
        "oidc": oidc_enabled(),
        "is_me": person.pk == request.user.pk,
        "history": [
            {
                "when": entry.occurred_at,
                "what": HISTORY_LABELS.get(entry.action, entry.action),
                "who": entry.actor_username,
                "reason": entry.data.get("reset_reason", ""),
            }
            for entry in history
        ],
    }
    return render(request, "accounts/people/detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_edit(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "job_title": person.job_title,
        "role": person.role,
        "teams": list(person.teams.values_list("pk", flat=True)),
        "service_areas": list(person.service_areas.values_list("pk", flat=True)),
        "manager": person.manager_id,
    }
    form = PersonForm(request.POST or None, initial=initial, person=person)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                acting_user=acting_user(request),
                user=person,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                job_title=data["job_title"],
                role=data["role"],
                teams=data["teams"],
                service_areas=data["service_areas"],
                manager=data["manager"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{person}’s details are saved.")
            return redirect("accounts:person-detail", username=person.username)
    return render(
        request,
        "accounts/people/form.html",
        {
            "form": form,
            "person": person,
            "title": f"Change {person}’s details",
            "button": "Save the changes",
        },
    )


def _confirm(
    request: HttpRequest,
    person: User,
    template: str,
    act: Any,
    done: str,
    form: Any = None,
) -> HttpResponse:
    """A confirmation page whose button carries out `act`; a refusal is shown on it."""
    errors: list[str] = []
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            act()
        except ValidationError as error:
            if form is not None:
                add_validation_error(form, error)
            else:
                errors = list(error.messages)
        else:
            messages.success(request, done)
            return redirect("accounts:person-detail", username=person.username)
    return render(
        request,
        template,
        {"person": person, "form": form, "errors": errors},
        status=400 if errors or (form is not None and form.errors) else 200,
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_disable(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    if not person.is_active:
        return redirect("accounts:person-detail", username=person.username)
    return _confirm(
        request,
        person,
        "accounts/people/disable.html",
        lambda: services.user_disable(acting_user=acting_user(request), user=person),
        f"{person} is disabled and signed out everywhere.",
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_enable(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    if person.is_active:
        return redirect("accounts:person-detail", username=person.username)
    return _confirm(
        request,
        person,
        "accounts/people/enable.html",
        lambda: services.user_enable(acting_user=acting_user(request), user=person),
        f"{person} can sign in again.",
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_mfa_reset(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    form = MfaResetForm(request.POST or None)
    return _confirm(
        request,
        person,
        "accounts/people/mfa_reset.html",
        lambda: services.mfa_reset(
            acting_user=acting_user(request), user=person, reason=form.cleaned_data["reason"]
        ),
        f"{person}’s authenticator app is reset. They set up a new one when they next sign in.",
        form=form,
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def person_password_link(request: HttpRequest, username: str) -> HttpResponse:
    person = _person(username)
    return _confirm(
        request,
        person,
        "accounts/people/password_link.html",
        lambda: services.user_set_password_link_send(acting_user=acting_user(request), user=person),
        f"We have emailed {person} a link to choose a new password.",
    )


class ChoosePasswordView(auth_views.PasswordResetConfirmView):
    """The page a one-time link opens. The link works once: choosing the password changes
    the hash it was signed over. Open to anyone holding the link (no sign-in)."""

    template_name = "accounts/people/choose_password.html"
    form_class = ChoosePasswordForm
    success_url = reverse_lazy("accounts:sign-in")

    def form_valid(self, form: ChoosePasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password is saved. Sign in with your username and password."
        )
        return response
