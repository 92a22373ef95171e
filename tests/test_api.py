"""The REST API: personal tokens (hashed, scoped, expiring, revocable), the web's remit
(out of remit is 404), optimistic locking (409), idempotent submission, rate limits,
JSON problems, and 401 for anyone without a token."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qpa.accounts.models import User
from qpa.actions import services as action_services
from qpa.actions.models import Action, ActionStatus
from qpa.api.api import api
from qpa.api.models import ApiToken, TokenScope
from qpa.api.services import api_token_create, api_token_revoke
from qpa.assurance.models import Moderation, ModerationDraw, ReAudit, ReAuditDraw
from qpa.audits.models import (
    Audit,
    AuditChange,
    AuditStatus,
    ChangeKind,
    DomainRating,
    VoiceAnswer,
)
from qpa.cases.models import Case
from qpa.core.models import Event
from qpa.cycles.models import Allocation
from qpa.organisation.models import Team
from qpa.tools import services as tool_services
from qpa.tools.models import AuditTool
from tests.support.api import as_user, client_for, token_for
from tests.support.audits import completed, cp_case, started, submit
from tests.support.factories import (
    CP_CORE,
    CaseFactory,
    TeamFactory,
    allocate,
    area,
    rating,
    submitted_audit,
)
from tests.support.people import signed_in
from tests.support.worlds import World

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@dataclass
class Scene:
    world: World
    draft: Audit  # cal's draft of a CP One case
    submitted: Audit  # cal's submitted inadequate audit of the same case
    action: Action  # on the submitted audit, owned by amy
    allocation: Allocation  # cal's allocation, not yet started

    @property
    def cycle_id(self) -> uuid.UUID:
        return self.allocation.sampled_case.cycle.public_id


@pytest.fixture
def scene(world: World) -> Scene:
    submitted = submit(completed(started(world), overall="Inadequate"))
    action = action_services.action_create(
        acting_user=world.head,
        audit=submitted,
        description="See the child alone within 5 days.",
        owner=world.amy,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    return Scene(
        world=world,
        draft=started(world),
        submitted=submitted,
        action=action,
        allocation=allocate(world, auditor=world.cal, case=cp_case(world)),
    )


# --- Tokens --------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_sha256_hash_and_a_short_prefix(world: World) -> None:
    made = api_token_create(acting_user=world.cal, name="Power BI", scope=TokenScope.READ)
    row = ApiToken.objects.get()
    assert row.token_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    assert row.prefix == made.secret[:12] and len(made.secret) > 40
    stored = [str(v) for v in ApiToken.objects.values().get().values()]
    assert not any(made.secret in value for value in stored)
    assert row.expires_at - timezone.now() > timedelta(days=89)
    assert client_for(made.secret).get(f"{API}/cases").status_code == 200
    assert client_for(made.secret[:-1] + "x").get(f"{API}/cases").status_code == 401


def test_a_token_lasts_at_most_a_year(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_token_create(acting_user=world.cal, name="Too long", scope="write", days=366)
    assert not ApiToken.objects.exists()


def test_a_read_token_cannot_write_and_a_write_token_can(scene: Scene) -> None:
    body = {"allocation": str(scene.allocation.public_id)}
    read = as_user(scene.world.cal, TokenScope.READ)
    refused = read.post(f"{API}/audits", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "read only" in refused.json()["detail"]
    assert not Audit.objects.filter(allocation=scene.allocation).exists()
    assert read.get(f"{API}/audits/{scene.draft.public_id}").status_code == 200
    write = as_user(scene.world.cal, TokenScope.WRITE)
    made = write.post(f"{API}/audits", body, content_type="application/json")
    assert made.status_code == 201
    assert Audit.objects.filter(allocation=scene.allocation).exists()


@pytest.mark.parametrize("how", ["expired", "revoked", "disabled"])
def test_a_dead_token_is_refused_with_401(world: World, how: str) -> None:
    secret = token_for(world.cal)
    client = client_for(secret)
    assert client.get(f"{API}/cases").status_code == 200
    token = ApiToken.objects.get()
    if how == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif how == "revoked":
        api_token_revoke(acting_user=world.cal, token=token)
    else:
        User.objects.filter(pk=world.cal.pk).update(is_active=False)
    response = client.get(f"{API}/cases")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_person_makes_a_token_on_their_profile_page_and_sees_it_once(world: World) -> None:
    browser = signed_in(world.cal)
    assert browser.get("/account/api-tokens/").status_code == 200
    made = browser.post(
        "/account/api-tokens/", {"name": "Case system", "scope": "read", "days": "30"}
    )
    assert made.status_code == 200
    secret = re.search(r"qpa_[A-Za-z0-9_-]{40,}", made.content.decode())
    assert secret is not None
    listing = browser.get("/account/api-tokens/").content.decode()
    assert secret.group(0) not in listing
    assert ApiToken.objects.get().prefix in listing
    assert client_for(secret.group(0)).get(f"{API}/cases").status_code == 200


def test_a_person_revokes_their_own_token_but_not_someone_elses(world: World) -> None:
    secret = token_for(world.cal)
    token = ApiToken.objects.get()
    other = signed_in(world.amy).post(f"/account/api-tokens/{token.public_id}/revoke/")
    assert other.status_code == 404
    assert client_for(secret).get(f"{API}/cases").status_code == 200
    own = signed_in(world.cal).post(f"/account/api-tokens/{token.public_id}/revoke/")
    assert own.status_code == 302
    assert client_for(secret).get(f"{API}/cases").status_code == 401


def test_bad_token_form_input_is_refused_and_nothing_saved(world: World) -> None:
    browser = signed_in(world.cal)
    response = browser.post("/account/api-tokens/", {"name": "", "scope": "admin", "days": "999"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not ApiToken.objects.exists()


# --- Anonymous callers ---------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix=f"{API}/")
    found = []
    for path, item in schema["paths"].items():
        for method in item:
            found.append(
                (
                    method,
                    re.sub(r"\{position\}", "1", re.sub(r"\{\w+_id\}", str(uuid.uuid4()), path)),
                )
            )
    return found


def test_every_operation_answers_401_without_a_token(scene: Scene) -> None:
    operations = _operations()
    assert len(operations) >= 15
    browser_session = signed_in(scene.world.cal)  # a session is not a token
    for method, path in operations:
        for client in (Client(), browser_session, client_for("qpa_not-a-real-token")):
            response = getattr(client, method)(path, {}, content_type="application/json")
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response["Content-Type"] == "application/problem+json"


def test_the_schema_and_its_documentation_need_a_session_or_a_token(world: World) -> None:
    for path in (f"{API}/openapi.json", f"{API}/docs", f"{API}/"):
        assert Client().get(path).status_code == 401, path
    schema = client_for(token_for(world.cal)).get(f"{API}/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    docs = signed_in(world.cal).get(f"{API}/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "PUT /api/v1/audits/{audit_id}/domains/{position}" in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]
    assert "unsafe-inline" not in docs["Content-Security-Policy"]


# --- Remit ---------------------------------------------------------------------------


def _object_requests(scene: Scene) -> list[tuple[str, str, dict[str, Any]]]:
    draft, action = scene.draft, scene.action
    return [
        ("get", f"{API}/cases/{draft.case.public_id}", {}),
        ("get", f"{API}/cycles/{scene.cycle_id}", {}),
        ("get", f"{API}/allocations/{scene.allocation.public_id}", {}),
        ("get", f"{API}/audits/{draft.public_id}", {}),
        ("post", f"{API}/audits", {"allocation": str(scene.allocation.public_id)}),
        ("put", f"{API}/audits/{draft.public_id}/domains/1", {"version": draft.version}),
        ("put", f"{API}/audits/{draft.public_id}/overall", {"version": draft.version}),
        ("put", f"{API}/audits/{draft.public_id}/safety", {"version": draft.version}),
        ("put", f"{API}/audits/{draft.public_id}/voice", {"version": draft.version, "answers": []}),
        (
            "post",
            f"{API}/audits/{draft.public_id}/submit",
            {"version": draft.version, "token": str(uuid.uuid4())},
        ),
        ("get", f"{API}/actions/{action.public_id}", {}),
        ("patch", f"{API}/actions/{action.public_id}", {"status": "in_progress"}),
    ]


def test_every_object_endpoint_answers_404_out_of_remit(scene: Scene) -> None:
    bob = as_user(scene.world.bob)  # an auditor of CP Two: none of this is his
    events_before = Event.objects.filter(action="access.denied").count()
    for method, path, body in _object_requests(scene):
        response = getattr(bob, method)(path, body, content_type="application/json")
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        assert response.json()["title"] == "Not found"
    denied = Event.objects.filter(action="access.denied", actor_username="bob").count()
    assert denied - events_before == len(_object_requests(scene))
    assert Audit.objects.get(pk=scene.draft.pk).version == scene.draft.version
    assert Action.objects.get(pk=scene.action.pk).status == ActionStatus.OPEN


def test_in_remit_the_same_reads_answer_and_are_recorded(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    lead = as_user(scene.world.lead)  # runs cycles: sees every cycle
    assert lead.get(f"{API}/cycles/{scene.cycle_id}").status_code == 200
    case = cal.get(f"{API}/cases/{scene.draft.case.public_id}")
    assert case.status_code == 200 and case.json()["child_id"] == scene.draft.case.child_id
    viewed = Event.objects.filter(action="case.viewed").latest("seq")
    assert (viewed.actor_username, viewed.child_id) == ("cal", scene.draft.case.child_id)
    listing = cal.get(f"{API}/audits", {"status": "draft"})
    assert listing.status_code == 200
    assert {a["id"] for a in listing.json()["results"]} == {str(scene.draft.public_id)}
    assert Event.objects.filter(action="audits.listed", actor_username="cal").exists()
    amy = as_user(scene.world.amy)
    assert amy.get(f"{API}/actions/{scene.action.public_id}").status_code == 200
    assert Event.objects.filter(action="action.viewed", actor_username="amy").exists()


def test_a_practitioner_reads_submitted_audits_of_their_cases_never_drafts(scene: Scene) -> None:
    petra = as_user(scene.world.practitioner)
    assert petra.get(f"{API}/audits/{scene.submitted.public_id}").status_code == 200
    assert petra.get(f"{API}/audits/{scene.draft.public_id}").status_code == 404


def test_someone_in_remit_who_is_not_the_auditor_cannot_change_the_audit(scene: Scene) -> None:
    head = as_user(scene.world.head)  # Head of Service for the case's area
    path = f"{API}/audits/{scene.draft.public_id}/overall"
    response = head.put(path, {"version": scene.draft.version}, content_type="application/json")
    assert response.status_code == 403
    assert Audit.objects.get(pk=scene.draft.pk).version == scene.draft.version


# --- Saving, conflicts and submission ------------------------------------------------


def test_starting_twice_gives_the_same_draft(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    body = {"allocation": str(scene.allocation.public_id)}
    first = cal.post(f"{API}/audits", body, content_type="application/json")
    again = cal.post(f"{API}/audits", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Audit.objects.filter(allocation=scene.allocation).count() == 1


def test_a_save_from_a_stale_version_answers_409_with_the_current_version(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    path = f"{API}/audits/{scene.draft.public_id}/domains/1"
    start = scene.draft.version
    body = {"version": start, "rating": "Good", "evidence": "Seen alone."}
    first = cal.put(path, body, content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == start + 1
    assert first.json()["domains"][0]["evidence"] == "Seen alone."
    stale = cal.put(path, {**body, "evidence": "Overwrite?"}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == start + 1 and stale.json()["code"] == "conflict"
    assert Audit.objects.get(pk=scene.draft.pk).domain_ratings.get().evidence == "Seen alone."


def test_a_save_without_a_version_is_refused_with_400(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    path = f"{API}/audits/{scene.draft.public_id}/overall"
    for body in ({}, {"version": None}, {"version": 0}, {"version": "two"}):
        response = cal.put(
            path, {**body, "overall_rationale": "x"}, content_type="application/json"
        )
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
    assert Audit.objects.get(pk=scene.draft.pk).version == scene.draft.version


def test_ratings_must_be_of_the_tools_scale(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    path = f"{API}/audits/{scene.draft.public_id}/overall"
    body = {"version": scene.draft.version, "overall_rating": "Brilliant"}
    response = cal.put(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "overall_rating"


def test_questions_about_the_childs_voice_are_answered_and_submitted(world: World) -> None:
    tool = AuditTool.objects.get(slug=CP_CORE)
    tool_services.tool_questions_suggest(acting_user=None, tool=tool)
    audit = completed(started(world))  # every domain and the overall judgement
    cal = as_user(world.cal)
    path = f"{API}/audits/{audit.public_id}"
    questions = cal.get(path).json()["questions"]
    assert [q["position"] for q in questions] == [1, 2, 3, 4]
    assert questions[0]["text"] == "Was the child seen, and seen alone where appropriate?"
    assert questions[0]["text_asked"] == "not_yes" and questions[0]["answer"] == ""
    assert questions[0]["text_label"] == "What is missing"
    submit_body = {"version": audit.version, "token": str(uuid.uuid4())}
    refused = cal.post(f"{path}/submit", submit_body, content_type="application/json")
    assert refused.status_code == 400  # the questions are not answered yet

    answers = [
        {"position": q["position"], "answer": "yes", "text": "Seen alone at school."}
        for q in questions
    ]
    body = {"version": audit.version, "answers": answers}
    saved = cal.put(f"{path}/voice", body, content_type="application/json")
    assert saved.status_code == 200, saved.json()
    assert [q["answer"] for q in saved.json()["questions"]] == ["yes"] * 4
    assert saved.json()["questions"][0]["answer_text"] == "Seen alone at school."
    version = saved.json()["version"]
    done = cal.post(
        f"{path}/submit",
        {"version": version, "token": str(uuid.uuid4())},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == AuditStatus.SUBMITTED


def test_a_voice_answer_must_be_one_of_the_answers_to_a_question_of_the_tool(
    world: World,
) -> None:
    tool = AuditTool.objects.get(slug=CP_CORE)
    tool_services.tool_questions_suggest(acting_user=None, tool=tool)
    audit = started(world)
    cal = as_user(world.cal)
    path = f"{API}/audits/{audit.public_id}/voice"
    for answers in (
        [{"position": 1, "answer": "maybe"}],
        [{"position": 9, "answer": "yes"}],
        [{"position": 1, "answer": "yes"}, {"position": 1, "answer": "no"}],
    ):
        body = {"version": audit.version, "answers": answers}
        response = cal.put(path, body, content_type="application/json")
        assert response.status_code == 400, answers
        assert response["Content-Type"] == "application/problem+json"
    assert not VoiceAnswer.objects.filter(audit=audit).exists()


def test_submitting_twice_with_the_same_token_submits_once(scene: Scene) -> None:
    audit = completed(scene.draft)
    cal = as_user(scene.world.cal)
    path = f"{API}/audits/{audit.public_id}/submit"
    body = {"version": audit.version, "token": str(uuid.uuid4())}
    first = cal.post(path, body, content_type="application/json")
    again = cal.post(path, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["status"] == again.json()["status"] == AuditStatus.SUBMITTED
    assert AuditChange.objects.filter(audit=audit, kind=ChangeKind.SUBMITTED).count() == 1
    other = cal.post(path, {**body, "token": str(uuid.uuid4())}, content_type="application/json")
    assert other.status_code == 409 and other.json()["code"] == "locked"


def test_an_incomplete_audit_is_refused_with_what_is_missing(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    body = {"version": scene.draft.version, "token": str(uuid.uuid4())}
    response = cal.post(
        f"{API}/audits/{scene.draft.public_id}/submit", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Complete" in response.json()["detail"]
    assert Audit.objects.get(pk=scene.draft.pk).status == AuditStatus.DRAFT


def test_the_owner_moves_an_action_on_and_completes_it_with_evidence(scene: Scene) -> None:
    amy = as_user(scene.world.amy)
    path = f"{API}/actions/{scene.action.public_id}"
    moved = amy.patch(path, {"status": "in_progress"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    bare = amy.patch(path, {"status": "completed"}, content_type="application/json")
    assert bare.status_code == 400
    done = amy.patch(
        path,
        {"status": "completed", "evidence": "Seen"},
        content_type="application/json",
    )
    assert done.status_code == 400 and "at least 20 characters" in done.content.decode()
    done = amy.patch(
        path,
        {"status": "completed", "evidence": "Seen at home on 3 December; see case note 12."},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert Event.objects.filter(action="action.completed", actor_username="amy").exists()


def test_malformed_json_is_a_400_problem(scene: Scene) -> None:
    cal = as_user(scene.world.cal)
    response = cal.put(
        f"{API}/audits/{scene.draft.public_id}/overall",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


# --- Rate limits ---------------------------------------------------------------------


def test_past_the_rate_limit_a_token_gets_429_with_retry_after(world: World, settings: Any) -> None:
    settings.QPA_API_RATE_LIMIT_PER_MINUTE = 3
    busy, other = as_user(world.cal), as_user(world.cal)
    for _ in range(3):
        assert busy.get(f"{API}/cases").status_code == 200
    limited = busy.get(f"{API}/cases")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["retry_after"] == int(limited["Retry-After"])
    assert other.get(f"{API}/cases").status_code == 200  # per token, not per person


# --- Reports -------------------------------------------------------------------------


def test_the_report_summary_is_exactly_the_reports_json_contract(scene: Scene) -> None:
    from django.core.serializers.json import DjangoJSONEncoder

    from qpa.reports.summary import parse_month, report_summary

    lead = as_user(scene.world.lead)  # an Assistant Director reads reports
    # A director may open every audit counted, so may ask for the figures in full.
    period = {"from": "2026-04", "to": "2027-03", "unsuppressed": "true"}
    response = lead.get(f"{API}/reports/summary", period)
    assert response.status_code == 200
    expected = report_summary(period_from=parse_month("2026-04"), period_to=parse_month("2027-03"))
    assert response.json() == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))


def test_the_report_summary_refuses_bad_periods_and_other_roles(scene: Scene) -> None:
    lead = as_user(scene.world.lead)
    for period in ({"from": "2026-13", "to": "2027-03"}, {"from": "2027-03", "to": "2026-04"}, {}):
        response = lead.get(f"{API}/reports/summary", period)
        assert response.status_code == 400, period
    cal = as_user(scene.world.cal)  # an auditor reads no reports on the web either
    period = {"from": "2026-04", "to": "2027-03"}
    assert cal.get(f"{API}/reports/summary", period).status_code == 403


def test_a_token_needs_no_session_and_the_mfa_step_does_not_redirect_it(
    world: World, settings: Any
) -> None:
    settings.QPA_MFA_REQUIRED = True
    client = as_user(world.cal)
    response = client.get(f"{API}/cases")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    # A session that has passed only the password step is still sent to its second step.
    assert signed_in(world.cal).get("/")["Location"].startswith("/sign-in/")


# --- Operation ids -------------------------------------------------------------------


def test_each_operation_is_named_by_its_view_for_generated_clients() -> None:
    schema = api.get_openapi_schema(path_prefix=f"{API}/")
    ids = [
        operation["operationId"] for item in schema["paths"].values() for operation in item.values()
    ]
    assert len(ids) == len(set(ids)), "two operations share an id"
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)+", op) for op in ids), ids
    assert {"case_list", "case_detail", "audit_submit", "report_summary_read"} <= set(ids)
    assert schema["paths"][f"{API}/cases"]["get"]["operationId"] == "case_list"
    submit_path = f"{API}/audits/{{audit_id}}/submit"
    assert schema["paths"][submit_path]["post"]["operationId"] == "audit_submit"


# --- Lists: a fixed number of queries, filters in the database -----------------------

# Each list, as a reader who runs cycles (an Assistant Director) sees it; cases filtered
# to the team whose rows the test adds.
LISTS = [
    "/cases?team=Quality+Team",
    "/cycles",
    "/allocations",
    "/audits",
    "/actions",
    "/reaudits",
    "/moderations",
]


def _add_rows(world: World, team: Team, n: int) -> None:
    """n more of everything the lists show, each with what its row names: a case of
    `team`, its allocation (and cycle) to cal, cal's submitted audit of it with an
    action, a submitted re-audit of that audit by bob that differs in its ratings (every
    other original agreed at moderation, so the counted ratings are the agreed ones),
    and a moderation by bob with both audits submitted."""
    now, today = timezone.now(), timezone.localdate()
    draw = ReAuditDraw.objects.get_or_create(
        quarter="2026-Q3",
        defaults={"seed": "5eed" * 16, "requested_count": 1, "drawn_at": now},
    )[0]
    start = Case.objects.filter(team=team).count()
    for i in range(start, start + n):
        case = CaseFactory(child_id=f"QT{i:03d}", team=team)
        allocation = allocate(world, auditor=world.cal, case=case, tool_slug="quality-of-practice")
        audit = submitted_audit(case=case, auditor=world.cal, overall="Inadequate")
        Audit.objects.filter(pk=audit.pk).update(allocation=allocation)
        if i % 2:
            Audit.objects.filter(pk=audit.pk).update(
                agreed_at=now, agreed_overall_rating=rating("Adequate")
            )
            DomainRating.objects.filter(audit=audit).update(agreed_rating=rating("Adequate"))
        Action.objects.create(
            audit=audit, description="See the child alone.", owner=world.amy, due_date=today
        )
        second = submitted_audit(case=case, auditor=world.bob, overall="Good")
        ReAudit.objects.create(
            draw=draw, original=audit, reaudit=second, auditor=world.bob, rank=i, due_date=today
        )
        Moderation.objects.create(
            draw=ModerationDraw.objects.create(
                cycle=allocation.sampled_case.cycle,
                share=0.1,
                seed="5eed" * 16,
                frame_size=1,
                drawn_at=now,
            ),
            allocation=allocation,
            moderator=world.bob,
            moderation_audit=submitted_audit(case=case, auditor=world.bob, overall="Adequate"),
            rank=1,
        )


def _all_of(path: str) -> str:
    return f"{API}{path}{'&' if '?' in path else '?'}page_size=100"


def test_every_list_reads_20_rows_in_the_queries_it_takes_for_2(
    world: World, django_assert_max_num_queries: Any
) -> None:
    lead = as_user(world.lead)
    team = TeamFactory(name="Quality Team", service_area=area("child-protection"))
    _add_rows(world, team, 2)
    few: dict[str, tuple[int, int]] = {}
    for path in LISTS:
        with CaptureQueriesContext(connection) as queries:
            response = lead.get(_all_of(path))
        assert response.status_code == 200, path
        listed = response.json()
        assert listed["count"] >= 2 and len(listed["results"]) == listed["count"], path
        few[path] = (len(queries), listed["count"])
        # Authentication, count, page, the event: whatever the rows need is read with them.
        assert len(queries) <= 12, f"{path}: {len(queries)} queries"
    _add_rows(world, team, 18)
    for path in LISTS:
        queries_for_few, rows_for_few = few[path]
        with django_assert_max_num_queries(queries_for_few):
            response = lead.get(_all_of(path))
        assert response.json()["count"] == 10 * rows_for_few, path


def test_a_listed_reaudit_compares_as_the_reaudit_does_alone(world: World) -> None:
    team = TeamFactory(name="Quality Team", service_area=area("child-protection"))
    _add_rows(world, team, 3)
    lead = as_user(world.lead)
    listed = lead.get(f"{API}/reaudits").json()["results"]
    assert len(listed) == 3
    for row in listed:
        alone = lead.get(f"{API}/reaudits/{row['id']}").json()
        assert row == alone
        assert row["comparison"][-1]["domain"] == "Overall"
    # Agreed at moderation, the original counts as Adequate; otherwise as Inadequate.
    overall = sorted(row["comparison"][-1]["original"] for row in listed)
    assert overall == ["Adequate", "Inadequate", "Inadequate"]
    assert {row["comparison"][-1]["outcome"] for row in listed} == {"Improved"}


def test_a_moderation_names_its_audits_from_the_database_as_the_reader_may_open_them(
    world: World,
) -> None:
    team = TeamFactory(name="Quality Team", service_area=area("child-protection"))
    _add_rows(world, team, 2)
    moderation = Moderation.objects.select_related("allocation__audit").first()
    assert moderation is not None
    first = moderation.allocation.audit
    # While bob's moderation audit is a draft, cal (the first auditor) is not told of the
    # moderation, and bob may not open cal's audit.
    Audit.objects.filter(pk=moderation.moderation_audit_id).update(status=AuditStatus.DRAFT)
    bob = as_user(world.bob)
    shown = bob.get(f"{API}/moderations/{moderation.public_id}").json()
    assert shown["first_audit"] is None
    assert shown["moderation_audit"] == str(moderation.moderation_audit.public_id)
    listed = {m["id"]: m for m in bob.get(f"{API}/moderations").json()["results"]}
    assert listed[str(moderation.public_id)] == shown
    cal = as_user(world.cal)
    assert str(moderation.public_id) not in cal.get(f"{API}/moderations").content.decode()
    lead = as_user(world.lead)
    both = lead.get(f"{API}/moderations/{moderation.public_id}").json()
    assert both["first_audit"] == str(first.public_id)
    assert both["moderation_audit"] == str(moderation.moderation_audit.public_id)


# --- The report summary: typed in the schema, unchanged in the document --------------


def _summary_of(client: Client, reader: User, **params: str) -> tuple[dict[str, Any], Any]:
    """The API's report summary, and the document the reports build for the same reader
    (qpa.reports.document), as JSON."""
    from qpa.reports.document import report_document
    from qpa.reports.summary import parse_month

    response = client.get(f"{API}/reports/summary", {"from": "2026-04", "to": "2027-03", **params})
    assert response.status_code == 200
    compare = params.get("compare_from"), params.get("compare_to")
    expected = report_document(
        reader=reader,
        period_from=parse_month("2026-04"),
        period_to=parse_month("2027-03"),
        intervals=params.get("intervals") == "true",
        unsuppressed=params.get("unsuppressed") == "true",
        compare=(parse_month(compare[0]), parse_month(compare[1])) if compare[0] else None,
        teams=params.get("teams") == "true",
        assurance=params.get("assurance") == "true",
    )
    return response.json(), json.loads(json.dumps(expected, cls=DjangoJSONEncoder))


def _undeclared(
    value: Any, schema: dict[str, Any], components: dict[str, Any], at: str
) -> list[str]:
    """The members of `value` that `schema` does not declare, where it allows no others."""
    if value is None:
        return []
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    missing = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, member in value.items():
            if key in properties:
                missing += _undeclared(member, properties[key], components, f"{at}.{key}")
            elif not schema.get("additionalProperties"):
                missing.append(f"{at}.{key}")
    elif isinstance(value, list):
        for item in value:
            missing += _undeclared(item, schema.get("items", {}), components, f"{at}[]")
    return missing


EVERY_MEMBER = {
    "intervals": "true",
    "compare_from": "2025-04",
    "compare_to": "2026-03",
    "teams": "true",
    "assurance": "true",
}


@pytest.mark.parametrize(
    "params",
    [{}, {"intervals": "true"}, EVERY_MEMBER, {**EVERY_MEMBER, "unsuppressed": "true"}],
    ids=["suppressed", "with-intervals", "every-member", "every-member-in-full"],
)
def test_the_report_summary_is_typed_member_by_member_and_its_document_unchanged(
    scene: Scene, params: dict[str, str]
) -> None:
    lead = as_user(scene.world.lead)
    schema = lead.get(f"{API}/openapi.json").json()  # as a client generator reads it
    components = schema["components"]["schemas"]
    answer = schema["paths"][f"{API}/reports/summary"]["get"]["responses"]["200"]
    typed = answer["content"]["application/json"]["schema"]
    assert typed == {"$ref": "#/components/schemas/ReportSummary"}
    summary = components["ReportSummary"]
    assert not summary.get("additionalProperties")
    assert summary["properties"]["overall"]["items"] == {
        "$ref": "#/components/schemas/RatingFigures"
    }
    assert summary["properties"]["period"] == {"$ref": "#/components/schemas/ReportPeriod"}
    assert components["ReportPeriod"]["properties"]["from"]["format"] == "date"

    document, expected = _summary_of(lead, scene.world.lead, **params)
    # The same members, in the same order, with the same values: byte for byte.
    assert json.dumps(document) == json.dumps(expected)
    assert ("ci95" in document["overall"][0]) == ("intervals" in params)
    for member in ("comparison", "teams", "assurance"):
        assert (member in document) == (params is EVERY_MEMBER or "teams" in params)
    assert _undeclared(document, typed, components, "summary") == []


def test_a_client_generated_from_the_schema_reads_a_typed_report_summary(
    scene: Scene, tmp_path: Path
) -> None:
    """openapi-python-client, as a council's developer would run it over openapi.json:
    the report summary comes back as a ReportSummary, each member typed."""
    lead = as_user(scene.world.lead)
    (tmp_path / "openapi.json").write_text(lead.get(f"{API}/openapi.json").content.decode())
    tools = Path(sys.executable).parent
    generated = subprocess.run(  # noqa: S603 - the venv's own generator, fixed arguments
        [
            str(tools / "openapi-python-client"),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--output-path",
            str(tmp_path / "qpa_client"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (tmp_path / "qpa_client" / "api" / "cases" / "case_list.py").exists()

    sys.path.insert(0, str(tmp_path))
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        client_module = importlib.import_module("qpa_client.client")
        summary_module = importlib.import_module("qpa_client.api.reports.report_summary_read")
        models = importlib.import_module("qpa_client.models")
        secret = token_for(scene.world.lead)
        client = client_module.AuthenticatedClient(
            base_url="http://testserver",
            token=secret,
            httpx_args={"transport": httpx.WSGITransport(app=WSGIHandler())},
        )
        summary = summary_module.sync(
            client=client, from_="2026-04", to="2027-03", unsuppressed=True, intervals=True
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "qpa_client" or m.startswith("qpa_client.")]:
            del sys.modules[name]

    assert isinstance(summary, models.ReportSummary)
    assert summary.period.from_.isoformat() == "2026-04-01"
    assert isinstance(summary.overall[0], models.RatingFigures)
    assert isinstance(summary.overall[0].count, int)
    assert isinstance(summary.domains[0], models.DomainFigures)
    assert all(isinstance(row.ci95, list) for row in summary.overall if row.count)
    assert isinstance(summary.suppression, models.Suppression)
    assert summary.suppression.applied is False
    assert summary.audits_completed == sum(r.count for r in summary.overall) + (
        summary.not_comparable or 0
    ) + (summary.no_overall_rating or 0)
