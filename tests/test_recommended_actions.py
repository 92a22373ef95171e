"""Recommended actions: the auditor proposes them while auditing (what, a suggested
owner, by when); once the audit is submitted the area's Head of Service hears of them and
confirms, changes or declines each (declining with a reason); a confirmed one becomes a
follow-up action without anyone typing it again. Every step is in the event log
(decision 0126)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from qpa.actions.models import Action
from qpa.audits.models import Audit, RecommendationStatus, RecommendedAction
from qpa.core.models import Event
from qpa.notifications.models import Notification
from tests.support.audits import completed, fresh, started, submit
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in
from tests.support.worlds import World


def _date(days: int) -> str:
    return f"{timezone.localdate() + timedelta(days=days):%d/%m/%Y}"


def _propose(client, audit: Audit, description: str, owner_pk: object = "", days: int = 14):  # type: ignore[no-untyped-def]
    return client.post(
        f"/audits/{audit.public_id}/recommendations/",
        {"description": description, "suggested_owner": owner_pk, "due_date": _date(days)},
    )


@pytest.fixture
def proposed(world: World) -> Audit:
    """cal's audit of a CP case, rated Good, with two recommended actions, submitted."""
    audit = completed(started(world))
    client = signed_in(world.cal)
    assert _propose(client, audit, "Complete a chronology.", world.amy.pk).status_code == 302
    assert _propose(client, audit, "See the child alone.", "", days=7).status_code == 302
    return submit(fresh(audit))


def _item(audit: Audit, text: str) -> RecommendedAction:
    return RecommendedAction.objects.get(audit=audit, description=text)


# --- Proposing while auditing ------------------------------------------------------------


def test_the_auditor_proposes_changes_and_removes_recommended_actions(world: World) -> None:
    audit = completed(started(world))
    client = signed_in(world.cal)
    page = client.get(f"/audits/{audit.public_id}/recommendations/").content.decode()
    assert "Add a recommended action" in page
    # The case's team manager is suggested first.
    assert f'<option value="{world.amy.pk}" selected>' in page

    assert _propose(client, audit, "Complete a chronology.", world.amy.pk).status_code == 302
    first = _item(audit, "Complete a chronology.")
    assert (first.suggested_owner, first.status) == (world.amy, RecommendationStatus.PROPOSED)
    tasks = client.get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert "1 recommended" in tasks

    changed = client.post(
        f"/audits/{audit.public_id}/recommendations/",
        {
            "change": str(first.public_id),
            "description": "Complete a chronology and share it.",
            "suggested_owner": world.bob.pk,
            "due_date": _date(21),
        },
    )
    assert changed.status_code == 302
    first.refresh_from_db()
    assert (first.description, first.suggested_owner) == (
        "Complete a chronology and share it.",
        world.bob,
    )
    assert _propose(client, audit, "Remove me.").status_code == 302
    removed = client.post(
        f"/audits/{audit.public_id}/recommendations/",
        {"remove": str(_item(audit, "Remove me.").public_id)},
    )
    assert removed.status_code == 302
    assert list(audit.recommendations.values_list("description", flat=True)) == [
        "Complete a chronology and share it."
    ]
    check = client.get(f"/audits/{audit.public_id}/check/").content.decode()
    assert "Complete a chronology and share it." in check
    actions = list(
        Event.objects.filter(action__startswith="audit.recommendation_")
        .order_by("seq")
        .values_list("action", "child_id")
    )
    assert actions == [
        ("audit.recommendation_added", audit.case.child_id),
        ("audit.recommendation_changed", audit.case.child_id),
        ("audit.recommendation_added", audit.case.child_id),
        ("audit.recommendation_removed", audit.case.child_id),
    ]


def test_a_bad_recommendation_is_refused_clearly_and_nobody_else_proposes(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    response = client.post(
        f"/audits/{audit.public_id}/recommendations/",
        {"description": "", "suggested_owner": "999999", "due_date": _date(-1)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter what needs to be done." in html
    assert "Choose the suggested owner from the list." in html
    assert "The date must be today or later." in html
    assert not audit.recommendations.exists()
    # Another auditor of the area is refused; so is the practitioner.
    assert _propose(signed_in(world.amy), audit, "Mine.").status_code in (403, 404)
    assert _propose(signed_in(world.practitioner), audit, "Mine.").status_code in (403, 404)
    assert not audit.recommendations.exists()


def test_once_submitted_the_auditor_can_no_longer_change_them(
    world: World, proposed: Audit
) -> None:
    client = signed_in(world.cal)
    response = _propose(client, proposed, "Too late.")
    assert response.status_code == 409
    item = _item(proposed, "See the child alone.")
    removed = client.post(
        f"/audits/{proposed.public_id}/recommendations/", {"remove": str(item.public_id)}
    )
    assert removed.status_code == 409
    assert proposed.recommendations.count() == 2


# --- The Head of Service decides ---------------------------------------------------------


def test_submission_tells_the_areas_head_of_service_they_wait(
    world: World, proposed: Audit
) -> None:
    told = Notification.objects.get(recipient=world.head, kind="actions.recommended")
    assert "2 follow-up actions" in told.body
    assert told.url == f"{proposed.get_absolute_url()}#recommendations"
    # The team manager hears of an inadequate audit, never of recommendations to decide.
    assert not Notification.objects.filter(recipient=world.amy, kind="actions.recommended")
    page = signed_in(world.head).get(proposed.get_absolute_url()).content.decode()
    assert "Waiting for a decision" in page
    assert f"/actions/audits/{proposed.public_id}/recommendations/?item=" in page


def test_a_confirmed_recommendation_becomes_an_action_without_retyping(
    world: World, proposed: Audit
) -> None:
    item = _item(proposed, "Complete a chronology.")
    client = signed_in(world.head)
    url = f"/actions/audits/{proposed.public_id}/recommendations/"
    form = client.get(f"{url}?item={item.public_id}").content.decode()
    # The form starts from what the auditor wrote.
    assert ">\nComplete a chronology.</textarea>" in form
    assert "whom the auditor suggested, is chosen for you" in form
    assert f'<option value="{world.amy.pk}" selected>' in form
    for part, value in (("day", item.due_date.day), ("month", item.due_date.month)):
        assert f'name="due_date-{part}" value="{value}"' in form

    response = client.post(
        url,
        {
            "item": str(item.public_id),
            "decision": "confirm",
            "description": "Complete a chronology.",
            "owner": world.amy.pk,
            "due_date": f"{item.due_date:%d/%m/%Y}",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    action = Action.objects.get(recommendation=item)
    assert (action.description, action.owner, action.due_date, action.audit) == (
        item.description,
        world.amy,
        item.due_date,
        proposed,
    )
    assert (item.status, item.decided_by) == (RecommendationStatus.CONFIRMED, world.head)
    assert Notification.objects.filter(recipient=world.amy, kind="actions.assigned").exists()
    confirmed = Event.objects.get(action="recommendation.confirmed")
    assert confirmed.data["changed"] == [] and confirmed.child_id == proposed.case.child_id
    assert Event.objects.filter(action="action.created", object_id=str(action.public_id))
    # Shown on the audit, with its action; the owner finds it under My actions.
    page = client.get(proposed.get_absolute_url()).content.decode()
    assert f'href="{action.get_absolute_url()}">the follow-up action</a>' in page
    mine = signed_in(world.amy).get("/actions/").content.decode()
    assert "Complete a chronology." in mine
    detail = signed_in(world.amy).get(action.get_absolute_url()).content.decode()
    assert "Recommended by the auditor" in detail
    assert "Yes, and confirmed as the auditor recommended it." in detail
    # Deciding twice changes nothing.
    again = client.post(
        url,
        {
            "item": str(item.public_id),
            "decision": "confirm",
            "description": "Again.",
            "owner": world.amy.pk,
            "due_date": f"{item.due_date:%d/%m/%Y}",
        },
    )
    assert again.status_code == 200
    assert Action.objects.filter(audit=proposed).count() == 1


def test_the_head_of_service_may_change_it_as_they_confirm(world: World, proposed: Audit) -> None:
    item = _item(proposed, "See the child alone.")
    client = signed_in(world.head)
    response = client.post(
        f"/actions/audits/{proposed.public_id}/recommendations/",
        {
            "item": str(item.public_id),
            "decision": "confirm",
            "description": "See the child alone at school this week.",
            "owner": world.bob.pk,
            "due_date": _date(5),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(recommendation=item)
    assert (action.description, action.owner) == (
        "See the child alone at school this week.",
        world.bob,
    )
    item.refresh_from_db()
    assert item.description == "See the child alone."  # what the auditor wrote stays
    assert Event.objects.get(action="recommendation.confirmed").data["changed"] == [
        "description",
        "owner",
        "due_date",
    ]
    detail = signed_in(world.bob).get(action.get_absolute_url()).content.decode()
    assert "changed when it was confirmed" in detail


def test_declining_needs_a_reason_and_tells_the_auditor(world: World, proposed: Audit) -> None:
    item = _item(proposed, "See the child alone.")
    client = signed_in(world.head)
    url = f"/actions/audits/{proposed.public_id}/recommendations/"
    refused = client.post(url, {"item": str(item.public_id), "decision": "decline", "reason": ""})
    assert refused.status_code == 400
    assert "Say why the recommended action is declined." in refused.content.decode()
    item.refresh_from_db()
    assert item.is_proposed

    response = client.post(
        url,
        {
            "item": str(item.public_id),
            "decision": "decline",
            "reason": "The child was seen alone at school last week.",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.decline_reason) == (
        RecommendationStatus.DECLINED,
        "The child was seen alone at school last week.",
    )
    assert not Action.objects.filter(recommendation=item).exists()
    told = Notification.objects.get(recipient=world.cal, kind="actions.recommendation_declined")
    assert "The child was seen alone at school last week." in told.body
    assert Event.objects.filter(action="recommendation.declined", child_id=proposed.case.child_id)
    page = signed_in(world.cal).get(proposed.get_absolute_url()).content.decode()
    assert "Declined</strong> by" in page and "Reason: The child was seen alone" in page


def test_only_a_head_of_service_in_remit_decides(world: World, proposed: Audit) -> None:
    item = _item(proposed, "Complete a chronology.")
    url = f"/actions/audits/{proposed.public_id}/recommendations/"
    decline = {"item": str(item.public_id), "decision": "decline", "reason": "No."}
    for person in (world.cal, world.amy, world.lead, world.admin, world.practitioner):
        assert signed_in(person).post(url, decline).status_code == 403
    elsewhere = UserFactory(
        username="hugo", role="head_of_service", areas=[area("children-in-care")]
    )
    assert signed_in(elsewhere).post(url, decline).status_code == 404
    assert signed_in(world.head).get(f"{url}?item={uuid.uuid4()}").status_code == 404
    item.refresh_from_db()
    assert item.is_proposed
    # A draft's recommendations wait for its submission.
    draft = started(world)
    assert signed_in(world.head).get(
        f"/actions/audits/{draft.public_id}/recommendations/"
    ).status_code in (404, 409)
