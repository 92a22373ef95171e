"""factory_boy factories, one per model people rely on."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory

from qpa.accounts.models import Role, User
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cases.models import Case, CaseStatus
from qpa.organisation.models import ServiceArea, Team, TeamMembership
from qpa.tools.models import AuditTool, Rating

PASSWORD = "correct-horse-battery-staple"


def area(slug: str) -> ServiceArea:
    return ServiceArea.objects.get(slug=slug)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Person"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.PRACTITIONER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def teams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for team in extracted or []:
            TeamMembership.objects.create(user=self, team=team)

    @factory.post_generation
    def areas(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted:
            self.service_areas.set(extracted)
        self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    service_area = factory.LazyFunction(lambda: area("child-protection"))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    child_id = factory.Sequence(lambda n: f"C{n:06d}")
    status = CaseStatus.OPEN
    team = factory.SubFactory(TeamFactory)
    service_area = factory.LazyAttribute(lambda c: c.team.service_area)


def rating(label: str, scale_slug: str = "quality-of-practice") -> Rating:
    return Rating.objects.get(scale__slug=scale_slug, label=label)


def submitted_audit(
    *,
    case: Case,
    auditor: User | None = None,
    overall: str = "Good",
    domains: dict[str, str | None] | None = None,
    tool_slug: str = "quality-of-practice",
    audit_date: date | None = None,
) -> Audit:
    """A submitted audit; `domains` maps domain name to rating label (None: not applicable)."""
    version = AuditTool.objects.get(slug=tool_slug).current_version
    audit = Audit.objects.create(
        case=case,
        tool_version=version,
        auditor=auditor,
        status=AuditStatus.SUBMITTED,
        service_area=case.service_area,
        team=case.team,
        audit_date=audit_date or date(2026, 10, 1),
        overall_rating=rating(overall),
    )
    for domain in version.domains.all():
        label = (domains or {}).get(domain.name, overall)
        DomainRating.objects.create(
            audit=audit,
            domain=domain,
            rating=rating(label) if label else None,
            not_applicable=label is None,
        )
    return audit
