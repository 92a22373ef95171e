"""Fixtures every test module may ask for. What they build with, and the helpers test
modules share, are in tests/support."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from qpa.accounts.models import Role
from tests.support.data_migrations import data_migration
from tests.support.factories import CaseFactory, TeamFactory, UserFactory, area
from tests.support.mail import SmtpServer, free_port
from tests.support.people import Personas
from tests.support.worlds import World, build_world


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


@pytest.fixture
def world(db: None) -> World:
    """tests/support/worlds.py's small council, one open case a team."""
    return build_world(per_team=1)


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on localhost, not yet started; Django's SMTP backend aims at it."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "qpa@council.example"
    yield server
    server.stop()


@pytest.fixture
def smtp_up(smtp: SmtpServer) -> SmtpServer:
    smtp.start()
    return smtp


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
