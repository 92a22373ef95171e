from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from qpa.accounts.models import Role, User
from qpa.organisation.models import Team
from tests.factories import PASSWORD, CaseFactory, TeamFactory, UserFactory, area


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


@pytest.fixture
def personas(db: None) -> Personas:
    cp_team = TeamFactory(name="CP Team A", service_area=area("child-protection"))
    cic_team = TeamFactory(name="CiC Team A", service_area=area("children-in-care"))
    auditor = UserFactory(username="alice", role=Role.AUDITOR, teams=[cic_team])
    cic_team.manager = auditor
    cic_team.save()
    return Personas(
        cp_team=cp_team,
        cic_team=cic_team,
        auditor=auditor,
        head_of_cp=UserFactory(
            username="hilda", role=Role.HEAD_OF_SERVICE, areas=[area("child-protection")]
        ),
        director=UserFactory(username="dora", role=Role.ASSISTANT_DIRECTOR),
        performance=UserFactory(username="percy", role=Role.PERFORMANCE),
        practitioner=UserFactory(username="pat", role=Role.PRACTITIONER, teams=[cp_team]),
        admin=UserFactory(username="ada", role=Role.ADMINISTRATOR),
        outsider=UserFactory(username="oscar", role=Role.PRACTITIONER),
    )


@pytest.fixture
def cp_case(personas: Personas):  # type: ignore[no-untyped-def]
    return CaseFactory(team=personas.cp_team, practitioner=personas.practitioner)


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def data_migration(app: str, name: str) -> Any:
    """A data migration's module: its seed data and functions are the one definition of
    what a new database holds, frozen with the migration."""
    return importlib.import_module(f"qpa.{app}.migrations.{name}")


@pytest.fixture
def seeded(transactional_db: None) -> None:
    """Browser tests run in flushed transactional databases, which lose the rows the
    data migrations seeded; put them back with the migrations' own functions."""
    from django.apps import apps

    from qpa.cases.models import PopulationRule
    from qpa.organisation.models import ServiceArea
    from qpa.tools.models import AuditTool

    if not ServiceArea.objects.exists():
        data_migration("organisation", "0002_seed_service_areas").seed(apps)
        data_migration("organisation", "0003_service_area_decided_by_team").seed_decided_by_team(
            apps
        )
    if not AuditTool.objects.exists():
        data_migration("tools", "0002_seed_scales_and_tools").seed(apps)
        data_migration("tools", "0003_grading_descriptors_and_themed_options").seed_descriptors(
            apps
        )
    if not PopulationRule.objects.exists():
        data_migration("cases", "0002_import_runs_and_population_rules").seed_population_rules(apps)


@pytest.fixture
def import_worker(transactional_db: None) -> Iterator[None]:
    """`qpa worker`'s import duty running beside the test, as it runs beside the web
    server in production: uploads wait for it, as they do there."""
    from django.db import close_old_connections

    from qpa.cases.imports import import_runs_work

    stopping = threading.Event()

    def work() -> None:
        try:
            while not stopping.is_set():
                import_runs_work()
                stopping.wait(0.05)
        finally:
            close_old_connections()

    worker = threading.Thread(target=work, name="test-import-worker", daemon=True)
    worker.start()
    yield
    stopping.set()
    worker.join(timeout=30)
