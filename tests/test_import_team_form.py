"""Adding a team from an import's result: its service area is chosen, never taken from the
top of the list by a single click on Save."""

from __future__ import annotations

import re

import pytest

from qpa.accounts.models import Role
from qpa.organisation.models import Team
from tests.support.factories import UserFactory, area
from tests.support.people import signed_in

pytestmark = pytest.mark.django_db

NEW_TEAM = "/cases/teams/new/?name=Brand+New+Team"


def test_the_service_area_starts_blank_and_must_be_chosen() -> None:
    client = signed_in(UserFactory(role=Role.ADMINISTRATOR))
    page = client.get(NEW_TEAM).content.decode()
    select = re.search(r'<select name="service_area".*?</select>', page, re.S)
    assert select is not None
    options = re.findall(r"<option[^>]*>[^<]*</option>", select.group())
    assert options[0] == '<option value="" selected>Choose a service area</option>'
    assert all("selected" not in option for option in options[1:])

    refused = client.post(NEW_TEAM, {"name": "Brand New Team", "service_area": ""})

    assert refused.status_code == 200
    body = refused.content.decode()
    assert "There is a problem" in body
    assert body.count("Choose the service area this team works in.") == 2  # summary, field
    assert not Team.objects.filter(name="Brand New Team").exists()

    saved = client.post(
        NEW_TEAM, {"name": "Brand New Team", "service_area": area("child-protection").pk}
    )

    assert saved.status_code == 302
    assert Team.objects.get(name="Brand New Team").service_area == area("child-protection")
