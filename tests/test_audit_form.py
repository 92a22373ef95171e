"""The audit form: start from an allocation, the task list, domain and overall pages,
saving with and without JavaScript, optimistic locking, and drafts that outlive a
session."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from qpa.accounts.sessions import LAST_ACTIVITY
from qpa.audits import services
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.cycles.models import AllocationStatus
from qpa.cycles.services import allocation_audit_start
from qpa.tools.models import Rating
from tests.support.audits import (
    JSON_SAVE,
    cp_case,
    domain_post,
    domain_url,
    domains_of,
    fresh,
    started,
)
from tests.support.factories import allocate, rating
from tests.support.people import signed_in
from tests.support.worlds import World

# --- Starting ------------------------------------------------------------------------


def test_an_auditor_starts_the_audit_from_their_allocation_once(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    client = signed_in(world.cal)
    page = client.get("/cycles/my-allocations/").content.decode()
    assert f'action="/cycles/allocations/{allocation.public_id}/start/"' in page
    assert "Start the audit" in page

    first = client.post(f"/cycles/allocations/{allocation.public_id}/start/")
    second = client.post(f"/cycles/allocations/{allocation.public_id}/start/")

    audit = Audit.objects.get(allocation=allocation)
    assert Audit.objects.filter(case=allocation.sampled_case.case).count() == 1
    assert first["Location"] == second["Location"] == f"/audits/{audit.public_id}/tasks/"
    assert audit.tool_version == allocation.sampled_case.cycle.tool_version
    assert audit.auditor == world.cal and audit.status == AuditStatus.DRAFT
    assert "Continue the audit" in client.get("/cycles/my-allocations/").content.decode()
    assert "Continue the audit" in client.get("/").content.decode()


def test_only_the_allocated_auditor_can_start_the_audit(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    assert (
        signed_in(world.bob).post(f"/cycles/allocations/{allocation.public_id}/start/").status_code
        == 404
    )
    assert (
        signed_in(world.practitioner)
        .post(f"/cycles/allocations/{allocation.public_id}/start/")
        .status_code
        == 403
    )
    assert not Audit.objects.exists()


def test_a_withdrawn_allocation_cannot_be_started(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    allocation.status = AllocationStatus.WITHDRAWN
    allocation.save()
    with pytest.raises(ValidationError):
        allocation_audit_start(acting_user=world.cal, allocation=allocation)
    assert not Audit.objects.exists()


# --- The task list and the pages -----------------------------------------------------


def test_the_task_list_shows_each_domain_then_the_overall_judgement_with_status(
    world: World,
) -> None:
    audit = started(world)
    first, second, _third = domains_of(audit)
    services.audit_save_domain(
        acting_user=world.cal,
        audit=audit,
        domain=second,
        version=audit.version,
        rating=None,
        not_applicable=False,
        evidence="Half a thought",
        strengths="",
        improvements="",
    )
    audit = fresh(audit)
    services.audit_save_domain(
        acting_user=world.cal,
        audit=audit,
        domain=first,
        version=audit.version,
        rating=rating("Good"),
        not_applicable=False,
        evidence="Strategy discussion held the same day.",
        strengths="",
        improvements="",
    )
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/tasks/").content.decode()
    statuses = re.findall(r'id="task-(\d+)-status">(.*?)</div>', page)
    assert [(n, re.sub(r"<[^>]+>", "", s)) for n, s in statuses] == [
        ("1", "Completed"),
        ("2", "In progress"),
        ("3", "Not yet started"),
        ("0", "Not yet started"),
    ]
    assert "govuk-task-list" in page
    assert f"/audits/{audit.public_id}/check/" in page
    assert "You have completed 1 of 5 sections" in page


def test_a_domain_page_shows_prompts_guidance_and_the_scale(world: World) -> None:
    audit = started(world, tool_slug="quality-of-practice")
    client = signed_in(world.cal)
    domains = domains_of(audit)
    first = client.get(domain_url(audit, 1)).content.decode()
    assert domains[0].prompts.splitlines()[0] in first
    assert "What good looks like" in first
    for label in ("Outstanding", "Good", "Adequate", "Inadequate", "Critical"):
        assert f">{label}</label>" in first
    assert domains[0].allows_not_applicable and "Not applicable" in first
    assert not domains[1].allows_not_applicable
    assert "Not applicable" not in client.get(domain_url(audit, 2)).content.decode()
    for label in ("Evidence and findings", "Strengths", "What needs to improve"):
        assert label in first
    assert 'aria-live="polite"' in first and "audits/autosave.js" in first
    assert client.get(domain_url(audit, 11)).status_code == 404


def test_save_and_continue_works_without_javascript(world: World) -> None:
    audit = started(world)
    response = signed_in(world.cal).post(
        domain_url(audit),
        domain_post(
            audit, version=audit.version, evidence="Seen within 24 hours.", then="continue"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/audits/{audit.public_id}/tasks/"
    answer = DomainRating.objects.get(audit=audit, domain=domains_of(audit)[0])
    assert answer.evidence == "Seen within 24 hours." and answer.rating == rating("Good")
    assert fresh(audit).version == audit.version + 1


def test_not_applicable_is_saved_where_the_tool_allows_it(world: World) -> None:
    audit = started(world, tool_slug="quality-of-practice")
    client = signed_in(world.cal)
    ok = client.post(
        domain_url(audit, 1),
        domain_post(audit, version=audit.version, evidence="", rating="not-applicable"),
    )
    assert ok.status_code == 302
    answer = DomainRating.objects.get(audit=audit)
    assert answer.not_applicable and answer.rating is None
    refused = client.post(
        domain_url(audit, 2),
        domain_post(audit, version=fresh(audit).version, evidence="", rating="not-applicable"),
    )
    assert refused.status_code == 400
    assert "Choose one of the ratings." in refused.content.decode()
    assert DomainRating.objects.filter(audit=audit).count() == 1


def test_autosave_answers_json_with_the_new_version_and_the_time(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    response = client.post(
        domain_url(audit),
        domain_post(audit, version=audit.version, evidence="The child was seen al"),
        **JSON_SAVE,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "saved" and body["version"] == audit.version + 1
    assert re.fullmatch(r"\d\d:\d\d", body["saved_at"])
    assert DomainRating.objects.get(audit=audit).evidence == "The child was seen al"


def test_autosave_does_not_keep_the_session_alive(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    client.get(domain_url(audit))
    session = client.session
    a_minute_ago = time.time() - 60
    session[LAST_ACTIVITY] = a_minute_ago
    session.save()
    saved = client.post(
        domain_url(audit), domain_post(audit, version=audit.version, evidence="x"), **JSON_SAVE
    )
    assert saved.json()["status"] == "saved"
    assert client.session[LAST_ACTIVITY] == a_minute_ago
    client.get(domain_url(audit))  # a page the person opens does restart the clock
    assert client.session[LAST_ACTIVITY] > a_minute_ago


def test_the_overall_page_saves_rating_rationale_and_the_voice_of_child_and_family(
    world: World,
) -> None:
    audit = started(world)
    response = signed_in(world.cal).post(
        f"/audits/{audit.public_id}/overall/",
        {
            "version": str(audit.version),
            "overall_rating": str(rating("Adequate").pk),
            "overall_rationale": "Sound plan, slow to act.",
            "child_experience_captured": "partly",
            "child_experience_text": "Seen, not asked.",
            "family_view_captured": "no",
            "family_view_text": "",
            "then": "continue",
        },
    )
    assert response.status_code == 302
    audit = fresh(audit)
    assert audit.overall_rating == rating("Adequate")
    assert audit.overall_rationale == "Sound plan, slow to act."
    assert (audit.child_experience_captured, audit.child_experience_text) == (
        "partly",
        "Seen, not asked.",
    )
    assert audit.family_view_captured == "no"
    page = signed_in(world.cal).get(f"/audits/{audit.public_id}/overall/").content.decode()
    for question in (
        "Was the child’s lived experience captured?",
        "Was the family’s view captured?",
    ):
        assert question in page
    assert "Seen, not asked." in page


def test_too_long_text_is_refused_with_a_clear_message_and_nothing_saved(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    response = client.post(
        domain_url(audit), domain_post(audit, version=audit.version, evidence="x" * 20_001)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "Keep this to 20,000 characters or fewer." in body
    assert "<title>Error: " in body
    assert not DomainRating.objects.exists() and fresh(audit).version == audit.version
    autosave = client.post(
        domain_url(audit),
        domain_post(audit, version=audit.version, evidence="x" * 20_001),
        **JSON_SAVE,
    )
    assert autosave.status_code == 400 and autosave.json()["status"] == "invalid"


# --- Optimistic locking --------------------------------------------------------------


def test_two_clients_saving_from_the_same_version_the_second_is_refused_and_shown_both(
    world: World,
) -> None:
    audit = started(world)
    first, second = signed_in(world.cal), signed_in(world.cal)
    version = audit.version
    saved = first.post(
        domain_url(audit), domain_post(audit, version=version, evidence="Mine first.")
    )
    refused = second.post(
        domain_url(audit), domain_post(audit, version=version, evidence="Theirs second.")
    )

    assert saved.status_code == 302
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Your changes were not saved" in page
    assert "Mine first." in page and "Theirs second." in page
    assert DomainRating.objects.get(audit=audit).evidence == "Mine first."
    assert fresh(audit).version == version + 1
    # The conflict page's form starts from the version that won: saving it is deliberate.
    assert f'name="version" value="{version + 1}"' in page


def test_a_stale_autosave_answers_409_with_the_other_version(world: World) -> None:
    audit = started(world)
    version = audit.version
    signed_in(world.cal).post(
        domain_url(audit), domain_post(audit, version=version, evidence="Saved in one tab.")
    )
    response = signed_in(world.cal).post(
        domain_url(audit),
        domain_post(audit, version=version, evidence="Typed in another."),
        **JSON_SAVE,
    )
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "conflict" and body["version"] == version + 1
    assert body["theirs"]["Evidence and findings"] == "Saved in one tab."
    assert DomainRating.objects.get(audit=audit).evidence == "Saved in one tab."


def test_the_services_refuse_a_stale_version_and_change_nothing(world: World) -> None:
    audit = started(world)
    domain = domains_of(audit)[0]
    kwargs: dict[str, Any] = {
        "acting_user": world.cal,
        "audit": audit,
        "domain": domain,
        "rating": None,
        "not_applicable": False,
        "strengths": "",
        "improvements": "",
    }
    services.audit_save_domain(version=audit.version, evidence="A", **kwargs)
    with pytest.raises(services.AuditConflict) as conflict:
        services.audit_save_domain(version=audit.version, evidence="B", **kwargs)
    assert conflict.value.current.version == audit.version + 1
    assert DomainRating.objects.get(audit=audit).evidence == "A"


@pytest.mark.parametrize("version", [None, "", "0", "abc"])
def test_a_save_without_a_version_is_rejected(world: World, version: str | None) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    data = domain_post(audit, version=None, evidence="No version")
    if version is not None:
        data["version"] = version
    page = client.post(domain_url(audit), data)
    assert page.status_code == 400
    assert "did not say which version" in page.content.decode()
    autosave = client.post(domain_url(audit), data, **JSON_SAVE)
    assert autosave.status_code == 400 and autosave.json()["status"] == "rejected"
    assert not DomainRating.objects.exists() and fresh(audit).version == audit.version


def test_the_service_rejects_a_save_without_a_version(world: World) -> None:
    audit = started(world)
    with pytest.raises(ValidationError):
        services.audit_save_overall(
            acting_user=world.cal,
            audit=audit,
            version=None,  # type: ignore[arg-type]
            overall_rating=None,
            overall_rationale="x",
            child_experience_captured="",
            child_experience_text="",
            family_view_captured="",
            family_view_text="",
        )
    assert fresh(audit).overall_rationale == ""


# --- Drafts outlive a session --------------------------------------------------------


def test_a_draft_survives_signing_out_and_a_new_sign_in(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    client.post(
        domain_url(audit),
        domain_post(audit, version=audit.version, evidence="Half-way through a sentence and"),
        **JSON_SAVE,
    )
    client.post("/sign-out/")
    assert client.get(domain_url(audit)).status_code == 302  # signed out
    page = signed_in(world.cal).get(domain_url(audit)).content.decode()
    assert "Half-way through a sentence and" in page


def test_an_autosave_after_the_session_ended_is_not_taken_as_saved(world: World) -> None:
    audit = started(world)
    client = signed_in(world.cal)
    client.post("/sign-out/")
    response = client.post(
        domain_url(audit), domain_post(audit, version=audit.version, evidence="lost?"), **JSON_SAVE
    )
    # The script sees no JSON and tells the person it has not saved.
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert not DomainRating.objects.exists()


# --- Who may edit --------------------------------------------------------------------


def test_only_the_audits_auditor_edits_it(world: World) -> None:
    audit = started(world)
    # Harriet's remit holds the case but the audit is not hers: refused.
    assert signed_in(world.head).get(domain_url(audit)).status_code == 403
    assert (
        signed_in(world.head)
        .post(domain_url(audit), domain_post(audit, version=audit.version, evidence="x"))
        .status_code
        == 403
    )
    # Bob neither holds the case nor the audit: it does not exist for him.
    assert signed_in(world.bob).get(domain_url(audit)).status_code == 404
    assert signed_in(world.bob).get(f"/audits/{audit.public_id}/").status_code == 404
    # Practitioners never edit audits, and never see drafts.
    assert signed_in(world.practitioner).get(domain_url(audit)).status_code == 403
    assert signed_in(world.practitioner).get(f"/audits/{audit.public_id}/").status_code == 404
    assert not DomainRating.objects.exists()


def test_viewing_an_audit_page_is_recorded_in_the_event_log(world: World) -> None:
    from qpa.core.models import Event

    audit = started(world)
    signed_in(world.cal).get(domain_url(audit))
    event = Event.objects.filter(action="audit.viewed").first()
    assert event is not None and event.child_id == audit.case.child_id
    assert Event.objects.filter(action="audit.started", actor_username="cal").exists()


def test_ratings_are_from_the_tools_scale_only(world: World) -> None:
    audit = started(world)
    other_scale = Rating.objects.filter(scale__slug="ilacs").first()
    assert other_scale is not None
    with pytest.raises(ValidationError):
        services.audit_save_domain(
            acting_user=world.cal,
            audit=audit,
            domain=domains_of(audit)[0],
            version=audit.version,
            rating=other_scale,
            not_applicable=False,
            evidence="",
            strengths="",
            improvements="",
        )
    assert not DomainRating.objects.exists() and fresh(audit).version == audit.version
