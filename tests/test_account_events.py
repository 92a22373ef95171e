"""The event log records every change to a person, whatever made it, the inbox views,
and shows administrators no detail of what an audit found."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from qpa.accounts.models import Role, User
from qpa.accounts.services import user_disable
from qpa.core.events import event_record
from qpa.core.models import Event
from qpa.notifications.models import Notification
from qpa.organisation.models import TeamMembership
from tests.support.factories import PASSWORD, area
from tests.support.people import Personas, signed_in


def _since(seq: int, prefix: str = "account.") -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (entry.action, entry.actor_username, entry.data)
        for entry in Event.objects.filter(seq__gt=seq, action__startswith=prefix).order_by("seq")
    ]


def _head() -> int:
    return Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_creating_changing_and_deleting_a_person_is_recorded(personas: Personas) -> None:
    start = _head()
    person = User.objects.create_user(
        username="newbie", password="lantern moss kettle", role=Role.PRACTITIONER
    )
    person.role = Role.AUDITOR
    person.first_name = "Nia"
    person.save()
    person.service_areas.add(area("child-protection"))
    TeamMembership.objects.create(user=person, team=personas.cp_team)
    person.teams.add(personas.cic_team)
    person.teams.remove(personas.cp_team)
    user_disable(acting_user=personas.admin, user=person)
    person_id = person.pk
    person.delete()

    cp = area("child-protection").pk
    team = personas.cp_team.pk
    assert _since(start) == [
        (
            "account.created",
            "",
            {
                "username": "newbie",
                "role": "practitioner",
                "is_active": True,
                "is_superuser": False,
            },
        ),
        (
            "account.changed",
            "",
            {"username": "newbie", "changed": ["first_name", "role"], "role": "auditor"},
        ),
        (
            "account.service_areas_changed",
            "",
            {"username": "newbie", "change": "add", "service_areas": [cp]},
        ),
        ("account.teams_changed", "", {"username": "newbie", "change": "add", "teams": [team]}),
        (
            "account.teams_changed",
            "",
            {"username": "newbie", "change": "add", "teams": [personas.cic_team.pk]},
        ),
        ("account.teams_changed", "", {"username": "newbie", "change": "remove", "teams": [team]}),
        (
            "account.changed",
            "",
            {"username": "newbie", "changed": ["is_active"], "is_active": False},
        ),
        # Deleting a person removes their remaining memberships first.
        (
            "account.teams_changed",
            "",
            {"username": "newbie", "change": "remove", "teams": [personas.cic_team.pk]},
        ),
        ("account.deleted", "", {"username": "newbie"}),
    ]
    # Every entry names the person by their account, never by their name or address.
    entries = Event.objects.filter(seq__gt=start, action__startswith="account.")
    assert {(e.object_type, e.object_id) for e in entries} == {("accounts.user", str(person_id))}
    assert not any("Nia" in str(e.data) or "example.org" in str(e.data) for e in entries)


def test_a_change_made_through_a_page_names_who_made_it_and_from_where(
    personas: Personas,
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.login(username="alice", password=PASSWORD)
    start = _head()
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "lantern moss kettle",
            "new_password2": "lantern moss kettle",
        },
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    (entry,) = Event.objects.filter(seq__gt=start, action="account.password_changed")
    assert (entry.actor_username, entry.ip, entry.data) == (
        "alice",
        "203.0.113.9",
        {"username": "alice"},
    )
    assert entry.request_id


def test_a_password_set_from_a_command_is_recorded_without_an_actor(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = _head()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "lantern moss kettle")
    call_command("changepassword", "hilda")
    assert _since(start) == [("account.password_changed", "", {"username": "hilda"})]


def test_signing_in_and_upgrading_a_hash_are_not_changes_to_the_person(
    personas: Personas,
) -> None:
    start = _head()
    assert signed_in(personas.head_of_cp).get("/").status_code == 200
    assert _since(start) == []


def test_looking_at_the_inbox_is_recorded(personas: Personas) -> None:
    notification = Notification.objects.create(
        recipient=personas.head_of_cp,
        kind="audit.critical",
        subject="Critical audit of case C000123",
        url="/",
    )
    client = signed_in(personas.head_of_cp)
    start = _head()
    assert client.get("/notifications/").status_code == 200
    (entry,) = Event.objects.filter(seq__gt=start, action="notifications.listed")
    assert entry.actor_username == "hilda"
    assert (entry.object_type, entry.object_id) == (
        "notifications.notification",
        str(notification.public_id),
    )
    # An empty inbox shows nothing to record.
    start = _head()
    assert signed_in(personas.auditor).get("/notifications/").status_code == 200
    assert not Event.objects.filter(seq__gt=start, action="notifications.listed").exists()


def test_administrators_read_no_case_outcome_in_event_details(personas: Personas) -> None:
    event_record(
        action="audit.submitted",
        actor=personas.auditor,
        child_id="C-OUTCOME",
        data={"version": 3, "severity": "critical"},
    )
    event_record(action="reaudit.completed", actor=personas.auditor, data={"outcome": "inadequate"})
    event_record(action="report.exported", actor=personas.admin, data={"format": "csv"})

    page = signed_in(personas.admin).get("/events/").content.decode()

    assert "C-OUTCOME" in page  # who looked at which child is the log's purpose
    assert "version: 3" in page and "format: csv" in page
    assert "critical" not in page and "severity" not in page
    assert "inadequate" not in page and "outcome" not in page
    assert page.count("1 detail about the case withheld") == 2
