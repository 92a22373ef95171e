"""Setting up the council: its name and its service areas, for administrators. The
pages stand here, on the top floor, because the organisation app sits below the named
permissions; the writes are qpa.organisation.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from qpa.accounts.models import Role, User
from qpa.accounts.permissions import Permission, acting_user, permission_required
from qpa.core.forms import add_validation_error
from qpa.home.setup_forms import CouncilForm, ServiceAreaChangeForm, ServiceAreaForm
from qpa.organisation.models import Council, ServiceArea
from qpa.organisation.services import council_rename, service_area_create, service_area_update


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def council_edit(request: HttpRequest) -> HttpResponse:
    council = Council.objects.order_by("pk").first()
    form = CouncilForm(request.POST or None, initial={"name": council.name if council else ""})
    if request.method == "POST" and form.is_valid():
        try:
            council = council_rename(
                acting_user=acting_user(request), name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"The council’s name is now {council.name}.")
            return redirect("home:home")
    return render(request, "home/setup/council.html", {"form": form})


@require_GET
@permission_required(Permission.ADMINISTER)
def service_area_list(request: HttpRequest) -> HttpResponse:
    heads = User.objects.filter(role=Role.HEAD_OF_SERVICE, is_active=True).order_by(
        "last_name", "first_name"
    )
    areas = ServiceArea.objects.annotate(
        active_teams=Count("teams", filter=Q(teams__is_active=True), distinct=True)
    ).prefetch_related(Prefetch("responsible_people", queryset=heads, to_attr="heads"))
    return render(request, "home/setup/service_areas.html", {"areas": areas})


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def service_area_new(request: HttpRequest) -> HttpResponse:
    form = ServiceAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = service_area_create(
                acting_user=acting_user(request), name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{area.name} is added.")
            return redirect("home:service-area-list")
    return render(
        request, "home/setup/service_area_form.html", {"form": form, "title": "Add a service area"}
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def service_area_edit(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(ServiceArea, slug=slug)
    form = ServiceAreaChangeForm(
        request.POST or None,
        initial={"name": area.name, "is_active": "yes" if area.is_active else "no"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            service_area_update(
                acting_user=acting_user(request),
                area=area,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"] == "yes",
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, f"{area.name} is saved.")
            return redirect("home:service-area-list")
    return render(
        request,
        "home/setup/service_area_form.html",
        {"form": form, "title": f"Change {area.name}"},
    )
