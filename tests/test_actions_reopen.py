"""Completing an action needs evidence that says something; a Head of Service may reopen
a completed action, saying why, and the action is open again for its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.actions import services
from qpa.actions.models import Action, ActionReopening, ActionStatus
from qpa.audits.models import Audit
from qpa.core.models import Event
from qpa.notifications.models import Notification
from tests.support.audits import completed, started, submit
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in
from tests.support.worlds import World

SHORT = "Say what was done and where the evidence is, in at least 20 characters"
EVIDENCE = "Core group held on 3 December; minutes on the case file."
REASON = "The minutes are not on the case file: add them, then complete it again."


@pytest.fixture
def inadequate(world: World) -> Audit:
    return submit(completed(started(world), overall="Inadequate"))


@pytest.fixture
def action(world: World, inadequate: Audit) -> Action:
    """An action owned by petra, the practitioner of the audited case."""
    return services.action_create(
        acting_user=world.head,
        audit=inadequate,
        description="Hold a core group meeting and record it.",
        owner=world.practitioner,
        due_date=timezone.localdate() + timedelta(days=14),
    )


@pytest.fixture
def done(world: World, action: Action) -> Action:
    return services.action_complete(
        acting_user=world.practitioner, action=action, evidence=EVIDENCE
    )


def _status(action: Action) -> str:
    return Action.objects.get(pk=action.pk).status


# --- Evidence that says something ----------------------------------------------------


def test_evidence_that_says_nothing_is_refused_and_the_action_stays_open(
    world: World, action: Action
) -> None:
    client = signed_in(world.practitioner)
    url = f"/actions/{action.public_id}/complete/"

    refused = client.post(url, {"evidence": "ok"})

    assert refused.status_code == 400
    body = refused.content.decode()
    assert f"{SHORT} (you have written 2)" in body
    assert 'class="govuk-error-summary"' in body
    assert _status(action) == ActionStatus.OPEN
    assert not Event.objects.filter(action="action.completed").exists()

    assert client.post(url, {"evidence": EVIDENCE}).status_code == 302
    assert _status(action) == ActionStatus.COMPLETED


def test_the_service_refuses_short_evidence_whoever_calls_it(world: World, action: Action) -> None:
    with pytest.raises(ValidationError) as refused:
        services.action_complete(acting_user=world.practitioner, action=action, evidence=" done ")
    assert SHORT in str(refused.value)
    assert _status(action) == ActionStatus.OPEN


# --- Reopening ----------------------------------------------------------------------


def test_a_head_of_service_reopens_a_completed_action_with_a_reason(
    world: World, done: Action
) -> None:
    client = signed_in(world.head)
    page = client.get(done.get_absolute_url()).content.decode()
    assert f'href="/actions/{done.public_id}/reopen/"' in page
    url = f"/actions/{done.public_id}/reopen/"
    assert client.get(url).status_code == 200

    response = client.post(url, {"reason": REASON})

    assert response.status_code == 302 and response["Location"] == done.get_absolute_url()
    reopened = Action.objects.get(pk=done.pk)
    assert reopened.status == ActionStatus.OPEN
    assert (reopened.completed_at, reopened.completed_by) == (None, None)
    event = Event.objects.get(action="action.reopened")
    assert (event.actor_username, event.object_id) == ("harriet", str(done.public_id))
    # The reason is kept with the action; the log, which is never purged, says only that
    # it was reopened.
    assert event.data == {}
    assert ActionReopening.objects.get(action=done).reason == REASON
    assert event.child_id == done.audit.case.child_id
    told = Notification.objects.get(kind="actions.reopened")
    assert told.recipient == world.practitioner and REASON in told.body

    # Its page says who reopened it, when, and why; its owner may complete it again.
    today = timezone.localdate()
    on_the_page = f"Reopened by {world.head} on {today.day} {today:%B %Y}: {REASON}"
    owner = signed_in(world.practitioner)
    page = owner.get(done.get_absolute_url()).content.decode()
    assert on_the_page in page
    assert "Evidence given before it was reopened" in page
    assert "Complete the action" in page
    assert on_the_page in owner.get(f"/actions/{done.public_id}/complete/").content.decode()
    assert (
        owner.post(
            f"/actions/{done.public_id}/complete/",
            {"evidence": "Minutes added to the case file on 4 December."},
        ).status_code
        == 302
    )
    assert _status(done) == ActionStatus.COMPLETED


def test_reopening_needs_a_reason(world: World, done: Action) -> None:
    url = f"/actions/{done.public_id}/reopen/"
    refused = signed_in(world.head).post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert "Enter why you are reopening the action." in refused.content.decode()
    with pytest.raises(ValidationError):
        services.action_reopen(acting_user=world.head, action=done, reason="")
    assert _status(done) == ActionStatus.COMPLETED
    assert not Event.objects.filter(action="action.reopened").exists()


def test_a_practitioner_cannot_reopen_even_their_own_action(world: World, done: Action) -> None:
    """petra owns the action and completed it: undoing the check on it is not hers to do."""
    client = signed_in(world.practitioner)
    url = f"/actions/{done.public_id}/reopen/"
    assert f'href="{url}"' not in client.get(done.get_absolute_url()).content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": REASON}).status_code == 403
    for person in (world.practitioner, world.amy, world.lead):
        with pytest.raises(PermissionDenied):
            services.action_reopen(acting_user=person, action=done, reason=REASON)
    assert _status(done) == ActionStatus.COMPLETED
    assert not Event.objects.filter(action="action.reopened").exists()


def test_an_action_not_completed_has_nothing_to_reopen(world: World, action: Action) -> None:
    client = signed_in(world.head)
    url = f"/actions/{action.public_id}/reopen/"
    assert client.get(url)["Location"] == action.get_absolute_url()
    assert client.post(url, {"reason": REASON})["Location"] == action.get_absolute_url()
    with pytest.raises(ValidationError):
        services.action_reopen(acting_user=world.head, action=action, reason=REASON)
    assert _status(action) == ActionStatus.OPEN
    assert not Event.objects.filter(action="action.reopened").exists()


def test_a_head_of_service_outside_the_actions_remit_is_answered_not_found(
    done: Action,
) -> None:
    elsewhere = UserFactory(role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")])
    url = f"/actions/{done.public_id}/reopen/"
    assert signed_in(elsewhere).get(url).status_code == 404
    assert signed_in(elsewhere).post(url, {"reason": REASON}).status_code == 404
    assert _status(done) == ActionStatus.COMPLETED
