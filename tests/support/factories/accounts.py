"""People, with the one password every test signs in with."""

from __future__ import annotations

from typing import Any

import factory

from qpa.accounts.models import Role, User
from qpa.organisation.models import TeamMembership

PASSWORD = "correct-horse-battery-staple"


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
