"""Tools and scales are data that administrators edit; a tool in use gets a new version."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from qpa.audits.models import Audit
from qpa.tools import services
from qpa.tools.models import AuditTool, RatingCrosswalk, RatingScale
from tests.support.factories import CaseFactory, submitted_audit
from tests.support.people import Personas, signed_in

QOP_DOMAINS = [
    "Referral and Response",
    "Risk Assessment",
    "Key Decisions",
    "Key Assessment Episodes",
    "Key Planning and Reviewing",
    "Child/Young Person focused practice",
    "Supervision/Management Overview",
    "Direct Engagement/professional relationships",
    "Reporting and Recording",
    "Case Transfer and Closure",
]


def _qop() -> AuditTool:
    return AuditTool.objects.get(slug="quality-of-practice")


@pytest.mark.django_db
def test_shipped_tools_scales_and_service_areas() -> None:
    from qpa.organisation.models import ServiceArea

    assert list(ServiceArea.objects.values_list("name", flat=True)) == [
        "Child Protection",
        "First Response",
        "Children in Need and Safeguarding",
        "Children in Care",
        "Leaving Care",
        "Children with Disabilities",
    ]
    assert [d.name for d in _qop().current_version.domains.all()] == QOP_DOMAINS
    themed = AuditTool.objects.get(name="Child Protection Core Assessment")
    assert [d.name for d in themed.current_version.domains.all()] == [
        "Strategy discussion",
        "Child protection core assessment",
        "Child protection conference",
    ]
    briefing = RatingScale.objects.get(slug="quality-of-practice")
    labels = [
        (r.label, r.is_good_or_better, r.is_inadequate_or_worse) for r in briefing.ratings.all()
    ]
    assert labels == [
        ("Outstanding", True, False),
        ("Good", True, False),
        ("Adequate", False, False),
        ("Inadequate", False, True),
        ("Critical", False, True),
    ]
    ilacs = RatingScale.objects.get(slug="ilacs")
    assert [r.label for r in ilacs.ratings.all()] == [
        "Outstanding",
        "Good",
        "Requires improvement to be good",
        "Inadequate",
    ]
    adequate = briefing.ratings.get(label="Adequate")
    assert adequate.crosswalks.get(target_scale=ilacs).target.label == (
        "Requires improvement to be good"
    )


def test_editing_a_tool_no_audit_uses_changes_it_in_place(personas: Personas) -> None:
    version = services.tool_domain_update(
        acting_user=personas.admin,
        tool=_qop(),
        position=2,
        spec=services.DomainSpec(name="Risk Assessment", prompts="New prompt"),
    )
    assert version.number == 1
    assert _qop().current_version.domains.get(order=2).prompts == "New prompt"


def test_editing_a_tool_after_use_creates_a_new_version_and_leaves_old_audits(
    personas: Personas,
) -> None:
    audit = submitted_audit(case=CaseFactory(team=personas.cp_team), overall="Good")
    old_version = audit.tool_version

    new = services.tool_domain_update(
        acting_user=personas.admin,
        tool=_qop(),
        position=3,
        spec=services.DomainSpec(name="Key Decisions and Legal Planning", prompts="Changed"),
    )

    assert new.number == old_version.number + 1
    assert _qop().current_version == new
    assert [d.name for d in new.domains.all()][2] == "Key Decisions and Legal Planning"
    audit = Audit.objects.get(pk=audit.pk)
    assert audit.tool_version == old_version
    assert [d.name for d in old_version.domains.all()] == QOP_DOMAINS
    assert {r.domain.name for r in audit.domain_ratings.all()} == set(QOP_DOMAINS)
    # A second edit lands on the new version while nothing uses it yet.
    again = services.tool_domain_add(
        acting_user=personas.admin, tool=_qop(), spec=services.DomainSpec(name="Education")
    )
    assert again == new
    assert new.domains.count() == 11


def test_removing_a_domain_after_use_keeps_it_on_the_old_version(personas: Personas) -> None:
    submitted_audit(case=CaseFactory(team=personas.cp_team))
    new = services.tool_domain_remove(acting_user=personas.admin, tool=_qop(), position=1)
    assert [d.order for d in new.domains.all()] == list(range(1, 10))
    assert "Referral and Response" not in {d.name for d in new.domains.all()}
    assert _qop().versions.get(number=1).domains.filter(name="Referral and Response").exists()


def test_domain_names_are_unique_within_a_version(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        services.tool_domain_add(
            acting_user=personas.admin, tool=_qop(), spec=services.DomainSpec(name="key decisions")
        )


def test_scale_lines_cannot_move_once_audits_use_the_scale(personas: Personas) -> None:
    scale = RatingScale.objects.get(slug="quality-of-practice")
    services.scale_update_lines(
        acting_user=personas.admin, scale=scale, good_or_better_rank=1, inadequate_or_worse_rank=4
    )
    submitted_audit(case=CaseFactory(team=personas.cp_team))
    with pytest.raises(ValidationError, match="already use this scale"):
        services.scale_update_lines(
            acting_user=personas.admin,
            scale=scale,
            good_or_better_rank=2,
            inadequate_or_worse_rank=4,
        )


def test_administrator_adds_a_domain_through_the_web_and_a_version_is_created(
    personas: Personas,
) -> None:
    submitted_audit(case=CaseFactory(team=personas.cp_team))
    client = signed_in(personas.admin)
    page = client.get("/tools/quality-of-practice/domains/new/")
    assert "Saving creates a new version" in page.content.decode()
    response = client.post(
        "/tools/quality-of-practice/domains/new/",
        {
            "name": "Education and health",
            "prompts": "Is the PEP current?",
            "guidance": "",
            "allows_not_applicable": "on",
        },
        follow=True,
    )
    assert "The tool is now at version 2" in response.content.decode()
    assert _qop().current_version.domains.last().name == "Education and health"  # type: ignore[union-attr]


def test_web_form_reports_errors_and_saves_nothing(personas: Personas) -> None:
    client = signed_in(personas.admin)
    response = client.post("/tools/quality-of-practice/domains/new/", {"name": "Key Decisions"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "already has a domain called Key Decisions" in body
    assert _qop().versions.count() == 1
    assert _qop().current_version.domains.count() == 10


def test_administrator_creates_a_scale_and_a_crosswalk(personas: Personas) -> None:
    client = signed_in(personas.admin)
    response = client.post(
        "/tools/scales/new/",
        {
            "name": "Three point",
            "ratings": "Strong, S\nOkay, O\nWeak, W",
            "good_or_better": "1",
            "inadequate_or_worse": "1",
            "description": "",
        },
    )
    assert response.status_code == 302
    scale = RatingScale.objects.get(name="Three point")
    assert [(r.rank, r.label, r.code) for r in scale.ratings.all()] == [
        (1, "Strong", "S"),
        (2, "Okay", "O"),
        (3, "Weak", "W"),
    ]
    assert (scale.good_or_better_rank, scale.inadequate_or_worse_rank) == (1, 3)
    ilacs = RatingScale.objects.get(slug="ilacs")
    targets = {r.label: r for r in ilacs.ratings.all()}
    response = client.post(
        f"/tools/scales/{scale.slug}/crosswalk/ilacs/",
        {
            "rating_1": targets["Good"].pk,
            "rating_2": targets["Requires improvement to be good"].pk,
            "rating_3": targets["Inadequate"].pk,
        },
    )
    assert response.status_code == 302
    assert RatingCrosswalk.objects.filter(rating__scale=scale, target_scale=ilacs).count() == 3


def test_overlapping_scale_lines_are_refused(personas: Personas) -> None:
    response = signed_in(personas.admin).post(
        "/tools/scales/new/",
        {"name": "Bad", "ratings": "A, A\nB, B", "good_or_better": "2", "inadequate_or_worse": "1"},
    )
    assert "The good and inadequate groups overlap" in response.content.decode()
    assert not RatingScale.objects.filter(name="Bad").exists()


@pytest.mark.parametrize(
    "who", ["auditor", "head_of_cp", "director", "performance", "practitioner"]
)
def test_only_administrators_reach_tool_configuration(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    assert client.get("/tools/").status_code == 403
    assert client.post("/tools/quality-of-practice/domains/1/remove/").status_code == 403
    assert _qop().current_version.domains.count() == 10


def test_creating_a_tool_through_the_web(personas: Personas) -> None:
    scale = RatingScale.objects.get(slug="ilacs")
    response = signed_in(personas.admin).post(
        "/tools/new/",
        {"name": "Scales", "kind": "themed", "scale": scale.pk, "description": "Neglect theme"},
    )
    tool = AuditTool.objects.get(name="Scales")
    assert response["Location"] == f"/tools/{tool.slug}/"
    assert tool.slug != "scales"  # the scales list keeps its address
    assert tool.current_version.number == 1
