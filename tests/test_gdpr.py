"""UK GDPR: a subject access export holds everything about a child, including who looked;
retention purges what is due, keeps what is under legal hold, and records the purge."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from qpa.accounts.models import User
from qpa.actions.models import Action, ActionReopening
from qpa.actions.services import action_complete, action_create, action_reopen
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits.models import Audit, AuditAlert, AuditChange, AuditReply, DomainRating
from qpa.audits.services import audit_reply
from qpa.cases.models import Case, CaseStatus
from qpa.core.events import event_record, events_about_child, verify_event_log
from qpa.core.models import Event
from qpa.dataprotection.retention import add_years, purge, retention_of
from qpa.notifications.models import Notification
from tests.support.audits import completed, started, submit
from tests.support.factories import CaseFactory, submitted_audit
from tests.support.people import Personas, signed_in
from tests.support.worlds import build_world

# --- Subject access ----------------------------------------------------------------


def test_subject_export_holds_the_case_its_audits_and_who_looked(
    personas: Personas, tmp_path: Path
) -> None:
    case = CaseFactory(child_id="SAR-CHILD", team=personas.cp_team, gender="Female")
    submitted_audit(
        case=case, auditor=personas.auditor, overall="Inadequate", audit_date=timezone.localdate()
    )
    other = CaseFactory(child_id="OTHER-CHILD", team=personas.cp_team)
    submitted_audit(case=other, overall="Critical", audit_date=timezone.localdate())
    signed_in(personas.head_of_cp).get("/")  # a list naming both children
    event_record(action="case.viewed", actor=personas.director, obj=case)
    event_record(action="case.viewed", actor=personas.director, obj=other)

    output = tmp_path / "sar.json"
    call_command("subject-export", "SAR-CHILD", "--output", str(output), stderr=StringIO())

    text = output.read_text()
    export = json.loads(text)
    assert export["child_id"] == "SAR-CHILD"
    assert export["case"]["child_id"] == "SAR-CHILD"
    assert export["case"]["gender"] == "Female"
    assert export["case"]["team"] == "CP Team A"
    (audit,) = export["audits"]
    assert audit["overall_rating"] == "Inadequate"
    assert audit["auditor"] == str(personas.auditor)
    assert len(audit["domain_ratings"]) == DomainRating.objects.filter(audit__case=case).count()
    assert {rating["rating"] for rating in audit["domain_ratings"]} == {"Inadequate"}
    looks = [(e["action"], e["who"]) for e in export["events"]]
    assert looks == [("audits.listed", "hilda"), ("case.viewed", "dora")]
    assert export["events"][1]["object_id"] == str(case.public_id)
    assert export["events"][0]["about"] == "a list of records that included this child"
    assert "OTHER-CHILD" not in text  # another child in the same list stays out
    assert output.stat().st_mode & 0o077 == 0
    exported = Event.objects.order_by("-seq").first()
    assert exported is not None
    assert (exported.action, exported.child_id) == ("subject.exported", "SAR-CHILD")


def test_subject_export_to_stdout_and_of_an_unknown_child(db: None) -> None:
    event_record(action="case.viewed", child_id="PURGED-ONCE")
    out = StringIO()
    call_command("subject-export", "PURGED-ONCE", stdout=out)
    export = json.loads(out.getvalue())
    assert export["case"] is None
    assert [e["action"] for e in export["events"]] == ["case.viewed"]
    with pytest.raises(CommandError, match="holds nothing about child NOBODY"):
        call_command("subject-export", "NOBODY", stdout=StringIO())


# --- Retention ------------------------------------------------------------------------


def _closed(child_id: str, years_ago: int, personas: Personas, **fields: object) -> Case:
    closed_on = add_years(timezone.localdate(), -years_ago) - timedelta(days=1)
    return CaseFactory(
        child_id=child_id,
        team=personas.cp_team,
        status=CaseStatus.CLOSED,
        closed_on=closed_on,
        **fields,
    )


@override_settings(
    QPA_RETENTION_CLOSED_CASE_YEARS=7,
    QPA_RETENTION_CHILD_PROTECTION_YEARS=35,
    QPA_RETENTION_LOOKED_AFTER_AGE=75,
)
def test_retention_rules_per_record_type(personas: Personas) -> None:
    closed = date(2020, 2, 29)
    plain = CaseFactory.build(status=CaseStatus.CLOSED, closed_on=closed)
    assert retention_of(plain).keep_until == date(2027, 2, 28)
    child_protection = CaseFactory.build(
        status=CaseStatus.CLOSED, closed_on=closed, cp_plan_start_date=date(2018, 1, 1)
    )
    assert retention_of(child_protection).keep_until == date(2055, 2, 28)
    looked_after = CaseFactory.build(
        status=CaseStatus.CLOSED,
        closed_on=closed,
        looked_after_start_date=date(2015, 1, 1),
        date_of_birth=date(2010, 6, 1),
    )
    assert retention_of(looked_after).keep_until == date(2085, 6, 1)
    assert retention_of(CaseFactory.build(status=CaseStatus.OPEN)).keep_until is None
    undated = CaseFactory.build(status=CaseStatus.CLOSED, closed_on=None)
    assert retention_of(undated).keep_until is None


@override_settings(QPA_RETENTION_CLOSED_CASE_YEARS=7, QPA_RETENTION_CHILD_PROTECTION_YEARS=35)
def test_purge_deletes_what_is_due_keeps_legal_holds_and_records_itself(
    personas: Personas,
) -> None:
    due = _closed("DUE", 8, personas)
    submitted_audit(case=due, overall="Good")
    held = _closed("HELD", 8, personas, legal_hold=True, legal_hold_reason="Inquiry ref 42")
    submitted_audit(case=held, overall="Good")
    _closed("RECENT", 6, personas)
    _closed("CHILD-PROTECTION", 8, personas, cp_plan_start_date=date(2010, 1, 1))
    CaseFactory(child_id="OPEN", team=personas.cp_team)
    event_record(action="case.viewed", actor=personas.director, obj=due)

    dry = StringIO()
    call_command("purge", "--dry-run", stdout=dry)
    assert "Would purge 1 closed case(s)" in dry.getvalue()
    assert "DUE: kept until" in dry.getvalue()
    assert "HELD: Inquiry ref 42" in dry.getvalue()
    assert Case.objects.filter(child_id="DUE").exists()
    assert not Event.objects.filter(action="retention.purged").exists()

    out = StringIO()
    call_command("purge", "--apply", stdout=out)

    remaining = set(Case.objects.values_list("child_id", flat=True))
    assert remaining == {"HELD", "RECENT", "CHILD-PROTECTION", "OPEN"}
    assert not Audit.objects.filter(case__child_id="DUE").exists()
    assert Audit.objects.filter(case=held).count() == 1
    record = Event.objects.get(action="retention.purged")
    assert record.data["child_ids"] == ["DUE"]
    assert record.data["deleted"]["cases.Case"] == 1
    assert record.data["deleted"]["audits.Audit"] == 1
    assert record.data["deleted"]["audits.DomainRating"] >= 1
    assert record.data["kept_under_legal_hold"] == 1
    assert "Purged 1 closed case(s)" in out.getvalue()
    assert "Deleted 1 cases.Case." in out.getvalue()
    # The log outlives the child's record, and says what became of it.
    assert [e.action for e in events_about_child("DUE")] == ["case.viewed", "retention.purged"]
    assert verify_event_log().intact


def test_purge_needs_a_mode_and_never_applies_early(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("purge", stdout=StringIO())
    with pytest.raises(CommandError, match="nothing is purged early"):
        call_command("purge", "--apply", "--on", "2099-01-01", stdout=StringIO())


def test_a_legal_hold_needs_a_reason_and_is_recorded(personas: Personas) -> None:
    case = CaseFactory(child_id="HOLD-ME", team=personas.cp_team)
    with pytest.raises(CommandError, match="Give the reason"):
        call_command("legal-hold", "HOLD-ME", "--reason", "  ", stdout=StringIO())
    call_command("legal-hold", "HOLD-ME", "--reason", "Litigation ref 7", stdout=StringIO())
    case.refresh_from_db()
    assert (case.legal_hold, case.legal_hold_reason) == (True, "Litigation ref 7")
    call_command("legal-hold", "HOLD-ME", "--release", stdout=StringIO())
    case.refresh_from_db()
    assert (case.legal_hold, case.legal_hold_reason) == (False, "")
    assert [e.action for e in events_about_child("HOLD-ME")] == [
        "case.legal_hold_set",
        "case.legal_hold_released",
    ]


@override_settings(QPA_RETENTION_CLOSED_CASE_YEARS=7, QPA_RETENTION_CHILD_PROTECTION_YEARS=7)
def test_purge_deletes_an_audit_with_everything_that_followed_it(db: None) -> None:
    """An audit through the whole process: its history, the alerts it sent, the
    practitioner's reply, a follow-up action reopened once, a re-audit and a moderation.
    When the closed case is past
    retention, all of it goes with the case, and nothing blocks the purge."""
    world = build_world(per_team=1)
    audit = submit(completed(started(world), overall="Inadequate", child_safe="no"))
    audit_reply(acting_user=world.practitioner, audit=audit, text="I have read the findings.")
    action = action_create(
        acting_user=world.head,
        audit=audit,
        description="Hold a strategy discussion this week.",
        owner=world.amy,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    action = action_complete(
        acting_user=world.amy, action=action, evidence="Strategy discussion held and minuted."
    )
    action_reopen(acting_user=world.head, action=action, reason="The minutes are not on file.")
    case = audit.case
    # Drawn for a re-audit, and its allocation for moderation, each with its second audit.
    now = timezone.now()

    def second_audit(auditor: User) -> Audit:
        return Audit.objects.create(
            case=case,
            tool_version=audit.tool_version,
            auditor=auditor,
            service_area=case.service_area,
            team=case.team,
        )

    ReAudit.objects.create(
        draw=ReAuditDraw.objects.create(
            quarter="2026-Q3", seed="5eed" * 16, requested_count=1, drawn_at=now
        ),
        original=audit,
        reaudit=second_audit(world.bob),
        auditor=world.bob,
        rank=1,
        due_date=timezone.localdate(),
    )
    assert audit.allocation is not None
    Moderation.objects.create(
        draw=ModerationDraw.objects.create(
            cycle=audit.allocation.sampled_case.cycle,
            share=0.1,
            seed="5eed" * 16,
            frame_size=1,
            drawn_at=now,
        ),
        allocation=audit.allocation,
        moderator=world.amy,
        moderation_audit=second_audit(world.amy),
        rank=1,
    )
    assert AuditChange.objects.filter(audit=audit).exists()
    assert AuditAlert.objects.filter(audit=audit).exists()
    alerted = list(AuditAlert.objects.filter(audit=audit).values_list("notification", flat=True))
    leading_here = Notification.objects.filter(url__startswith=action.get_absolute_url())
    assert leading_here.exists()  # the owner was told of the action, and of its reopening
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLOSED,
        closed_on=add_years(timezone.localdate(), -8),
        cp_plan_start_date=None,
        looked_after_start_date=None,
    )

    report = purge(today=timezone.localdate(), apply=True)

    assert report.blocked == {}
    assert report.purged_child_ids == [case.child_id]
    assert not Case.objects.filter(pk=case.pk).exists()
    for model in (
        Audit,
        AuditChange,
        AuditAlert,
        AuditReply,
        Action,
        ActionReopening,
        ReAudit,
        Moderation,
    ):
        assert not model.objects.exists(), model.__name__
    # The alerts' own messages named the case: they go too.
    assert not Notification.objects.filter(pk__in=alerted).exists()
    assert not leading_here.exists()
    assert verify_event_log().intact
