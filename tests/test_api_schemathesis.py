"""Schemathesis over the whole API schema, in-process through Django's WSGI application:
no 500s, authentication enforced, and negative (schema-violating) data rejected.

Each generated request is sent twice: as generated (random identifiers: the remit and
not-found paths), and with its path identifiers replaced by objects in the caller's
remit, so that bodies reach the services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection

from qpa.actions import services as action_services
from qpa.api.api import api
from qpa.api.models import TokenScope
from qpa.api.services import api_token_create
from tests.support.audits import completed, cp_case, started, submit
from tests.support.factories import allocate
from tests.support.worlds import build_world

CHECKS = [not_a_server_error, ignored_auth, negative_data_rejection]
SCHEMA_PATH = "/api/v1/openapi.json"


APP = WSGIHandler()


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    # As Django's test client does: a request must not close the test's connection
    # (and its transaction) when it ends.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield APP
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def remit(db: None, wsgi_app: WSGIHandler, settings: Any) -> dict[str, Any]:
    """A write token of an auditor (cal) with a draft, an allocation and an action."""
    settings.QPA_API_RATE_LIMIT_PER_MINUTE = 1_000_000
    cache.clear()
    world = build_world(per_team=1)
    inadequate = submit(completed(started(world), overall="Inadequate"))
    action = action_services.action_create(
        acting_user=world.head,
        audit=inadequate,
        description="See the child alone.",
        owner=world.cal,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    draft = started(world)
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    secret = api_token_create(acting_user=world.cal, name="Fuzz", scope=TokenScope.WRITE).secret
    # The schema as served, read through the token like any client would.
    served = wsgi_app_get(wsgi_app, SCHEMA_PATH, secret)
    assert served == json.loads(json.dumps(built_schema(), default=str))
    return {
        "app": wsgi_app,
        "headers": {"Authorization": f"Bearer {secret}"},
        "ids": {
            "case_id": str(draft.case.public_id),
            "cycle_id": str(allocation.sampled_case.cycle.public_id),
            "allocation_id": str(allocation.public_id),
            "audit_id": str(draft.public_id),
            "action_id": str(action.public_id),
        },
    }


def wsgi_app_get(app: WSGIHandler, path: str, secret: str) -> Any:
    from werkzeug.test import Client

    response = Client(app).get(path, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.json


# Built from the API object at import (no database needed); the test above checks that
# it is the schema the server answers with.
def built_schema() -> dict[str, Any]:
    return dict(api.get_openapi_schema(path_prefix="/api/v1/"))


schema = schemathesis.openapi.from_dict(built_schema())
# Every request, and every probe a check sends (ignored_auth's without the token), goes
# to the application in this process.
schema.app = APP


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_survives_generated_requests(case: Any, remit: dict[str, Any]) -> None:
    headers = remit["headers"]
    case.call_and_validate(headers=headers, checks=CHECKS)
    ids = remit["ids"]
    if case.path_parameters and any(name in ids for name in case.path_parameters):
        for name in case.path_parameters:
            if name in ids:
                case.path_parameters[name] = ids[name]
        case.call_and_validate(headers=headers, checks=[not_a_server_error, ignored_auth])
