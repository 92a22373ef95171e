"""The conftest's fixed people, and a client signed in as anyone."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from qpa.accounts.models import User
from qpa.organisation.models import Team
from tests.support.factories import PASSWORD


@dataclass
class Personas:
    """Fixed people: who they are is in their name (healthchecks' alice/bob/charlie)."""

    cp_team: Team
    cic_team: Team
    auditor: User  # manages the Children in Care team
    head_of_cp: User  # Head of Service for Child Protection
    director: User
    performance: User
    practitioner: User  # works in the Child Protection team
    admin: User
    outsider: User  # a practitioner with no cases


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
