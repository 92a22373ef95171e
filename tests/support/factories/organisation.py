"""Service areas and teams."""

from __future__ import annotations

import factory

from qpa.organisation.models import ServiceArea, Team


def area(slug: str) -> ServiceArea:
    return ServiceArea.objects.get(slug=slug)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    service_area = factory.LazyFunction(lambda: area("child-protection"))
