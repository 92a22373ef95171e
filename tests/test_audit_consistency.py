"""What the auditor writes, checked before it is submitted: an overall rating more than a
grade from the domains asks why; too little evidence for an inadequate or critical
rating is refused; "Needs immediate manager action" only when it does, saying why; and
the case's facts beside every audit page, never its date of birth."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from qpa.audits import services
from qpa.audits.consistency import consistency_gap
from qpa.audits.models import Audit, AuditAlert, AuditStatus, DomainRating
from qpa.cases.models import Case
from qpa.notifications.models import Notification
from qpa.tools.models import Rating
from tests.support.audits import (
    JSON_SAVE,
    completed,
    domain_post,
    domain_url,
    domains_of,
    fresh,
    started,
    submit,
)
from tests.support.factories import rating
from tests.support.people import signed_in
from tests.support.worlds import World


def overall_url(audit: Audit) -> str:
    return f"/audits/{audit.public_id}/overall/"


def overall_post(audit: Audit, label: str, **extra: str) -> dict[str, Any]:
    return {
        "version": str(fresh(audit).version),
        "overall_rating": str(rating(label).pk),
        "overall_rationale": "The plan is followed.",
        "child_experience_captured": "yes",
        "child_experience_text": "",
        "family_view_captured": "yes",
        "family_view_text": "",
        "then": "continue",
        **extra,
    }


def rate_domains(audit: Audit, *labels: str) -> Audit:
    """Rate the domains in order, with ample evidence."""
    assert audit.auditor is not None
    for domain, label in zip(domains_of(audit), labels, strict=True):
        audit = services.audit_save_domain(
            acting_user=audit.auditor,
            audit=audit,
            domain=domain,
            version=audit.version,
            rating=rating(label),
            not_applicable=False,
            evidence="The case file shows a visit on 3 March and no plan review since.",
            strengths="",
            improvements="",
        )
    return audit


def submit_by_page(audit: Audit) -> Any:
    client = signed_in(audit.auditor)  # type: ignore[arg-type]
    page = client.get(f"/audits/{audit.public_id}/check/").content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    return client.post(
        f"/audits/{audit.public_id}/check/", {"version": str(audit.version), "token": token}
    )


# --- The rule ------------------------------------------------------------------------


def test_the_rule_is_more_than_one_grade_from_the_worst_or_the_best_domain(db: None) -> None:
    o, g, a, i, c = (
        rating(label) for label in ("Outstanding", "Good", "Adequate", "Inadequate", "Critical")
    )

    def gap(overall: Rating, *domains: Rating | None) -> str | None:
        return consistency_gap(overall, [(f"Domain {n}", r) for n, r in enumerate(domains, 1)])

    assert gap(o, g, c) == (
        "The overall rating, Outstanding, is more than one grade better than Domain 2, "
        "rated Critical."
    )
    assert gap(a, g, i) is None  # one grade either way is a judgement
    assert gap(g, g, a) is None
    assert gap(i, o, i) == (
        "The overall rating, Inadequate, is more than one grade worse than Domain 1, "
        "rated Outstanding."
    )
    assert gap(g, None, None) is None  # not applicable domains do not count
    assert consistency_gap(None, [("Domain 1", c)]) is None


# --- On the pages --------------------------------------------------------------------


def test_an_outstanding_case_with_a_critical_domain_asks_why_before_submission(
    world: World,
) -> None:
    audit = rate_domains(started(world), "Good", "Critical", "Good")
    audit = services.audit_save_safety(
        acting_user=world.cal,
        audit=audit,
        version=audit.version,
        child_safe="yes",
        child_safe_reason="Seen this week.",
    )
    client = signed_in(world.cal)
    assert (
        "Why does the overall rating differ" not in client.get(overall_url(audit)).content.decode()
    )

    refused = client.post(overall_url(audit), overall_post(audit, "Outstanding"))
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Say why the overall rating differs from the domains, or change it." in body
    assert "Why does the overall rating differ from the domains?" in body
    assert (
        "The overall rating, Outstanding, is more than one grade better than Child "
        "protection core assessment, rated Critical." in body
    )
    assert fresh(audit).overall_rating is None

    # Autosave keeps the draft; the task stays in progress and submission is refused.
    autosaved = client.post(overall_url(audit), overall_post(audit, "Outstanding"), **JSON_SAVE)
    assert autosaved.json()["status"] == "saved"
    audit = fresh(audit)
    assert audit.overall_rating == rating("Outstanding")
    assert services.overall_status(audit) == services.TaskStatus.IN_PROGRESS
    page = client.get(overall_url(audit)).content.decode()
    assert "Why does the overall rating differ from the domains?" in page
    response = submit_by_page(audit)
    assert response.status_code == 400
    assert "Say why the overall rating differs from the domains." in response.content.decode()
    assert fresh(audit).status == AuditStatus.DRAFT

    saved = client.post(
        overall_url(audit),
        overall_post(
            audit,
            "Outstanding",
            consistency_reason="The conference acted at once; the assessment gap is historic.",
        ),
    )
    assert saved.status_code == 302
    audit = fresh(audit)
    check = client.get(f"/audits/{audit.public_id}/check/").content.decode()
    assert "Why it differs from the domains" in check
    assert "The conference acted at once; the assessment gap is historic." in check
    assert submit_by_page(audit).status_code == 302
    assert fresh(audit).status == AuditStatus.SUBMITTED


def test_an_overall_rating_within_a_grade_needs_no_reason(world: World) -> None:
    audit = rate_domains(started(world), "Good", "Adequate", "Good")
    response = signed_in(world.cal).post(overall_url(audit), overall_post(audit, "Good"))
    assert response.status_code == 302
    assert fresh(audit).consistency_reason == ""


def test_an_inadequate_rating_with_too_little_evidence_is_refused(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    short = domain_post(
        audit,
        version=audit.version,
        evidence="No plan.",
        rating=str(rating("Inadequate").pk),
        then="continue",
    )
    refused = client.post(domain_url(audit), short)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert (
        "Write at least 50 characters of evidence for Strategy discussion: a rating of "
        "Inadequate needs what the case file shows, with dates and examples (you have "
        "written 8)." in body
    )
    assert not DomainRating.objects.exists()
    # A good rating takes any evidence; so does a draft being typed (autosave).
    good = {**short, "rating": str(rating("Good").pk)}
    assert client.post(domain_url(audit), good).status_code == 302
    typing = {**short, "version": str(fresh(audit).version)}
    assert client.post(domain_url(audit), typing, **JSON_SAVE).json()["status"] == "saved"
    answer = DomainRating.objects.get()
    assert services.domain_status(answer) == services.TaskStatus.IN_PROGRESS
    problems = dict(services.audit_problems(fresh(audit)))
    assert any(m.startswith("Write at least 50 characters") for m in problems)

    enough = {
        **short,
        "version": str(fresh(audit).version),
        "evidence": "No strategy discussion recorded after the referral of 3 March 2026.",
    }
    assert client.post(domain_url(audit), enough).status_code == 302


def test_the_minimum_is_a_setting(world: World, settings: Any) -> None:
    settings.QPA_MIN_EVIDENCE_CHARS = 10
    audit = started(world)
    data = domain_post(
        audit, version=audit.version, evidence="Nine char", rating=str(rating("Critical").pk)
    )
    refused = signed_in(world.cal).post(domain_url(audit), data)
    assert refused.status_code == 400
    assert "Write at least 10 characters" in refused.content.decode()
    data["evidence"] = "Ten chars!"
    assert signed_in(world.cal).post(domain_url(audit), data).status_code == 302


# --- Needs immediate manager action --------------------------------------------------


def detail(world: World, audit: Audit) -> str:
    return signed_in(world.head).get(f"/audits/{audit.public_id}/").content.decode()


def test_adequate_overall_with_an_inadequate_domain_is_not_immediate_manager_action(
    world: World,
) -> None:
    audit = submit(completed(started(world), overall="Adequate", domains={2: "Inadequate"}))
    page = detail(world, audit)
    assert "immediate manager action:" not in page and "Rated inadequate" not in page
    assert (
        "Not for immediate manager action, but Child protection core assessment is rated "
        "Inadequate: the team manager and the Head of Service were told." in page
    )


def test_a_critical_domain_needs_immediate_manager_action_and_says_which(world: World) -> None:
    audit = submit(completed(started(world), overall="Adequate", domains={3: "Critical"}))
    assert (
        "Needs immediate manager action: Child protection conference is rated Critical. "
        "Acknowledge it today." in detail(world, audit)
    )


def test_only_those_alerted_are_asked_to_acknowledge_a_critical_audit(world: World) -> None:
    audit = submit(completed(started(world), overall="Adequate", domains={3: "Critical"}))
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/").content.decode()
    assert "Child protection conference is rated Critical." in page
    assert "Acknowledge it today." not in page  # the auditor has nothing to acknowledge
    assert "Its team manager and Head of Service are asked to acknowledge it today." in page


def test_a_critical_alert_is_acknowledged_from_the_audit_page_for_everyone(
    world: World,
) -> None:
    audit = submit(completed(started(world), overall="Adequate", domains={3: "Critical"}))
    head = signed_in(world.head)
    page = head.get(f"/audits/{audit.public_id}/").content.decode()
    button = re.search(r'<form method="post" action="(/notifications/[^"]+/acknowledge/)"', page)
    assert button is not None and "Acknowledge the alert" in page
    answer = head.post(button.group(1), {"back": "item"})
    assert answer.status_code == 302 and answer["Location"] == audit.get_absolute_url()
    for reader in (world.head, world.amy):
        page = signed_in(reader).get(f"/audits/{audit.public_id}/").content.decode()
        assert f"Acknowledged by {world.head} on " in page, reader
        assert "Acknowledge it today." not in page and "Acknowledge the alert" not in page
    # From the inbox, the button still goes back to the inbox.
    amy = signed_in(world.amy)
    mine = Notification.objects.get(recipient=world.amy, kind="audits.critical")
    assert amy.post(f"/notifications/{mine.public_id}/acknowledge/")["Location"] == (
        "/notifications/"
    )


def test_a_critical_audit_that_alerted_nobody_says_so(world: World) -> None:
    audit = submit(completed(started(world), overall="Adequate", domains={3: "Critical"}))
    AuditAlert.objects.filter(audit=audit).delete()
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/").content.decode()
    assert "QPA sent no alert for it" in page
    assert "are asked to acknowledge it today" not in page


def test_an_inadequate_overall_judgement_needs_immediate_manager_action(world: World) -> None:
    audit = submit(completed(started(world), overall="Inadequate"))
    page = detail(world, audit)
    assert "Needs immediate manager action: the overall judgement is Inadequate;" not in page
    assert "Needs immediate manager action: the overall judgement is Inadequate.</strong>" in page


def test_a_good_audit_says_nothing_of_manager_action(world: World) -> None:
    audit = submit(completed(started(world), overall="Good"))
    page = detail(world, audit)
    assert "manager action" not in page


# --- The case beside the audit -------------------------------------------------------


def with_facts(case: Case) -> Case:
    case.date_of_birth = date(2015, 6, 14)
    case.gender = "a) Male"
    case.has_disability = True
    case.attributes = {
        "list_4": {
            "assessment_start_date": "2025-12-04",
            "assessment_authorisation_date": "2026-02-12",
        },
        "list_5": {"s47_start_date": "2025-12-17", "icpc_date": "2026-01-14"},
        "list_7": {
            "cp_plan_start_date": "2023-01-09",
            "latest_category_of_abuse": "Neglect",
            "previous_cp_plans": 2,
        },
    }
    case.save()
    return case


def test_every_audit_page_shows_the_case_and_each_domain_its_own_facts(world: World) -> None:
    audit = started(world)
    with_facts(audit.case)
    client = signed_in(world.cal)
    pages = {
        "tasks": f"/audits/{audit.public_id}/tasks/",
        "safety": f"/audits/{audit.public_id}/safety/",
        "strategy": domain_url(audit, 1),
        "assessment": domain_url(audit, 2),
        "overall": overall_url(audit),
        "check": f"/audits/{audit.public_id}/check/",
    }
    shown = {name: client.get(url).content.decode() for name, url in pages.items()}
    for name, page in shown.items():
        assert "The case: what QPA holds about the child" in page, name
        assert "The facts inform; the judgement stays the auditor’s." in page, name
        assert '<dd class="govuk-summary-list__value">Male</dd>' in page, name
        assert "14 June 2015" not in page and "2015-06-14" not in page, name
    assert "List 7: Child Protection" in shown["tasks"]
    # Christmas and New Year: 15 working days from 17 December 2025 is 12 January 2026.
    late_conference = "Initial conference more than 15 working days after the strategy discussion"
    late_assessment = "Assessment took more than 45 working days"
    assert late_conference in shown["strategy"] and late_assessment not in shown["strategy"]
    assert "the facts that bear on Strategy discussion" in shown["strategy"]
    assert late_assessment in shown["assessment"]
    assert "Second or subsequent child protection plan" in shown["tasks"]
    assert "Child protection plan over 2 years" in shown["tasks"]

    submitted = submit(completed(fresh(audit)))
    for reader in (world.head, world.amy):
        page = signed_in(reader).get(f"/audits/{submitted.public_id}/").content.decode()
        assert late_assessment in page and "14 June 2015" not in page


def test_the_panel_says_so_when_qpa_holds_no_dates(world: World) -> None:
    audit = started(world)
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/tasks/").content.decode()
    assert "QPA holds no Annex A dates for this child." in page
    assert "Not recorded" in page


def test_submitting_through_the_service_checks_the_same_rules(world: World) -> None:
    audit = rate_domains(started(world), "Good", "Critical", "Good")
    audit = services.audit_save_overall(
        acting_user=world.cal,
        audit=audit,
        version=audit.version,
        overall_rating=rating("Outstanding"),
        overall_rationale="Strong.",
        child_experience_captured="yes",
        child_experience_text="",
        family_view_captured="yes",
        family_view_text="",
    )
    audit = services.audit_save_safety(
        acting_user=world.cal,
        audit=audit,
        version=audit.version,
        child_safe="yes",
        child_safe_reason="Seen.",
    )
    problems = [m for m, _ in services.audit_problems(audit)]
    assert problems == [
        "Say why the overall rating differs from the domains. The overall rating, "
        "Outstanding, is more than one grade better than Child protection core assessment, "
        "rated Critical."
    ]
    with pytest.raises(ValidationError, match="Say why the overall rating differs"):
        services.audit_submit(
            acting_user=world.cal, audit=audit, version=audit.version, token=uuid.uuid4()
        )
    assert fresh(audit).status == AuditStatus.DRAFT
