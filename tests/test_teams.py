"""A team's manager is named on the team's page: they are told of its audits, alerted on
the inadequate and critical ones, and never given its cases to audit."""

from __future__ import annotations

from qpa.accounts.models import Role
from qpa.audits.services import alert_recipients
from qpa.core.models import Event
from qpa.cycles.independence import may_audit
from qpa.organisation.models import Team
from tests.support.audits import completed, started, submit
from tests.support.factories import UserFactory
from tests.support.people import signed_in
from tests.support.worlds import World


def _edit(world: World, team: Team) -> str:
    return f"/cases/teams/{team.public_id}/"


def test_an_administrator_names_a_teams_manager(world: World) -> None:
    client = signed_in(world.admin)
    page = client.get(_edit(world, world.cic)).content.decode()
    assert "Team manager" in page and "No manager recorded" in page
    assert f"{world.cal}, Auditor" in page  # an auditor may be named
    assert world.practitioner.username not in page  # a practitioner may not

    response = client.post(
        _edit(world, world.cic),
        {"service_area": world.cic.service_area_id, "manager": world.cal.pk},
    )
    assert response.status_code == 302
    world.cic.refresh_from_db()
    assert world.cic.manager == world.cal
    event = Event.objects.filter(action="team.changed").latest("seq")
    assert event.data["changed"] == ["manager"] and event.data["username"] == "cal"

    listing = client.get("/cases/teams/").content.decode()
    assert f'href="/people/{world.cal.username}/"' in listing


def test_a_practitioner_cannot_be_named_a_teams_manager(world: World) -> None:
    response = signed_in(world.admin).post(
        _edit(world, world.cic),
        {"service_area": world.cic.service_area_id, "manager": world.practitioner.pk},
    )
    assert "Select a valid choice" in response.content.decode()  # the page, with the error
    world.cic.refresh_from_db()
    assert world.cic.manager is None


def test_the_performance_team_sees_the_manager_without_a_link_to_people(world: World) -> None:
    listing = signed_in(UserFactory(role=Role.PERFORMANCE)).get("/cases/teams/").content.decode()
    assert "CP One" in listing and world.amy.get_full_name() in listing
    assert "/people/" not in listing  # they may not open people's pages


def test_a_named_manager_is_alerted_and_no_longer_audits_the_team(world: World) -> None:
    audit = submit(completed(started(world), overall="Inadequate"))  # a CP One case, by cal
    team = world.cp1
    assert world.amy in alert_recipients(audit) and may_audit(world.bob, audit.case)
    signed_in(world.admin).post(
        _edit(world, team), {"service_area": team.service_area_id, "manager": world.bob.pk}
    )
    audit.refresh_from_db()
    assert world.bob in alert_recipients(audit) and world.amy not in alert_recipients(audit)
    assert not may_audit(world.bob, audit.case)
