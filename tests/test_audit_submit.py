"""Submitting an audit: once only, then locked; the practitioner is told and replies;
a Head of Service reopens with a reason; inadequate and critical ratings alert exactly
the team manager and the area's Head of Service, by email too, and critical ones
escalate to the Assistant Director when nobody acknowledges them the same day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from qpa.accounts.models import Role, User
from qpa.audits import services
from qpa.audits.models import Audit, AuditAlert, AuditChange, AuditReply, AuditStatus, ChangeKind
from qpa.core.models import Event
from qpa.cycles.models import AllocationStatus
from qpa.cycles.services import allocations_mark_completed
from qpa.notifications.models import EmailStatus, Notification
from qpa.notifications.services import notification_acknowledge
from tests.support.audits import completed, domain_post, domain_url, fresh, started, submit
from tests.support.factories import UserFactory, area
from tests.support.mail import SmtpServer
from tests.support.people import signed_in
from tests.support.worlds import World

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def check_url(audit: Audit) -> str:
    return f"/audits/{audit.public_id}/check/"


def recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def bystanders(world: World) -> dict[str, User]:
    """People who must hear nothing of a CP case's alerts."""
    world.lead.service_areas.set([area("child-protection")])
    return {
        "cic_head": UserFactory(
            username="cyril", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
        ),
        "cic_director": UserFactory(
            username="diane", role=Role.ASSISTANT_DIRECTOR, areas=[area("children-in-care")]
        ),
        "deputy": UserFactory(username="deputy", role=Role.DEPUTY_DIRECTOR),
    }


# --- Submitting once -----------------------------------------------------------------


def test_an_incomplete_audit_is_not_submitted_and_the_missing_sections_are_listed(
    world: World,
) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    page = client.get(check_url(audit)).content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post(check_url(audit), {"version": str(audit.version), "token": token})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "<title>Error: " in body
    assert "Complete Strategy discussion" in body
    assert f'href="/audits/{audit.public_id}/overall/"' in body
    assert fresh(audit).status == AuditStatus.DRAFT
    assert not AuditChange.objects.exists() and not Notification.objects.exists()


def test_a_double_submit_creates_one_submission_and_both_land_on_the_audit(world: World) -> None:
    audit = completed(started(world))
    client = signed_in(world.cal)
    page = client.get(check_url(audit)).content.decode()
    assert "Check your answers before submitting the audit" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    data = {"version": str(audit.version), "token": token}

    first = client.post(check_url(audit), data)
    second = client.post(check_url(audit), data)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/audits/{audit.public_id}/"
    assert AuditChange.objects.filter(audit=audit, kind=ChangeKind.SUBMITTED).count() == 1
    assert Notification.objects.filter(kind="audits.findings").count() == 1
    audit = fresh(audit)
    assert audit.status == AuditStatus.SUBMITTED and audit.audit_date is not None
    assert audit.version == int(data["version"]) + 1


def test_the_same_token_through_the_service_twice_submits_once(world: World) -> None:
    audit = completed(started(world))
    token = uuid.uuid4()
    version = audit.version
    once = services.audit_submit(acting_user=world.cal, audit=audit, version=version, token=token)
    twice = services.audit_submit(acting_user=world.cal, audit=audit, version=version, token=token)
    assert once.pk == twice.pk and twice.version == version + 1
    assert AuditChange.objects.filter(kind=ChangeKind.SUBMITTED).count() == 1
    # A new form (a new token) for a submitted audit is refused: it is locked.
    with pytest.raises(services.AuditLocked):
        services.audit_submit(
            acting_user=world.cal, audit=audit, version=version, token=uuid.uuid4()
        )


def test_a_submit_without_version_or_token_is_rejected(world: World) -> None:
    audit = completed(started(world))
    client = signed_in(world.cal)
    assert client.post(check_url(audit), {"version": str(audit.version)}).status_code == 400
    assert client.post(check_url(audit), {"token": str(uuid.uuid4())}).status_code == 400
    assert fresh(audit).status == AuditStatus.DRAFT


def test_a_submit_from_a_stale_page_is_refused_and_shows_the_change(world: World) -> None:
    audit = completed(started(world))
    client = signed_in(world.cal)
    stale = audit.version
    signed_in(world.cal).post(
        domain_url(audit), domain_post(audit, version=stale, evidence="Changed in another tab.")
    )
    response = client.post(check_url(audit), {"version": str(stale), "token": str(uuid.uuid4())})
    assert response.status_code == 409
    body = response.content.decode()
    assert "The audit was not submitted: it changed after you opened this page" in body
    assert "Changed in another tab." in body
    assert fresh(audit).status == AuditStatus.DRAFT


def test_submitting_completes_the_allocation_and_cycle_remind_still_agrees(world: World) -> None:
    audit = submit(completed(started(world)))
    assert audit.allocation is not None
    assert audit.allocation.status == AllocationStatus.COMPLETED
    assert allocations_mark_completed() == 0
    assert Event.objects.filter(action="audit.submitted", actor_username="cal").exists()


# --- Locked --------------------------------------------------------------------------


def test_a_submitted_audit_is_locked_and_every_edit_url_says_so(world: World) -> None:
    audit = submit(completed(started(world)))
    client = signed_in(world.cal)
    for url in (
        f"/audits/{audit.public_id}/tasks/",
        domain_url(audit),
        f"/audits/{audit.public_id}/overall/",
        check_url(audit),
    ):
        response = client.get(url)
        assert response.status_code == 409, url
        assert "This audit has been submitted and is locked" in response.content.decode()
    before = fresh(audit).version
    refused = client.post(domain_url(audit), domain_post(audit, version=before, evidence="late"))
    assert refused.status_code == 409
    autosave = client.post(
        domain_url(audit),
        domain_post(audit, version=before, evidence="late"),
        HTTP_ACCEPT="application/json",
    )
    assert autosave.status_code == 409 and autosave.json()["status"] == "locked"
    with pytest.raises(services.AuditLocked):
        completed(fresh(audit))
    assert fresh(audit).version == before
    page = client.get(f"/audits/{audit.public_id}/").content.decode()
    assert "Submitted" in page and "locked" in page and "Evidence for Strategy discussion." in page


def test_the_history_is_append_only(world: World) -> None:
    submit(completed(started(world)))
    change = AuditChange.objects.get()
    with pytest.raises(ValidationError):
        AuditChange.objects.update(reason="rewritten")
    with pytest.raises(ValidationError):
        change.delete()
    with pytest.raises(ValidationError):
        change.save()


# --- The practitioner ----------------------------------------------------------------


def test_the_practitioner_is_told_reads_the_findings_and_replies_once(world: World) -> None:
    audit = submit(completed(started(world)))
    told = Notification.objects.get(kind="audits.findings")
    assert told.recipient == world.practitioner and told.url == f"/audits/{audit.public_id}/"

    client = signed_in(world.practitioner)
    page = client.get(f"/audits/{audit.public_id}/").content.decode()
    assert "Evidence for Strategy discussion." in page and "Reply to the findings" in page
    assert "/reopen/" not in page
    missing = client.post(f"/audits/{audit.public_id}/reply/", {"text": "  "})
    assert missing.status_code == 400 and "Enter your reply." in missing.content.decode()
    response = client.post(
        f"/audits/{audit.public_id}/reply/", {"text": "The visits were missed while I was ill."}
    )
    assert response.status_code == 302
    again = client.post(f"/audits/{audit.public_id}/reply/", {"text": "And another thing."})
    assert again.status_code == 409
    assert AuditReply.objects.get(audit=audit).text == "The visits were missed while I was ill."
    for reader in (world.practitioner, world.cal, world.head):
        shown = signed_in(reader).get(f"/audits/{audit.public_id}/").content.decode()
        assert "The visits were missed while I was ill." in shown


def test_only_the_cases_practitioner_replies(world: World) -> None:
    audit = submit(completed(started(world)))
    other = UserFactory(username="otto", role=Role.PRACTITIONER)
    assert (
        signed_in(other).post(f"/audits/{audit.public_id}/reply/", {"text": "x"}).status_code == 404
    )
    assert (
        signed_in(world.cal).post(f"/audits/{audit.public_id}/reply/", {"text": "x"}).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.audit_reply(acting_user=other, audit=audit, text="x")
    assert not AuditReply.objects.exists()


# --- Reopening -----------------------------------------------------------------------


def test_a_head_of_service_reopens_with_a_reason_that_is_logged_and_shown(world: World) -> None:
    audit = submit(completed(started(world)))
    client = signed_in(world.head)
    assert "Reopen this audit" in client.get(f"/audits/{audit.public_id}/").content.decode()
    blank = client.post(f"/audits/{audit.public_id}/reopen/", {"reason": ""})
    assert blank.status_code == 400
    assert "Enter the reason for reopening the audit." in blank.content.decode()
    assert fresh(audit).status == AuditStatus.SUBMITTED

    response = client.post(
        f"/audits/{audit.public_id}/reopen/", {"reason": "Domain 2 rated on the wrong case notes."}
    )
    assert response.status_code == 302
    audit = fresh(audit)
    assert audit.status == AuditStatus.DRAFT and audit.submitted_at is None
    change = AuditChange.objects.get(kind=ChangeKind.REOPENED)
    assert (change.actor, change.reason) == (world.head, "Domain 2 rated on the wrong case notes.")
    told = Notification.objects.get(kind="audits.reopened")
    assert told.recipient == world.cal and "wrong case notes" in told.body
    page = client.get(f"/audits/{audit.public_id}/").content.decode()
    assert "Reopened by" in page and "Domain 2 rated on the wrong case notes." in page
    # The auditor can change it again and submit it again.
    resubmitted = submit(completed(audit, overall="Adequate"))
    assert resubmitted.status == AuditStatus.SUBMITTED
    assert AuditChange.objects.filter(kind=ChangeKind.SUBMITTED).count() == 2


def test_only_a_head_of_service_in_remit_reopens(world: World, bystanders: dict[str, User]) -> None:
    audit = submit(completed(started(world)))
    url = f"/audits/{audit.public_id}/reopen/"
    assert signed_in(world.cal).post(url, {"reason": "mine"}).status_code == 403
    assert signed_in(world.lead).post(url, {"reason": "director"}).status_code == 403
    assert signed_in(world.practitioner).post(url, {"reason": "p"}).status_code == 403
    assert signed_in(bystanders["cic_head"]).post(url, {"reason": "other area"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.audit_reopen(acting_user=world.cal, audit=audit, reason="x")
    assert fresh(audit).status == AuditStatus.SUBMITTED
    assert not AuditChange.objects.filter(kind=ChangeKind.REOPENED).exists()


# --- Remit ---------------------------------------------------------------------------


def test_audits_out_of_remit_answer_404(world: World, bystanders: dict[str, User]) -> None:
    audit = submit(completed(started(world)))
    url = f"/audits/{audit.public_id}/"
    for person in (world.bob, bystanders["cic_head"], UserFactory(role=Role.PRACTITIONER)):
        assert signed_in(person).get(url).status_code == 404, person
    for person in (world.cal, world.head, world.lead, world.practitioner, world.amy):
        assert signed_in(person).get(url).status_code == 200, person
    assert signed_in(world.admin).get(url).status_code == 404


# --- Alerts --------------------------------------------------------------------------


def test_an_inadequate_submission_alerts_the_team_manager_and_head_of_service_only(
    world: World, bystanders: dict[str, User]
) -> None:
    # Adequate overall, one domain inadequate: that is enough.
    audit = submit(completed(started(world), overall="Adequate", domains={2: "Inadequate"}))
    assert recipients("audits.inadequate") == {"amy", "harriet"}
    assert not Notification.objects.filter(kind__startswith="audits.critical").exists()
    alerts = Notification.objects.filter(kind="audits.inadequate")
    assert not any(n.urgent for n in alerts)
    assert all(n.url == audit.get_absolute_url() for n in alerts)
    assert AuditAlert.objects.filter(audit=audit).count() == 2
    # The practitioner hears of the findings, not of an alert; nobody else hears a thing.
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "amy",
        "harriet",
        "petra",
    }


def test_a_good_submission_alerts_nobody(world: World) -> None:
    submit(completed(started(world), overall="Good"))
    assert set(Notification.objects.values_list("kind", flat=True)) == {"audits.findings"}


def test_a_critical_submission_alerts_the_same_people_urgently(
    world: World, bystanders: dict[str, User]
) -> None:
    submit(completed(started(world), overall="Inadequate", domains={3: "Critical"}))
    assert recipients("audits.critical") == {"amy", "harriet"}
    assert all(n.urgent for n in Notification.objects.filter(kind="audits.critical"))
    assert not Notification.objects.filter(kind="audits.inadequate").exists()
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "amy",
        "harriet",
        "petra",
    }


def test_alerts_are_written_in_the_submissions_transaction(world: World) -> None:
    audit = completed(started(world), overall="Critical")
    with (
        mock.patch.object(services, "_tell_practitioner", side_effect=RuntimeError("crash")),
        pytest.raises(RuntimeError),
    ):
        submit(audit)
    assert fresh(audit).status == AuditStatus.DRAFT
    assert not Notification.objects.exists() and not AuditAlert.objects.exists()


def test_the_ilacs_scale_has_no_critical_rating(world: World) -> None:
    from qpa.tools.models import RatingScale

    assert services.critical_rank(RatingScale.objects.get(slug="ilacs")) is None
    assert services.critical_rank(RatingScale.objects.get(slug="quality-of-practice")) == 5


def test_an_unacknowledged_critical_alert_escalates_to_the_assistant_director_next_day(
    world: World, bystanders: dict[str, User]
) -> None:
    with time_machine.travel(T0, tick=False):
        audit = submit(completed(started(world), overall="Critical"))
        acknowledged = submit(completed(started(world), overall="Critical"))
        # Harriet acknowledges the second audit's alert, for Amy too: Amy is not asked.
        notification_acknowledge(
            acting_user=world.head,
            notification=Notification.objects.get(
                kind="audits.critical", audit_alert__audit=acknowledged, recipient=world.head
            ),
        )
        amys = Notification.objects.get(
            kind="audits.critical", audit_alert__audit=acknowledged, recipient=world.amy
        )
        assert amys.acknowledged_by == world.head and not amys.needs_acknowledgement
        # Nobody acknowledges the first audit's alert. The same day there is still time.
        assert services.critical_alerts_escalate() == 0

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        out = StringIO()
        call_command("audits", "escalate", stdout=out)
        assert "1 critical-audit escalations" in out.getvalue()
        call_command("audits", "escalate", stdout=StringIO())  # cron again: nothing new

    escalations = Notification.objects.filter(kind="audits.critical_escalated")
    assert [(n.recipient, n.urgent) for n in escalations] == [(world.lead, True)]
    assert escalations[0].url == audit.get_absolute_url()
    assert str(world.amy) in escalations[0].body and str(world.head) in escalations[0].body


def test_escalation_falls_back_to_every_assistant_director(world: World) -> None:
    with time_machine.travel(T0, tick=False):
        submit(completed(started(world), overall="Critical"))
    other = UserFactory(username="andy", role=Role.ASSISTANT_DIRECTOR)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert services.critical_alerts_escalate() == 2
    assert recipients("audits.critical_escalated") == {world.lead.username, other.username}


# --- Email ---------------------------------------------------------------------------


def test_alert_emails_reach_the_smtp_server_and_wait_safely_for_the_worker(
    world: World,
    smtp: SmtpServer,
) -> None:
    audit = submit(completed(started(world), overall="Critical"))
    alerts = Notification.objects.filter(kind="audits.critical")
    # The worker has not run (or died before delivering): every alert is in the outbox.
    assert alerts.count() == 2
    assert all(n.email_status == EmailStatus.PENDING for n in alerts)
    assert smtp.mailbox.envelopes == []

    smtp.start()
    call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())

    assert all(n.email_status == EmailStatus.DELIVERED for n in alerts.all())
    to = {rcpt for e in smtp.mailbox.envelopes for rcpt in e.rcpt_tos}
    assert to == {world.amy.email, world.head.email, world.practitioner.email}
    subjects = {m["Subject"] for m in smtp.mailbox.messages}
    assert f"Critical audit of case {audit.case}: acknowledge today" in subjects
