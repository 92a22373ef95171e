"""The demo council: deterministic, realistic, and only for an empty database."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import Client

from qpa.accounts.models import User
from qpa.actions.models import Action
from qpa.assurance.models import Moderation, ReAudit
from qpa.audits.models import (
    Audit,
    AuditStatus,
    DomainRating,
    RecommendedAction,
    VoiceAnswer,
)
from qpa.cases.models import Case, CaseStatus
from qpa.cycles.models import Allocation
from qpa.demo.council import DemoDataExists, build_demo
from qpa.reports.phrases import evidence_contrast
from qpa.reports.report import ReportParams

TODAY = date(2026, 11, 26)


def _fingerprint() -> str:
    rows = Audit.objects.order_by(
        "case__child_id", "audit_date", "tool_version", "auditor__username", "status"
    ).values_list(
        "case__child_id", "audit_date", "overall_rating__label", "auditor__username", "status"
    )
    allocations = Allocation.objects.order_by(
        "sampled_case__cycle__due_date", "sampled_case__case__child_id"
    ).values_list("sampled_case__case__child_id", "auditor__username", "status", "due_date")
    reaudits = ReAudit.objects.order_by("original__case__child_id").values_list(
        "original__case__child_id", "auditor__username", "due_date", "reaudit__status"
    )
    moderations = Moderation.objects.order_by("rank").values_list(
        "allocation__sampled_case__case__child_id",
        "moderator__username",
        "moderation_audit__status",
    )
    everything = [list(rows), list(allocations), list(reaudits), list(moderations)]
    return hashlib.sha256(repr(everything).encode()).hexdigest()


def _words_fingerprint() -> str:
    """What the auditors wrote and answered, and the actions they recommended."""
    order = ("audit__case__child_id", "audit__audit_date", "audit__tool_version")
    evidence = DomainRating.objects.order_by(*order, "domain__order").values_list(
        "audit__case__child_id", "domain__name", "evidence"
    )
    answers = VoiceAnswer.objects.order_by(*order, "question__order").values_list(
        "audit__case__child_id", "question__order", "answer", "text"
    )
    recommended = RecommendedAction.objects.order_by(*order, "description").values_list(
        "audit__case__child_id", "description", "status", "due_date"
    )
    rows = [list(evidence), list(answers), list(recommended)]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.django_db
def test_demo_council_resembles_the_briefing() -> None:
    counts = build_demo(today=TODAY)
    assert 2400 <= counts["open_cases"] <= 2600
    assert Case.objects.filter(status=CaseStatus.OPEN).count() == counts["open_cases"]
    assert Case.objects.filter(status=CaseStatus.OPEN, service_area=None).count() == 0
    submitted = Audit.objects.filter(
        status=AuditStatus.SUBMITTED, tool_version__tool__slug="quality-of-practice"
    )
    assert 450 <= submitted.count() <= 650
    mix = Counter(submitted.values_list("overall_rating__label", flat=True))
    share = {label: n / submitted.count() for label, n in mix.items()}
    assert 0.25 < share["Good"] < 0.45
    assert 0.33 < share["Adequate"] < 0.53
    assert 0.12 < share["Inadequate"] < 0.27
    assert mix["Critical"] >= 1
    # Every submitted audit rated every domain of its tool (or marked it not applicable).
    assert DomainRating.objects.filter(audit__in=submitted).count() == submitted.count() * 10
    # No auditor audited their own team's case.
    assert not submitted.filter(case__team__manager=models_f("auditor")).exists()


def models_f(name: str):  # type: ignore[no-untyped-def]
    from django.db.models import F

    return F(name)


@pytest.mark.django_db
def test_demo_council_is_deterministic() -> None:
    with transaction.atomic():
        build_demo(today=TODAY)
        first = _fingerprint()
        words = _words_fingerprint()
        transaction.set_rollback(True)
    assert not Case.objects.exists()
    build_demo(today=TODAY)
    assert _fingerprint() == first
    assert _words_fingerprint() == words


@pytest.mark.django_db
def test_demo_data_refuses_a_database_that_holds_cases() -> None:
    build_demo(today=TODAY)
    with pytest.raises(DemoDataExists):
        build_demo(today=TODAY)


@pytest.mark.django_db
def test_demo_data_refuses_outside_the_demo_settings_and_creates_nothing(settings):
    settings.QPA_DEMO_MODE = False
    with pytest.raises(CommandError, match="only under the demo settings"):
        call_command("demo-data")
    assert not Case.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_demo_evidence_teaches_the_themes_real_audits_find() -> None:
    build_demo(today=TODAY)
    director = User.objects.get(username="assistant.director")
    params = ReportParams.build(
        period_from=date(2025, 12, 1), period_to=TODAY, tool="quality-of-practice"
    )
    found = evidence_contrast(
        reader=director,
        filters=params.filters,
        period_from=params.period_from,
        period_to=params.period_to,
    )
    poor = [p.text for p in found.poor]
    good = [p.text for p in found.good]
    print(poor, good)
    assert {"no chronology", "not recorded", "not seen"} <= set(poor)
    assert {"clear analysis", "analysis of risk"} & set(good)
    people = {
        word.casefold()
        for first, last in User.objects.values_list("first_name", "last_name")
        for word in (first, last)
    }
    shown = {word for phrase in poor + good for word in phrase.split()}
    assert not shown & people
    # Every submitted audit of the tool answered its four questions about the child's
    # voice and the family's view, and the report counts them.
    submitted = Audit.objects.filter(
        status=AuditStatus.SUBMITTED, tool_version__tool__slug="quality-of-practice"
    )
    assert VoiceAnswer.objects.filter(audit__in=submitted).count() == submitted.count() * 4
    shares = params.summary()["child_and_family"]
    assert 0 < shares["child_lived_experience"]["evident"] < shares["child_lived_experience"]["n"]
    # Recent inadequate audits carry recommended actions waiting for a decision; older
    # ones were confirmed into follow-up actions or declined with a reason.
    waiting = RecommendedAction.objects.filter(status="proposed")
    assert waiting.exists()
    assert Action.objects.filter(recommendation__isnull=False).exists()
    assert not RecommendedAction.objects.filter(status="declined", decline_reason="").exists()


def _page(username: str, path: str) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(path)
    assert response.status_code == 200, (username, path)
    return response.content.decode()


@pytest.mark.django_db
def test_demo_council_is_realistic_and_every_queue_has_something_in_it() -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, tzinfo=UTC), tick=False):
        build_demo(today=TODAY)
        # No case opens before its child is born or closes before it opens; no audit
        # comes before its case opened, or after today.
        assert not Case.objects.filter(opened_on__lt=F("date_of_birth")).exists()
        assert not Case.objects.filter(closed_on__lt=F("opened_on")).exists()
        for start in ("cin_start_date", "cp_plan_start_date", "looked_after_start_date"):
            assert not Case.objects.filter(**{f"{start}__lt": F("date_of_birth")}).exists()
        assert not Audit.objects.filter(audit_date__lt=F("case__opened_on")).exists()
        assert not Audit.objects.filter(audit_date__gt=TODAY).exists()

        # The Head of Service's follow-up queue: alerts acknowledged, read and not yet
        # seen; no action yet, actions overdue and all done; re-audits due and done.
        queue = _page("head.of.service", "/assurance/follow-up/") + _page(
            "head.of.service", "/assurance/follow-up/?page=2"
        )
        for text in ("Acknowledged by", "Read by", "Not yet", "None yet", "Overdue", "All done"):
            assert text in queue, text
        assert ">Done<" in queue and ">Due in 2026-Q4<" in queue
        # Actions in my areas: overdue ones and ones not yet due.
        areas = _page("head.of.service", "/actions/areas/")
        assert "Overdue" in areas and "December 2026" in areas
        # Cycle progress: last month's audits submitted, some overdue; this month's and
        # the themed cycle under way.
        home = _page("head.of.service", "/")
        assert "Overdue" in home and "In progress" in home
        statuses = Counter(Allocation.objects.values_list("status", flat=True))
        assert statuses["completed"] >= 30 and statuses["allocated"] >= 30
        # The demo auditor has cases of both tools, one overdue and some started.
        mine = _page("auditor", "/cycles/my-allocations/")
        assert "Quality of Practice, October 2026" in mine and "Themed:" in mine
        assert "Overdue" in mine and "Continue the audit" in mine and "View the audit" in mine
        # A moderation under way and some agreed: the agreement is measured.
        moderations = Moderation.objects.select_related("moderation_audit")
        assert moderations.filter(moderation_audit__status=AuditStatus.DRAFT).exists()
        assert moderations.filter(agreed_at__isnull=False).count() >= 5
        assert "agreed" in _page("assistant.director", "/assurance/moderation/")
        # Re-audits: done, due, and one overdue.
        reaudits = ReAudit.objects.select_related("reaudit")
        assert reaudits.filter(reaudit__status=AuditStatus.SUBMITTED).exists()
        assert reaudits.filter(reaudit__status=AuditStatus.DRAFT, due_date__gt=TODAY).exists()
        assert reaudits.filter(reaudit__status=AuditStatus.DRAFT, due_date__lt=TODAY).exists()
        # A practitioner replied to the audit of their case, and has an action to do.
        replied = Audit.objects.get(reply__author__username="practitioner")
        assert "Thank you for the audit" in _page("practitioner", replied.get_absolute_url())
        assert Action.objects.filter(owner__username="practitioner", status="open").exists()
