"""Follow-up actions: a Head of Service plans them on an inadequate or critical audit,
owners see theirs and complete them with evidence, and overdue ones escalate to the
owner's manager, once."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.actions import services
from qpa.actions.models import Action, ActionStatus
from qpa.audits.models import Audit
from qpa.notifications.models import Notification
from tests.support.audits import completed, started, submit
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in
from tests.support.worlds import World

TODAY = date(2026, 12, 1)


@pytest.fixture
def inadequate(world: World) -> Audit:
    return submit(completed(started(world), overall="Inadequate"))


def _plan(world: World, audit: Audit, *, due: date | None = None) -> Action:
    return services.action_create(
        acting_user=world.head,
        audit=audit,
        description="Hold a strategy discussion within 5 days.",
        owner=world.amy,
        due_date=due or timezone.localdate() + timedelta(days=14),
    )


def test_a_head_of_service_plans_an_action_and_its_owner_is_told(
    world: World, inadequate: Audit
) -> None:
    client = signed_in(world.head)
    page = client.get(inadequate.get_absolute_url()).content.decode()
    assert "Add an action" in page
    form = client.get(f"/actions/audits/{inadequate.public_id}/new/")
    assert form.status_code == 200
    due = timezone.localdate() + timedelta(days=10)
    response = client.post(
        f"/actions/audits/{inadequate.public_id}/new/",
        {
            "description": "Visit the child and see them alone.",
            "owner": str(world.amy.pk),
            "due_date-day": str(due.day),
            "due_date-month": str(due.month),
            "due_date-year": str(due.year),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.audit, action.owner, action.due_date) == (inadequate, world.amy, due)
    assert action.status == ActionStatus.OPEN and action.created_by == world.head
    told = Notification.objects.get(kind="actions.assigned")
    assert told.recipient == world.amy and told.url == action.get_absolute_url()
    assert (
        "Visit the child and see them alone."
        in client.get(inadequate.get_absolute_url()).content.decode()
    )


def test_a_bad_action_is_refused_with_clear_messages(world: World, inadequate: Audit) -> None:
    response = signed_in(world.head).post(
        f"/actions/audits/{inadequate.public_id}/new/",
        {
            "description": "",
            "owner": "",
            "due_date-day": "31",
            "due_date-month": "2",
            "due_date-year": "2026",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    for message in (
        "Enter what needs to be done.",
        "Choose who owns the action.",
        "The due date must be a real date.",
    ):
        assert message in body
    assert not Action.objects.exists()


def test_actions_are_only_for_inadequate_or_critical_audits(world: World) -> None:
    good = submit(completed(started(world), overall="Good"))
    response = signed_in(world.head).get(f"/actions/audits/{good.public_id}/new/")
    assert response.status_code == 409
    with pytest.raises(ValidationError):
        _plan(world, good)
    assert not Action.objects.exists()


def test_only_a_head_of_service_in_remit_plans_actions(world: World, inadequate: Audit) -> None:
    url = f"/actions/audits/{inadequate.public_id}/new/"
    other_head = UserFactory(role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")])
    assert signed_in(world.cal).get(url).status_code == 403
    assert signed_in(world.practitioner).get(url).status_code == 403
    assert signed_in(world.lead).get(url).status_code == 403
    assert signed_in(other_head).get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        services.action_create(
            acting_user=world.cal,
            audit=inadequate,
            description="x",
            owner=world.amy,
            due_date=TODAY,
        )
    assert not Action.objects.exists()


def test_everyone_sees_their_own_actions_under_my_actions(world: World, inadequate: Audit) -> None:
    action = _plan(world, inadequate)
    for person in (world.amy, world.practitioner, world.admin):
        page = signed_in(person).get("/").content.decode()
        assert 'href="/actions/"' in page and "My actions" in page
    mine = signed_in(world.amy).get("/actions/").content.decode()
    assert action.description in mine and inadequate.case.child_id in mine
    assert action.description not in signed_in(world.bob).get("/actions/").content.decode()


def test_the_owner_moves_the_action_on_and_completes_it_with_evidence(
    world: World, inadequate: Audit
) -> None:
    action = _plan(world, inadequate)
    client = signed_in(world.amy)
    assert client.get(action.get_absolute_url()).status_code == 200
    assert client.post(action.get_absolute_url(), {"status": "in_progress"}).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS

    url = f"/actions/{action.public_id}/complete/"
    refused = client.post(url, {"evidence": "  "})
    assert refused.status_code == 400
    assert "Enter the evidence that the action was completed." in refused.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS

    assert (
        client.post(
            url, {"evidence": "Strategy discussion held 3 Dec; minutes on file."}
        ).status_code
        == 302
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.COMPLETED and action.completed_by == world.amy
    assert "minutes on file" in client.get(action.get_absolute_url()).content.decode()


def test_a_completed_action_must_carry_evidence_in_the_database(
    world: World, inadequate: Audit
) -> None:
    action = _plan(world, inadequate)
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(status=ActionStatus.COMPLETED)


def test_people_outside_the_action_cannot_see_or_change_it(world: World, inadequate: Audit) -> None:
    action = _plan(world, inadequate)
    outsider = UserFactory(role=Role.PRACTITIONER)
    assert signed_in(outsider).get(action.get_absolute_url()).status_code == 404
    assert (
        signed_in(world.bob).post(action.get_absolute_url(), {"status": "open"}).status_code == 404
    )
    # The auditor sees the audit's actions but does not own this one: refused.
    assert (
        signed_in(world.cal).post(action.get_absolute_url(), {"status": "in_progress"}).status_code
        == 403
    )
    assert (
        signed_in(world.cal)
        .post(f"/actions/{action.public_id}/complete/", {"evidence": "done"})
        .status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.action_complete(acting_user=world.cal, action=action, evidence="done")
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN


def test_overdue_actions_escalate_to_the_owners_manager_once(
    world: World, inadequate: Audit
) -> None:
    with time_machine.travel(TODAY, tick=False):
        overdue = _plan(world, inadequate, due=TODAY)
        on_time = _plan(world, inadequate, due=TODAY + timedelta(days=7))
        done = _plan(world, inadequate, due=TODAY)
        services.action_complete(
            acting_user=world.amy, action=done, evidence="Done on time; notes on the file."
        )
    assert world.amy.manager == world.head

    with time_machine.travel(TODAY, tick=False):
        assert services.actions_escalate_overdue().escalations == 0  # due today: not late yet
    with time_machine.travel(TODAY + timedelta(days=1), tick=False):
        out = StringIO()
        call_command("audits", "escalate", stdout=out)
        assert "1 overdue-action reminders and 1 overdue-action escalations sent" in out.getvalue()
        call_command("audits", "escalate", stdout=StringIO())

    escalated = Notification.objects.filter(kind="actions.overdue_escalated")
    assert [(n.recipient, n.url) for n in escalated] == [(world.head, overdue.get_absolute_url())]
    reminded = Notification.objects.filter(kind="actions.overdue")
    assert [(n.recipient, n.url) for n in reminded] == [(world.amy, overdue.get_absolute_url())]
    assert not Notification.objects.filter(url=on_time.get_absolute_url(), kind__contains="overdue")


def test_an_overdue_action_whose_owner_has_no_manager_goes_to_its_planner(
    world: World, inadequate: Audit
) -> None:
    owner = UserFactory(username="nomanager", role=Role.PRACTITIONER)
    with time_machine.travel(TODAY, tick=False):
        services.action_create(
            acting_user=world.head,
            audit=inadequate,
            description="Update the chronology.",
            owner=owner,
            due_date=TODAY,
        )
    with time_machine.travel(TODAY + timedelta(days=3), tick=False):
        counts = services.actions_escalate_overdue()
    assert (counts.reminders, counts.escalations) == (1, 1)
    assert Notification.objects.get(kind="actions.overdue_escalated").recipient == world.head
