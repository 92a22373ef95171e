"""Children's cases."""

from __future__ import annotations

import factory

from qpa.cases.models import Case, CaseStatus
from tests.support.factories.organisation import TeamFactory


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    child_id = factory.Sequence(lambda n: f"C{n:06d}")
    status = CaseStatus.OPEN
    team = factory.SubFactory(TeamFactory)
    service_area = factory.LazyAttribute(lambda c: c.team.service_area)
