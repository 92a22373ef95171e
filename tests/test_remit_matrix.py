"""The matrix: every URL pattern, every role, in and out of remit.

Generated from Django's URL resolver, so a new view cannot escape it: a URL with no
declaration here fails `test_every_url_is_declared`. For a URL that names an object, the
remit selector of that kind is the oracle: a person who may use the page gets the page
for an object in their remit and 404 for one outside it. Every answer carries the
security headers, and no page a person can see is kept by a browser or proxy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import get_resolver

from qpa.accounts.models import Role
from qpa.accounts.permissions import Permission
from qpa.actions.selectors import actions_visible_to
from qpa.assurance.selectors import moderations_visible_to, reaudits_visible_to
from qpa.audits.selectors import audits_visible_to
from qpa.cases.selectors import cases_visible_to
from qpa.cycles.selectors import (
    allocations_visible_to,
    cycles_visible_to,
    my_allocations,
    sampled_cases_visible_to,
)
from qpa.notifications.selectors import notifications_for
from tests.support.factories import PASSWORD
from tests.support.urls import ANONYMOUS_ALLOWED, API_NAMESPACE, walk
from tests.support.worlds import RemitWorld, build_remit_world

ALL_ROLES = frozenset(Role)
ADMIN = frozenset({Role.ADMINISTRATOR})
IMPORTERS = frozenset({Role.ADMINISTRATOR, Role.PERFORMANCE})
CYCLE_MANAGERS = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.HEAD_OF_SERVICE,
        Role.ASSISTANT_DIRECTOR,
        Role.DEPUTY_DIRECTOR,
        Role.PERFORMANCE,
    }
)
AUDIT_HOLDERS = frozenset({Role.AUDITOR, Role.HEAD_OF_SERVICE})
HEADS = frozenset({Role.HEAD_OF_SERVICE})
REPORT_READERS = frozenset(
    {
        Role.PERFORMANCE,
        Role.ASSISTANT_DIRECTOR,
        Role.DEPUTY_DIRECTOR,
        Role.ADMINISTRATOR,
        Role.HEAD_OF_SERVICE,
    }
)
REPORT_EDITORS = frozenset({Role.PERFORMANCE, Role.ADMINISTRATOR})
REPORT_ONLY = frozenset({Role.PERFORMANCE})
PRACTITIONERS = frozenset({Role.PRACTITIONER})

Oracle = Callable[..., Any]


@dataclass(frozen=True)
class Expect:
    """roles: who may use the page at all (others get 403 or 404, never the page).
    kind and oracle: the object the URL names and the selector that says which of
    them a person may see (outside it: 404). ok: the answers to an allowed GET."""

    roles: frozenset[Role]
    ok: frozenset[int] = frozenset({200})
    kind: str | None = None
    oracle: Oracle | None = None
    # What the person may see; an object they may see but not use here may answer 403.
    # Defaults to the oracle.
    remit: Oracle | None = None
    method: str = "get"
    query: str = ""


def _ok(*codes: int) -> frozenset[int]:
    return frozenset(codes)


DRAFT = {
    "kind": "draft",
    "oracle": lambda user: audits_visible_to(user=user).filter(auditor=user),
    "remit": audits_visible_to,
}
SUBMITTED = {"kind": "submitted", "oracle": audits_visible_to}

DECLARED: dict[str, Expect] = {
    "home:home": Expect(ALL_ROLES),
    "dataprotection:event-list": Expect(ADMIN),
    "accounts:mfa-verify": Expect(ALL_ROLES, ok=_ok(200, 302)),
    "accounts:mfa-enrol": Expect(ALL_ROLES, ok=_ok(200, 302)),
    "accounts:password-change": Expect(ALL_ROLES),
    "accounts:recovery-codes": Expect(ALL_ROLES, ok=_ok(200, 302)),
    "accounts:session-status": Expect(ALL_ROLES),
    "accounts:session-extend": Expect(ALL_ROLES, ok=_ok(405)),
    "tokens:api-tokens": Expect(ALL_ROLES),
    # POST only; a person's own tokens alone (tests/test_api.py).
    "tokens:api-token-revoke": Expect(ALL_ROLES, ok=_ok(404, 405)),
    "tools:tool-list": Expect(ADMIN),
    "tools:tool-create": Expect(ADMIN),
    "tools:scale-list": Expect(ADMIN),
    "tools:scale-create": Expect(ADMIN),
    "tools:scale-detail": Expect(ADMIN),
    "tools:scale-lines": Expect(ADMIN),
    "tools:crosswalk-edit": Expect(ADMIN),
    "tools:tool-detail": Expect(ADMIN),
    "tools:tool-edit": Expect(ADMIN),
    "tools:domain-add": Expect(ADMIN),
    "tools:domain-edit": Expect(ADMIN),
    "tools:domain-remove": Expect(ADMIN),
    # The world's tool asks no question 1 yet: 404 for administrators, never the page
    # for anyone else (tests/test_voice_questions.py opens them).
    "tools:question-add": Expect(ADMIN),
    "tools:question-edit": Expect(ADMIN, ok=_ok(200, 404)),
    "tools:question-remove": Expect(ADMIN, ok=_ok(200, 404)),
    "tools:questions-suggest": Expect(ADMIN, ok=_ok(405)),  # POST only
    "cases:import-list": Expect(IMPORTERS),
    "cases:import-annex-a": Expect(IMPORTERS),
    "cases:import-case-list": Expect(IMPORTERS),
    "cases:import-detail": Expect(IMPORTERS),
    "cases:import-mapping": Expect(IMPORTERS, ok=_ok(302)),  # this run is not awaiting one
    "cases:import-status": Expect(IMPORTERS),
    "cases:import-errors": Expect(IMPORTERS),
    "cases:team-list": Expect(IMPORTERS),
    "cases:team-create": Expect(IMPORTERS),
    "cases:team-edit": Expect(IMPORTERS),
    "cases:population-rules": Expect(IMPORTERS),
    "audits:import-past-audits": Expect(IMPORTERS),
    "audits:import-template": Expect(IMPORTERS),
    "cycles:cycle-list": Expect(CYCLE_MANAGERS),
    "cycles:my-allocations": Expect(AUDIT_HOLDERS),
    "cycles:plan-create": Expect(CYCLE_MANAGERS),
    "cycles:plan-detail": Expect(CYCLE_MANAGERS),
    "cycles:cycle-create": Expect(CYCLE_MANAGERS, ok=_ok(302)),
    "cycles:cycle-create-check": Expect(CYCLE_MANAGERS, ok=_ok(302)),
    "cycles:cycle-create-step": Expect(CYCLE_MANAGERS),
    "cycles:sample-replace": Expect(
        CYCLE_MANAGERS, kind="sampled", oracle=sampled_cases_visible_to
    ),
    # Only an allocation still waiting for its audit can be reallocated.
    "cycles:allocation-reassign": Expect(
        CYCLE_MANAGERS,
        kind="allocation",
        oracle=lambda user: allocations_visible_to(user=user).filter(status="allocated"),
    ),
    "cycles:cycle-detail": Expect(CYCLE_MANAGERS, kind="cycle", oracle=cycles_visible_to),
    "cycles:cycle-draw": Expect(
        CYCLE_MANAGERS, ok=_ok(200, 302), kind="cycle", oracle=cycles_visible_to
    ),
    "cycles:cycle-report": Expect(CYCLE_MANAGERS, kind="cycle", oracle=cycles_visible_to),
    "cycles:cycle-sample": Expect(CYCLE_MANAGERS, kind="cycle", oracle=cycles_visible_to),
    # Rows of the cases the reader may open; counts only for figures-only readers.
    "cycles:cycle-sample-csv": Expect(CYCLE_MANAGERS, kind="cycle", oracle=cycles_visible_to),
    "cycles:cycle-sample-xlsx": Expect(CYCLE_MANAGERS, kind="cycle", oracle=cycles_visible_to),
    "cycles:cycle-allocate": Expect(
        CYCLE_MANAGERS, ok=_ok(200, 302), kind="cycle", oracle=cycles_visible_to
    ),
    "cycles:cycle-hand-picking": Expect(ADMIN, kind="cycle", oracle=cycles_visible_to),
    "cycles:sample-hand-pick": Expect(
        CYCLE_MANAGERS,
        ok=_ok(200, 302),
        kind="cycle",
        oracle=lambda user: cycles_visible_to(user=user).filter(hand_picking_allowed=True),
        remit=cycles_visible_to,
    ),
    "notifications:inbox": Expect(ALL_ROLES),
    "notifications:mark-all-read": Expect(ALL_ROLES, ok=_ok(405)),
    "notifications:mark-read": Expect(
        ALL_ROLES, ok=_ok(302), kind="notification", oracle=notifications_for, method="post"
    ),
    # Only urgent notifications are acknowledged.
    "notifications:acknowledge": Expect(
        ALL_ROLES,
        ok=_ok(302),
        kind="notification",
        oracle=lambda user: notifications_for(user=user).filter(urgent=True),
        remit=notifications_for,
        method="post",
    ),
    "cycles:allocation-audit-start": Expect(
        AUDIT_HOLDERS, ok=_ok(200, 302), kind="allocation", oracle=my_allocations
    ),
    "audits:audit-detail": Expect(ALL_ROLES, **SUBMITTED),  # type: ignore[arg-type]
    "audits:audit-tasks": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-domain": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-overall": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-safety": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-voice": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-recommendations": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-check": Expect(AUDIT_HOLDERS, **DRAFT),  # type: ignore[arg-type]
    "audits:audit-reopen": Expect(HEADS, **SUBMITTED),  # type: ignore[arg-type]
    "audits:audit-reply": Expect(PRACTITIONERS, **SUBMITTED),  # type: ignore[arg-type]
    "actions:my-actions": Expect(ALL_ROLES),
    "actions:action-create": Expect(HEADS, **SUBMITTED),  # type: ignore[arg-type]
    "actions:recommendations-decide": Expect(
        Permission.SET_ACTIONS.roles,
        **SUBMITTED,  # type: ignore[arg-type]
    ),
    "actions:action-detail": Expect(ALL_ROLES, kind="action", oracle=actions_visible_to),
    "actions:action-complete": Expect(
        ALL_ROLES, ok=_ok(200, 403), kind="action", oracle=actions_visible_to
    ),
    # Set-actions roles only (403 for the rest); the world's action is open, so there is
    # nothing to reopen and they go back to it (tests/test_actions_reopen.py).
    "actions:action-reopen": Expect(
        ALL_ROLES, ok=_ok(302, 403), kind="action", oracle=actions_visible_to
    ),
    "assurance:overview": Expect(ALL_ROLES - PRACTITIONERS),
    "assurance:moderation-list": Expect(ALL_ROLES - PRACTITIONERS),
    "assurance:reaudit-list": Expect(ALL_ROLES - PRACTITIONERS - REPORT_ONLY),
    # Without a draw being prepared in the session, back to the list.
    "assurance:reaudit-draw-check": Expect(Permission.DRAW_REAUDITS.roles, ok=_ok(302)),
    "assurance:reaudit-quarter": Expect(Permission.DRAW_REAUDITS.roles),
    "assurance:reaudit-detail": Expect(
        ALL_ROLES - PRACTITIONERS - REPORT_ONLY - ADMIN,
        kind="reaudit",
        oracle=reaudits_visible_to,
    ),
    "assurance:moderation-detail": Expect(
        ALL_ROLES - PRACTITIONERS, kind="moderation", oracle=moderations_visible_to
    ),
    # Reports are figures, never case detail (docs/reports.md, ADR 0060).
    "reports:report": Expect(REPORT_READERS),
    "reports:summary-json": Expect(REPORT_READERS, query="?from=2026-10&to=2026-11"),
    "reports:chart": Expect(REPORT_READERS),
    "reports:export-csv": Expect(REPORT_READERS),
    "reports:export-xlsx": Expect(REPORT_READERS),
    "reports:export-docx": Expect(REPORT_READERS),
    "reports:export-pdf": Expect(REPORT_READERS),
    "reports:key-messages": Expect(REPORT_EDITORS),
    "reports:benchmark-export": Expect(REPORT_EDITORS),
    "reports:benchmarks": Expect(REPORT_EDITORS),
    "reports:benchmark-delete": Expect(REPORT_EDITORS, ok=_ok(405)),  # POST only
    "reports:compare": Expect(Permission.READ_REPORTS.roles),
    "reports:trends": Expect(Permission.READ_REPORTS.roles),
    "reports:trend-chart": Expect(Permission.READ_REPORTS.roles),
    "reports:teams": Expect(Permission.READ_REPORTS.roles),
    "reports:funnel-chart": Expect(Permission.READ_REPORTS.roles),
    # Evidence, not figures: never a figures-only role (decision 0127).
    "reports:phrases": Expect(Permission.READ_EVIDENCE.roles),
    # Cases and audit lists: case detail, never figures-only roles (tests/test_case_pages.py).
    "cases:case-list": Expect(Permission.OPEN_CASES.roles),
    "cases:case-detail": Expect(Permission.OPEN_CASES.roles, kind="case", oracle=cases_visible_to),
    "audits:audit-list": Expect(Permission.OPEN_CASES.roles),
    "audits:audit-list-csv": Expect(Permission.OPEN_CASES.roles),
    "audits:audit-print": Expect(ALL_ROLES, **SUBMITTED),  # type: ignore[arg-type]
    # Following up inadequate audits: Heads of Service in their areas, directors all.
    "assurance:follow-up": Expect(Permission.FOLLOW_UP.roles),
    "actions:area-actions": Expect(Permission.FOLLOW_UP.roles),
    # People and the council's set-up: administrators only (tests/test_people.py).
    "accounts:people-list": Expect(Permission.ADMINISTER.roles),
    "accounts:person-create": Expect(Permission.ADMINISTER.roles),
    "accounts:person-detail": Expect(Permission.ADMINISTER.roles),
    "accounts:person-edit": Expect(Permission.ADMINISTER.roles),
    "accounts:person-disable": Expect(Permission.ADMINISTER.roles),
    "accounts:person-enable": Expect(Permission.ADMINISTER.roles, ok=_ok(302)),  # is active
    "accounts:person-mfa-reset": Expect(Permission.ADMINISTER.roles),
    "accounts:person-password-link": Expect(Permission.ADMINISTER.roles),
    "home:council": Expect(Permission.ADMINISTER.roles),
    "home:service-area-list": Expect(Permission.ADMINISTER.roles),
    "home:service-area-new": Expect(Permission.ADMINISTER.roles),
    "home:service-area-edit": Expect(Permission.ADMINISTER.roles),
}


def _key(obj: Model) -> str:
    return str(getattr(obj, "public_id", obj.pk))


def _path(world: RemitWorld, route: str, obj: Model | None) -> str:
    values = {
        "<slug:slug>": "quality-of-practice",
        "<slug:target_slug>": "ilacs",
        "<int:position>": "1",
        "<slug:step>": "kind",
        "<slug:chart>": "overall",
        "<uuid:plan_id>": str(world.base.plan.public_id),
        "<slug:quarter>": "2026-Q3",
    }
    for converter in (
        "<uuid:cycle_id>",
        "<uuid:sampled_id>",
        "<uuid:allocation_id>",
        "<uuid:public_id>",
    ):
        if converter in route:
            values[converter] = _key(obj) if obj is not None else ""
    if "cases/imports/<uuid:public_id>" in route:
        values["<uuid:public_id>"] = str(world.import_run.public_id)
    if "account/api-tokens/<uuid:public_id>" in route:
        values["<uuid:public_id>"] = "00000000-0000-4000-8000-000000000000"
    if "reports/benchmarks/<uuid:public_id>" in route:
        values["<uuid:public_id>"] = "00000000-0000-4000-8000-000000000000"
    if "<str:username>" in route:  # a person's page: the practitioner's
        values["<str:username>"] = world.people[str(Role.PRACTITIONER)].username
    if "council/service-areas/<slug:slug>" in route:
        values["<slug:slug>"] = "child-protection"
    if "cases/teams/<uuid:public_id>" in route:
        values["<uuid:public_id>"] = str(world.team.public_id)
    for converter, value in values.items():
        route = route.replace(converter, value)
    assert "<" not in route, route
    return "/" + route


def _routes() -> dict[str, str]:
    """Every page a signed-in person may ask for. The REST API is answered by tokens,
    not sessions: tests/test_api.py tries every object endpoint in and out of remit."""
    return {
        name: route
        for name, route in walk(get_resolver())
        if name not in ANONYMOUS_ALLOWED and not name.startswith(API_NAMESPACE)
    }


def test_every_url_is_declared() -> None:
    undeclared = sorted(set(_routes()) - set(DECLARED))
    gone = sorted(set(DECLARED) - set(_routes()))
    assert not undeclared, f"declare who may use these views: {undeclared}"
    assert not gone, f"these declarations name no URL: {gone}"


def _client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _check_headers(response: Any, where: str) -> None:
    assert response["Cache-Control"] == "no-store", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    csp = response.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, where


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(Role, key=str))
def test_every_url_for_every_role_in_and_out_of_remit(role: Role) -> None:
    world = build_remit_world()
    user = world.people[str(role)]
    client = _client_for(user)
    failures: list[str] = []
    for name, route in _routes().items():
        expect = DECLARED[name]
        allowed = role in expect.roles
        probe = getattr(client, expect.method)
        if expect.kind is None:
            response = probe(_path(world, route, None) + expect.query)
            where = f"{role} GET {name}"
            if allowed and response.status_code not in expect.ok:
                failures.append(f"{where}: {response.status_code}")
            if not allowed and response.status_code not in (403, 404):
                failures.append(f"{where}: {response.status_code}")
            _check_headers(response, where)
            continue
        assert expect.oracle is not None
        usable = {o.pk for o in expect.oracle(user=user)}
        seen = {o.pk for o in (expect.remit or expect.oracle)(user=user)}
        for obj in world.objects(expect.kind):
            response = probe(_path(world, route, obj) + expect.query)
            state = "usable" if obj.pk in usable else "seen" if obj.pk in seen else "out of remit"
            where = f"{role} {expect.method.upper()} {name} ({state}: {obj})"
            if not allowed or state == "seen":
                wrong = response.status_code not in (403, 404)
            elif state == "usable":
                wrong = response.status_code not in expect.ok
            else:
                wrong = response.status_code != 404
            if wrong:
                failures.append(f"{where}: {response.status_code}")
            _check_headers(response, where)
    assert not failures, "\n".join(failures)


# Object pages whose every permitted user sees every object (cycles are run service-wide
# by their managers, ADR 0011), so there is no "outside the remit" to try.
NO_OUTSIDE = {
    "cycles:cycle-detail",
    "cycles:cycle-draw",
    "cycles:cycle-report",
    "cycles:cycle-sample",
    "cycles:cycle-sample-csv",
    "cycles:cycle-sample-xlsx",
    "cycles:cycle-allocate",
    "cycles:cycle-hand-picking",
    "cycles:sample-hand-pick",
    "cycles:sample-replace",
    "cycles:allocation-reassign",
}


@pytest.mark.django_db
def test_the_matrix_tries_every_object_page_in_and_out_of_remit() -> None:
    """Guards the matrix itself: each object page is reached with an object the person
    may use, and (where such a thing exists) refused with one outside their remit."""
    world = build_remit_world()
    missing = []
    for name, expect in DECLARED.items():
        if expect.kind is None:
            continue
        assert expect.oracle is not None
        states = set()
        for role in expect.roles:
            user = world.people[str(role)]
            usable = {o.pk for o in expect.oracle(user=user)}
            seen = {o.pk for o in (expect.remit or expect.oracle)(user=user)}
            for obj in world.objects(expect.kind):
                states.add("usable" if obj.pk in usable else "seen" if obj.pk in seen else "out")
        wanted = {"usable"} if name in NO_OUTSIDE else {"usable", "out"}
        if not wanted <= states:
            missing.append(f"{name}: only {sorted(states)}")
    assert not missing, "\n".join(missing)
