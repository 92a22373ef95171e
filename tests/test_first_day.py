"""A council's first day: `qpa create-administrator` on an empty database, `createsuperuser`
refused, the council's name and service areas, and the first-day checklist on an
administrator's home page, each step ticked from the data."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from qpa.accounts.models import Role, User
from qpa.cases.models import ImportKind, ImportRun, ImportStatus
from qpa.core.models import Event
from qpa.cycles.models import SamplingPlan
from qpa.organisation.models import Council, ServiceArea, Team
from tests.support.factories import UserFactory, area
from tests.support.people import Personas, signed_in

STRONG = "copper lantern orchard"


def _create_administrator(**options: str) -> str:
    out = StringIO()
    call_command(
        "create-administrator",
        username=options.get("username", "ada"),
        name=options.get("name", "Ada Lovelace"),
        email=options.get("email", "ada@council.example"),
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_create_administrator_takes_the_password_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QPA_ADMIN_PASSWORD", STRONG)
    out = _create_administrator()
    ada = User.objects.get(username="ada")
    assert (ada.role, ada.first_name, ada.last_name, ada.email) == (
        Role.ADMINISTRATOR,
        "Ada",
        "Lovelace",
        "ada@council.example",
    )
    assert not ada.is_superuser
    assert "is an administrator" in out
    assert Client().login(username="ada", password=STRONG)
    # Recorded, with no actor: it was a command on the server.
    (entry,) = Event.objects.filter(action="account.created")
    assert (entry.actor_username, entry.data["role"]) == ("", "administrator")
    # The administrator's home page is theirs: no 403 anywhere they are sent.
    client = Client()
    client.login(username="ada", password=STRONG)
    for url in ("/", "/people/", "/tools/", "/cycles/", "/cases/teams/", "/council/"):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "123456789012", "Lovelace2026!", "short"])
def test_create_administrator_refuses_a_weak_password(
    monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("QPA_ADMIN_PASSWORD", weak)
    with pytest.raises(CommandError, match="This password is refused"):
        _create_administrator()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_create_administrator_asks_twice_until_the_two_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QPA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter([STRONG, "something else", "aaaaaaaaaaaa", "aaaaaaaaaaaa", STRONG, STRONG])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    err = StringIO()
    call_command(
        "create-administrator",
        "--username=ada",
        "--name=Ada King Lovelace",
        "--email=ada@council.example",
        stdout=StringIO(),
        stderr=err,
    )
    assert "The passwords do not match" in err.getvalue()
    assert "This password is refused" in err.getvalue()
    ada = User.objects.get(username="ada")
    assert (ada.first_name, ada.last_name) == ("Ada King", "Lovelace")
    assert ada.check_password(STRONG)


@pytest.mark.django_db
def test_create_administrator_without_a_terminal_or_variable_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QPA_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="set QPA_ADMIN_PASSWORD"):
        _create_administrator()
    with pytest.raises(CommandError, match="first and last"):
        _create_administrator(name="Ada")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_create_administrator_refuses_a_taken_username(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QPA_ADMIN_PASSWORD", STRONG)
    _create_administrator()
    with pytest.raises(CommandError, match="already has the username"):
        _create_administrator(username="ADA", email="other@council.example")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_createsuperuser_never_makes_a_practitioner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    with pytest.raises(CommandError, match="qpa create-administrator"):
        call_command(
            "createsuperuser", "--noinput", "--username=root", "--email=root@council.example"
        )
    with pytest.raises(CommandError, match="QPA does not use superusers"):
        call_command("createsuperuser")
    assert not User.objects.exists()


# --- The council's name and service areas ------------------------------------------


def test_setting_the_councils_name_shows_it_on_every_page(personas: Personas) -> None:
    admin = signed_in(personas.admin)
    assert "Your council" in admin.get("/").content.decode()
    refused = admin.post(reverse("home:council"), {"name": "   "})
    assert "Enter the council’s name" in refused.content.decode()
    response = admin.post(reverse("home:council"), {"name": " Northshire  County Council "})
    assert response.status_code == 302
    assert Council.objects.get().name == "Northshire County Council"
    assert "Northshire County Council" in signed_in(personas.practitioner).get("/").content.decode()
    admin.post(reverse("home:council"), {"name": "Northshire Council"})
    assert Council.objects.count() == 1
    entries = Event.objects.filter(action="organisation.council_named").order_by("seq")
    assert [(e.actor_username, e.data) for e in entries] == [
        ("ada", {"council": "Northshire County Council"}),
        ("ada", {"council": "Northshire Council"}),
    ]


def test_service_areas_are_added_renamed_and_switched_off(personas: Personas) -> None:
    admin = signed_in(personas.admin)
    page = admin.get(reverse("home:service-area-list")).content.decode()
    assert "Children with Disabilities" in page
    assert 'href="/people/hilda/"' in page  # the Head of Service for Child Protection
    taken = admin.post(reverse("home:service-area-new"), {"name": "child protection"})
    assert "There is already a service area with this name" in taken.content.decode()
    admin.post(reverse("home:service-area-new"), {"name": "Early Help"})
    early = ServiceArea.objects.get(name="Early Help")
    assert early.slug == "early-help" and early.is_active
    response = admin.post(
        reverse("home:service-area-edit", args=["early-help"]),
        {"name": "Early Help and Prevention", "is_active": "no"},
    )
    assert response.status_code == 302
    early.refresh_from_db()
    assert (early.name, early.is_active) == ("Early Help and Prevention", False)
    entries = Event.objects.filter(action__startswith="organisation.service_area").order_by("seq")
    assert [(e.action, e.actor_username, e.data) for e in entries] == [
        ("organisation.service_area_added", "ada", {"count": 1}),
        (
            "organisation.service_area_changed",
            "ada",
            {"changed": ["name", "is_active"], "is_active": False},
        ),
    ]


@pytest.mark.parametrize(
    "who", ["auditor", "head_of_cp", "director", "performance", "practitioner"]
)
def test_only_administrators_set_up_the_council(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    for url in (
        reverse("home:council"),
        reverse("home:service-area-list"),
        reverse("home:service-area-new"),
        reverse("home:service-area-edit", args=["child-protection"]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "Taken over", "is_active": "no"}).status_code in (403, 405)
    assert not Council.objects.exists()
    assert area("child-protection").name == "Child Protection"
    assert "Setting up QPA" not in client.get("/").content.decode()


# --- The checklist ---------------------------------------------------------------------


def _steps(client: Client) -> list[tuple[str, str]]:
    body = client.get("/").content.decode()
    return re.findall(
        r'govuk-task-list__link" href="([^"]+)"[^>]*>([^<]+)</a>.*?'
        r'govuk-task-list__status"[^>]*>(?:<strong[^>]*>)?([^<]+)',
        body,
        re.S,
    )


@pytest.mark.django_db
def test_the_checklist_ticks_each_step_from_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QPA_ADMIN_PASSWORD", STRONG)
    _create_administrator()
    client = Client()
    client.login(username="ada", password=STRONG)
    steps = _steps(client)
    assert [(url, title, status) for url, title, status in steps] == [
        ("/council/", "Give the council’s name", "To do"),
        ("/council/service-areas/", "Check the service areas", "Done"),  # seeded
        ("/cases/teams/", "Add the teams", "To do"),
        ("/people/", "Add the people", "To do"),
        ("/tools/", "Check the audit tools and rating scales", "Done"),  # seeded
        ("/cases/imports/annex-a/", "Import the open cases from Annex A", "To do"),
        ("/cycles/plans/new/", "Make the first sampling plan", "To do"),
        ("/cycles/", "Create and draw the first cycle", "To do"),
    ]
    assert "2 of 8 steps done" in client.get("/").content.decode()

    Council.objects.create(name="Northshire")
    Team.objects.create(name="CP Team 1", service_area=area("child-protection"))
    UserFactory(role=Role.AUDITOR)
    ImportRun.objects.create(kind=ImportKind.ANNEX_A, status=ImportStatus.FAILED)
    SamplingPlan.objects.create(name="Monthly", method="fixed")
    done = {title: status for _, title, status in _steps(client)}
    assert done == {
        "Give the council’s name": "Done",
        "Check the service areas": "Done",
        "Add the teams": "Done",
        "Add the people": "Done",
        "Check the audit tools and rating scales": "Done",
        # A failed import is not the first import.
        "Import the open cases from Annex A": "To do",
        "Make the first sampling plan": "Done",
        "Create and draw the first cycle": "To do",
    }


def test_an_administrator_alone_is_not_yet_the_people(personas: Personas) -> None:
    User.objects.exclude(role=Role.ADMINISTRATOR).update(is_active=False)
    steps = {title: status for _, title, status in _steps(signed_in(personas.admin))}
    assert steps["Add the people"] == "To do"
    assert steps["Add the teams"] == "Done"  # the personas' teams


def test_other_roles_see_no_checklist(personas: Personas, settings: Any) -> None:
    for who in ("auditor", "head_of_cp", "director", "performance", "practitioner"):
        assert "Setting up QPA" not in signed_in(getattr(personas, who)).get("/").content.decode()
