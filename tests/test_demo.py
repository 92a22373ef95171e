"""The demo council: deterministic, realistic, and only for an empty database."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from qpa.accounts.models import User
from qpa.actions.models import Action
from qpa.audits.models import (
    Audit,
    AuditStatus,
    DomainRating,
    RecommendedAction,
    VoiceAnswer,
)
from qpa.cases.models import Case, CaseStatus
from qpa.demo.council import DemoDataExists, build_demo
from qpa.reports.phrases import evidence_contrast
from qpa.reports.report import ReportParams

TODAY = date(2026, 11, 26)


def _fingerprint() -> str:
    rows = Audit.objects.order_by("case__child_id", "audit_date", "tool_version").values_list(
        "case__child_id", "audit_date", "overall_rating__label", "auditor__username"
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


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
    build_demo(today=TODAY)
    first = _fingerprint()
    words = _words_fingerprint()
    Action.objects.all().delete()
    RecommendedAction.objects.all().delete()
    VoiceAnswer.objects.all().delete()
    DomainRating.objects.all().delete()
    Audit.objects.all().delete()
    Case.objects.all().delete()
    from qpa.accounts.models import User
    from qpa.organisation.models import Team

    Team.objects.all().delete()
    User.objects.all().delete()
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
