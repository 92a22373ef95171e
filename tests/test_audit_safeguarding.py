"""Is the child safe now? Asked on every audit; "no" or "not sure" alerts the team
manager and the area's Head of Service at once — before submission, whatever the
ratings, by email through a real SMTP server — escalates to the Assistant Director when
nobody acknowledges it the same day, and is counted in the report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from qpa.accounts.models import Role
from qpa.audits import services
from qpa.audits.models import Audit, AuditAlert, AuditStatus, Severity
from qpa.notifications.models import EmailStatus, Notification
from qpa.notifications.services import notification_acknowledge
from qpa.reports.summary import report_summary
from tests.support.audits import JSON_SAVE, completed, fresh, started, submit
from tests.support.factories import CP_CORE, UserFactory, area
from tests.support.mail import SmtpServer
from tests.support.people import signed_in
from tests.support.worlds import World

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def safety_url(audit: Audit) -> str:
    return f"/audits/{audit.public_id}/safety/"


def answer(audit: Audit, child_safe: str, reason: str = "", **extra: str) -> dict[str, str]:
    return {
        "version": str(fresh(audit).version),
        "child_safe": child_safe,
        "child_safe_reason": reason,
        "then": "continue",
        **extra,
    }


def alerted(kind: str = "audits.safeguarding") -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


# --- The question --------------------------------------------------------------------


def test_the_question_is_on_the_task_list_and_needs_an_answer_and_a_reason(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    tasks = client.get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert "The child’s safety" in tasks and f'href="{safety_url(audit)}"' in tasks
    assert re.search(r'id="task-safety-status">.*Not yet started', tasks)

    page = client.get(safety_url(audit)).content.decode()
    assert '<h1 class="govuk-heading-l">Is the child safe now?</h1>' in page
    for choice in ("Yes", "No", "Not sure"):
        assert f">{choice}</label>" in page
    assert "call the team manager or the duty team now, or the police on 999" in page

    blank = client.post(safety_url(audit), answer(audit, ""))
    assert blank.status_code == 400
    body = blank.content.decode()
    assert "Choose yes, no or not sure." in body and "Say why you think so." in body
    no_reason = client.post(safety_url(audit), answer(audit, "yes"))
    assert no_reason.status_code == 400 and "Say why you think so." in no_reason.content.decode()
    assert fresh(audit).child_safe == ""

    saved = client.post(safety_url(audit), answer(audit, "yes", "Seen alone on Monday."))
    assert saved.status_code == 302 and saved["Location"] == f"/audits/{audit.public_id}/tasks/"
    audit = fresh(audit)
    assert (audit.child_safe, audit.child_safe_reason) == ("yes", "Seen alone on Monday.")
    tasks = client.get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert re.search(r'id="task-safety-status">Completed', tasks)
    assert "You have completed 1 of 5 sections" in tasks
    assert not Notification.objects.exists()


def test_an_audit_is_not_submitted_without_the_answer(world: World) -> None:
    audit = completed(started(world))
    audit = services.audit_save_safety(
        acting_user=world.cal,
        audit=audit,
        version=audit.version,
        child_safe="",
        child_safe_reason="",
    )
    client = signed_in(world.cal)
    page = client.get(f"/audits/{audit.public_id}/check/").content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post(
        f"/audits/{audit.public_id}/check/", {"version": str(audit.version), "token": token}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Answer “Is the child safe now?” and say why" in body
    assert f'href="{safety_url(audit)}"' in body
    assert fresh(audit).status == AuditStatus.DRAFT


# --- The alert -----------------------------------------------------------------------


def test_not_sure_alerts_the_team_manager_and_head_of_service_at_once_before_submission(
    world: World,
) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    response = client.post(
        safety_url(audit), answer(audit, "not_sure", "No visit recorded for eight weeks.")
    )
    assert response.status_code == 302
    assert fresh(audit).status == AuditStatus.DRAFT
    alerts = Notification.objects.filter(kind="audits.safeguarding")
    assert alerted() == {"amy", "harriet"}
    assert all(n.urgent for n in alerts)
    assert all(n.url == audit.get_absolute_url() for n in alerts)
    first = alerts.first()
    assert first is not None and "answered “Not sure” to “Is the child safe now?”" in first.body
    # The reason stays on the audit, not in an email.
    assert "eight weeks" not in first.body
    assert (
        AuditAlert.objects.filter(
            audit=audit, severity=Severity.SAFEGUARDING, submission__isnull=True
        ).count()
        == 2
    )

    # Saving again (a changed reason) alerts nobody twice; "no" is news, and alerts again.
    client.post(safety_url(audit), answer(audit, "not_sure", "No visit for nine weeks."))
    assert alerts.all().count() == 2
    again = client.post(
        safety_url(audit), answer(audit, "no", "Bruising seen, no strategy discussion.")
    )
    assert again.status_code == 302
    assert alerts.all().count() == 4

    # The task list, the audit page and check-your-answers say who was alerted.
    for url in (f"/audits/{audit.public_id}/tasks/", f"/audits/{audit.public_id}/check/"):
        page = client.get(url).content.decode()
        assert "Safeguarding concern" in page and "not acknowledged yet" in page
        assert str(world.head) in page and str(world.amy) in page
    shown = signed_in(world.head).get(f"/audits/{audit.public_id}/").content.decode()
    assert "The auditor answered “No” to “Is the child safe now?”." in shown
    assert "Bruising seen, no strategy discussion." in shown


def test_autosave_raises_the_alert_as_soon_as_the_answer_is_saved(world: World) -> None:
    audit = started(world)
    response = signed_in(world.cal).post(safety_url(audit), answer(audit, "no"), **JSON_SAVE)
    assert response.status_code == 200 and response.json()["status"] == "saved"
    assert alerted() == {"amy", "harriet"}


def test_the_alert_goes_whatever_the_ratings_and_submission_alerts_nobody_twice(
    world: World,
) -> None:
    audit = submit(completed(started(world), overall="Good", child_safe="not_sure"))
    assert audit.status == AuditStatus.SUBMITTED
    assert alerted() == {"amy", "harriet"}
    assert Notification.objects.filter(kind="audits.safeguarding").count() == 2
    assert not Notification.objects.filter(kind__in=["audits.inadequate", "audits.critical"])


def test_yes_alerts_nobody(world: World) -> None:
    submit(completed(started(world), overall="Good", child_safe="yes"))
    assert set(Notification.objects.values_list("kind", flat=True)) == {"audits.findings"}


def test_an_unacknowledged_alert_escalates_to_the_assistant_director_the_next_day(
    world: World,
) -> None:
    with time_machine.travel(T0, tick=False):
        quiet = completed(started(world), child_safe="not_sure")
        heard = completed(started(world), child_safe="no")
        # Harriet acknowledges the second audit's alert, for Amy too: Amy is not asked.
        notification_acknowledge(
            acting_user=world.head,
            notification=Notification.objects.get(
                kind="audits.safeguarding", audit_alert__audit=heard, recipient=world.head
            ),
        )
        amys = Notification.objects.get(
            kind="audits.safeguarding", audit_alert__audit=heard, recipient=world.amy
        )
        assert amys.acknowledged_by == world.head and not amys.needs_acknowledgement
        # Nobody acknowledges the first audit's alert.
        assert services.safeguarding_alerts_escalate() == 0  # the same day: still time

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        out = StringIO()
        call_command("audits", "escalate", stdout=out)
        assert "1 safeguarding escalations" in out.getvalue()
        call_command("audits", "escalate", stdout=StringIO())  # cron again: nothing new

    escalations = Notification.objects.filter(kind="audits.safeguarding_escalated")
    assert [(n.recipient, n.urgent) for n in escalations] == [(world.lead, True)]
    assert escalations[0].url == quiet.get_absolute_url()
    assert str(world.amy) in escalations[0].body and str(world.head) in escalations[0].body


def test_the_alert_reaches_the_head_of_service_by_email_through_smtp(
    world: World, smtp: SmtpServer
) -> None:
    audit = started(world)
    signed_in(world.cal).post(safety_url(audit), answer(audit, "not_sure", "No recent visit."))
    alerts = Notification.objects.filter(kind="audits.safeguarding")
    assert all(n.email_status == EmailStatus.PENDING for n in alerts)

    smtp.start()
    call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())

    assert all(n.email_status == EmailStatus.DELIVERED for n in alerts.all())
    to_head = [m for m in smtp.mailbox.messages if m["To"] == world.head.email]
    assert len(to_head) == 1
    message = to_head[0]
    assert message["Subject"] == (
        f"Safeguarding concern from the audit of case {audit.case}: act today"
    )
    assert message["Importance"] == "high"
    text = message.get_content()
    assert "answered “Not sure” to “Is the child safe now?”" in text
    assert "No recent visit." not in text
    assert {rcpt for e in smtp.mailbox.envelopes for rcpt in e.rcpt_tos} == {
        world.amy.email,
        world.head.email,
    }


# --- The report ----------------------------------------------------------------------


def test_the_report_counts_safeguarding_concerns_of_the_audits_it_counts(world: World) -> None:
    for child_safe in ("not_sure", "yes", "no", "yes", "yes", "yes"):
        submit(completed(started(world), child_safe=child_safe))
    today = timezone.localdate()
    summary = report_summary(period_from=today, period_to=today, tool=CP_CORE)
    assert (summary["safeguarding_concerns"], summary["audits_completed"]) == (2, 6)
    elsewhere = report_summary(
        period_from=today, period_to=today, tool=CP_CORE, service_area="children-in-care"
    )
    assert elsewhere["safeguarding_concerns"] == 0
    quality = report_summary(period_from=today, period_to=today)  # another tool
    assert quality["safeguarding_concerns"] == 0
    # Suppressed like any small count when shared.
    shared = report_summary(period_from=today, period_to=today, tool=CP_CORE, suppress=True)
    assert shared["safeguarding_concerns"] is None

    month = f"{today:%Y-%m}"
    query = f"from={month}&to={month}&tool={CP_CORE}&unsuppressed=1"
    director = signed_in(world.lead)
    assert director.get(f"/reports/summary.json?{query}").json()["safeguarding_concerns"] == 2
    page = director.get(f"/reports/?{query}").content.decode()
    assert "Safeguarding concerns raised: 2 of 6 audits" in page


def test_areas_outside_the_audit_hear_nothing(world: World) -> None:
    UserFactory(username="cyril", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")])
    completed(started(world), child_safe="no")
    assert alerted() == {"amy", "harriet"}
