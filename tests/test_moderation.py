"""Blind moderation: the draw, the blind rule on every audits and assurance URL, the
agreed ratings, and the agreement figures page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from qpa.accounts.models import Role, User
from qpa.assurance import services
from qpa.assurance.models import Moderation, ModerationDraw
from qpa.audits import services as audit_services
from qpa.audits.blind import audit_ratings_hidden_from
from qpa.audits.models import Audit, AuditStatus, DomainRating
from qpa.audits.selectors import audits_visible_to
from qpa.cases.selectors import cases_visible_to
from qpa.cycles.models import Allocation
from qpa.cycles.sampling import ranked
from qpa.cycles.services import allocation_audit_start
from qpa.notifications.models import Notification
from tests.support.audits import completed, cp_case, submit
from tests.support.factories import UserFactory, allocate, area, rating
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

SECRET = "First auditor's evidence 7f3c"


@dataclass
class Pair:
    world: World
    allocation: Allocation
    moderation: Moderation
    first: Audit  # cal's audit, a draft with evidence
    second: Audit  # the moderator's audit, a draft


def _pair(world: World) -> Pair:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    first = allocation_audit_start(acting_user=world.cal, allocation=allocation)
    domain = first.tool_version.domains.order_by("order").first()
    assert domain is not None
    first = audit_services.audit_save_domain(
        acting_user=world.cal,
        audit=first,
        domain=domain,
        version=first.version,
        rating=rating("Inadequate"),
        not_applicable=False,
        evidence=SECRET,
        strengths="",
        improvements="",
    )
    services.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=10
    )
    moderation = Moderation.objects.get(allocation=allocation)
    return Pair(world, allocation, moderation, first, moderation.moderation_audit)


@pytest.fixture
def world(db: None) -> World:
    return build_world(per_team=1)


@pytest.fixture
def pair(world: World) -> Pair:
    return _pair(world)


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((f"{entry.lookup_str}", prefix + str(entry.pattern)))
    return found


def _paths_for(pair: Pair, audit: Audit) -> list[str]:
    """Every audits and assurance URL, filled in with this audit, its allocation and
    its moderation."""
    paths = []
    for view, route in _routes(get_resolver()):
        if not (view.startswith("qpa.audits.") or view.startswith("qpa.assurance.")):
            continue
        public_id = pair.moderation.public_id if "qpa.assurance." in view else audit.public_id
        path = (
            route.replace("<uuid:public_id>", str(public_id))
            .replace("<uuid:allocation_id>", str(pair.allocation.public_id))
            .replace("<int:position>", "1")
            .replace("<slug:quarter>", "2026-Q3")
        )
        assert "<" not in path, path
        paths.append("/" + path)
    return [*paths, "/"]


def test_the_draw_takes_the_share_by_hmac_rank_and_a_moderator_independent_of_the_case(
    world: World,
) -> None:
    allocations = [
        allocate(world, auditor=world.cal, case=case) for case in world.cases["CP One"][:1]
    ]
    cycle = allocations[0].sampled_case.cycle
    draw = services.moderation_draw(acting_user=world.lead, cycle=cycle, share_percent=10)

    assert draw.seed and len(draw.seed) == 64 and draw.share == pytest.approx(0.1)
    moderation = Moderation.objects.get(draw=draw)
    child_ids = [a.sampled_case.case.child_id for a in allocations]
    assert (
        moderation.allocation.sampled_case.case.child_id
        == ranked(draw.seed, services.MODERATION_STRATUM, child_ids)[0]
    )
    # cal audits it; amy manages its team; harriet is Head of Service for its area.
    assert moderation.moderator == world.bob
    second = moderation.moderation_audit
    assert second.case == moderation.allocation.sampled_case.case
    assert second.tool_version == cycle.tool_version
    assert second.auditor == world.bob and second.allocation is None
    assert Notification.objects.filter(
        recipient=world.bob, kind="assurance.moderation_allocated"
    ).exists()
    with pytest.raises(Exception, match="has been drawn"):
        services.moderation_draw(acting_user=world.lead, cycle=cycle)


def test_nobody_independent_means_nothing_is_drawn(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    User.objects.filter(pk=world.bob.pk).update(is_active=False)
    with pytest.raises(Exception, match="Nobody independent"):
        services.moderation_draw(acting_user=world.lead, cycle=allocation.sampled_case.cycle)
    assert not ModerationDraw.objects.exists()
    assert not Moderation.objects.exists()


def test_the_moderator_cannot_reach_the_first_audit_through_any_url(pair: Pair) -> None:
    bob = signed_in(pair.world.bob)
    # The moderator has the case in remit (they audit it), but the blind rule takes the
    # first audit out of their remit until both are submitted: no page can show it.
    assert pair.first.case in cases_visible_to(user=pair.world.bob)
    assert not audits_visible_to(user=pair.world.bob).filter(pk=pair.first.pk).exists()
    assert audit_ratings_hidden_from(pair.world.bob, pair.first)
    paths = _paths_for(pair, pair.first)
    assert len(paths) >= 12
    for path in paths:
        for response in (bob.get(path), bob.post(path, {})):
            body = response.content.decode()
            assert SECRET not in body, path
            if path.startswith(f"/audits/{pair.first.public_id}/"):
                assert response.status_code in (403, 404, 405), (path, response.status_code)
            else:
                # No link to the first audit anywhere else (its own URLs echo the path).
                assert str(pair.first.public_id) not in body, path
    # Not one rating of the first audit on the moderation page either.
    page = bob.get(f"/assurance/moderation/{pair.moderation.public_id}/").content.decode()
    assert "Inadequate" not in page
    assert "once both are submitted" in page


def test_the_first_auditor_cannot_reach_the_moderators_audit(pair: Pair) -> None:
    cal = signed_in(pair.world.cal)
    for path in _paths_for(pair, pair.second):
        if path.startswith(f"/audits/{pair.second.public_id}/"):
            assert cal.get(path).status_code in (403, 404), path
    assert cal.get(f"/audits/{pair.first.public_id}/").status_code == 200
    assert "blind moderation" not in cal.get(f"/audits/{pair.first.public_id}/").content.decode()


def test_after_one_is_submitted_the_other_is_still_blind(pair: Pair) -> None:
    first = submit(completed(pair.first, overall="Inadequate", domains={1: "Inadequate"}))
    bob = signed_in(pair.world.bob)
    assert bob.get(f"/audits/{first.public_id}/").status_code == 404
    assert signed_in(pair.world.cal).get(f"/audits/{pair.second.public_id}/").status_code == 404


def test_a_head_of_service_moderator_sees_the_rating_hidden_in_lists(world: World) -> None:
    holly = UserFactory(
        username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
    )
    User.objects.filter(pk=world.bob.pk).update(is_active=False)
    pair = _pair(world)
    assert pair.moderation.moderator == holly
    first = submit(completed(pair.first, overall="Inadequate", domains={1: "Inadequate"}))
    # Holly has the case in remit (she audits it), yet the first audit, rated inadequate,
    # is in none of her lists until the moderation audit is submitted too.
    assert pair.first.case in cases_visible_to(user=holly)
    home = signed_in(holly).get("/")
    assert first not in home.context["needs_action"]
    assert signed_in(holly).get(f"/audits/{first.public_id}/").status_code == 404


def _both_submitted(pair: Pair) -> tuple[Audit, Audit]:
    first = submit(
        completed(pair.first, overall="Inadequate", domains={1: "Inadequate", 2: "Good"})
    )
    second = submit(completed(pair.second, overall="Adequate", domains={1: "Adequate"}))
    return first, second


def test_once_both_are_submitted_the_moderator_sees_both_and_is_told(pair: Pair) -> None:
    first, _ = _both_submitted(pair)
    assert not audit_ratings_hidden_from(pair.world.bob, first)
    bob = signed_in(pair.world.bob)
    assert bob.get(f"/audits/{first.public_id}/").status_code == 200
    page = bob.get(f"/assurance/moderation/{pair.moderation.public_id}/").content.decode()
    assert "Inadequate" in page and "Adequate" in page
    assert "Record the agreed ratings" in page
    assert Notification.objects.filter(
        recipient=pair.world.bob, kind="assurance.moderation_ready"
    ).exists()
    assert signed_in(pair.world.cal).get(f"/audits/{pair.second.public_id}/").status_code == 200


def _agree_data(first: Audit, *, reason: str) -> dict[str, str]:
    data = {}
    for domain in first.tool_version.domains.order_by("order"):
        data[f"domain_{domain.pk}_rating"] = str(rating("Adequate").pk)
        data[f"domain_{domain.pk}_reason"] = reason
    data["overall_rating"] = str(rating("Adequate").pk)
    data["overall_reason"] = reason
    return data


def test_the_moderator_records_agreed_ratings_with_reasons_and_both_originals_stay(
    pair: Pair,
) -> None:
    first, second = _both_submitted(pair)
    bob = signed_in(pair.world.bob)
    url = f"/assurance/moderation/{pair.moderation.public_id}/"

    refused = bob.post(url, _agree_data(first, reason=""))
    assert refused.status_code == 400
    assert "Give the reason for the agreed rating" in refused.content.decode()
    assert Audit.objects.get(pk=first.pk).agreed_at is None

    assert signed_in(pair.world.cal).post(url, _agree_data(first, reason="x")).status_code == 404

    response = bob.post(url, _agree_data(first, reason="Plan reviewed together."))
    assert response.status_code == 302
    first = Audit.objects.get(pk=first.pk)
    assert first.agreed_at is not None
    assert first.agreed_overall_rating == rating("Adequate")
    assert first.overall_rating == rating("Inadequate")  # the original is kept
    assert Audit.objects.get(pk=second.pk).overall_rating == rating("Adequate")
    rows = DomainRating.objects.filter(audit=first).order_by("domain__order")
    assert {r.agreed_rating for r in rows} == {rating("Adequate")}
    assert rows[0].rating == rating("Inadequate")
    assert rows[0].agreed_reason == "Plan reviewed together."
    assert (
        "Both agreed" in bob.get(url).content.decode()
        or "Plan reviewed" in bob.get(url).content.decode()
    )
    # Once only.
    with pytest.raises(Exception, match="have been recorded"):
        services.moderation_agree(
            acting_user=pair.world.bob,
            moderation=pair.moderation,
            domains={},
            overall=services.Agreed(rating("Good"), False, "again"),
        )


def test_agreement_figures_show_on_the_moderation_page(pair: Pair) -> None:
    first, _ = _both_submitted(pair)
    services.moderation_agree(
        acting_user=pair.world.bob,
        moderation=pair.moderation,
        domains={
            d.pk: services.Agreed(rating("Adequate"), False, "Agreed at moderation.")
            for d in first.tool_version.domains.all()
        },
        overall=services.Agreed(rating("Adequate"), False, "Agreed at moderation."),
    )
    page = signed_in(pair.world.lead).get("/assurance/moderation/").content.decode()
    assert "Agreement by domain" in page
    assert "Agreement by first auditor" in page
    assert "100%" in page  # the one moderated audit's overall grade changed
    assert pair.first.case.child_id in page
    # An auditor sees their moderations, not the figures.
    assert (
        "Agreement by domain"
        not in signed_in(pair.world.bob).get("/assurance/moderation/").content.decode()
    )


def test_the_draw_button_draws_and_only_managers_may_press_it(world: World) -> None:
    allocation = allocate(world, auditor=world.cal, case=cp_case(world))
    cycle = allocation.sampled_case.cycle
    data = {"cycle": str(cycle.public_id), "share_percent": "10"}
    assert signed_in(world.bob).post("/assurance/moderation/", data).status_code == 404
    assert signed_in(world.practitioner).get("/assurance/moderation/").status_code == 403
    page = signed_in(world.lead).get("/assurance/moderation/").content.decode()
    assert f"Draw the moderation sample of {cycle}" in page
    bad = signed_in(world.lead).post(
        "/assurance/moderation/", {"cycle": str(cycle.public_id), "share_percent": "0"}
    )
    assert bad.status_code == 400
    assert not ModerationDraw.objects.exists()
    unknown = {"cycle": str(uuid.uuid4()), "share_percent": "10"}
    assert signed_in(world.lead).post("/assurance/moderation/", unknown).status_code == 404
    assert signed_in(world.lead).post("/assurance/moderation/", data).status_code == 302
    assert Moderation.objects.get().allocation == allocation
    assert Moderation.objects.get().moderation_audit.status == AuditStatus.DRAFT


def test_reports_count_the_agreed_ratings_and_not_the_moderators_audit(pair: Pair) -> None:
    from qpa.reports.counting import counted_audits, counts_from_scratch, stored_counts
    from qpa.reports.summary import report_summary

    first, second = _both_submitted(pair)
    tool = first.tool_version.tool
    month = first.audit_date.replace(day=1)  # type: ignore[union-attr]

    def overall() -> dict[str, int]:
        summary = report_summary(period_from=month, period_to=month, tool=tool)
        return {row["rating"]: row["count"] for row in summary["overall"] if row["count"]}

    # Before moderation: the first audit's own grade counts; the moderator's does not.
    assert overall() == {"Inadequate": 1}
    services.moderation_agree(
        acting_user=pair.world.bob,
        moderation=pair.moderation,
        domains={
            d.pk: services.Agreed(rating("Adequate"), False, "Agreed at moderation.")
            for d in first.tool_version.domains.all()
        },
        overall=services.Agreed(rating("Adequate"), False, "Agreed at moderation."),
    )
    assert overall() == {"Adequate": 1}
    audits = counted_audits().prefetch_related("domain_ratings__domain")
    assert second.pk not in {a.pk for a in audits}
    assert stored_counts() == counts_from_scratch(
        audits.select_related("tool_version", "allocation__sampled_case")
    )

    page = signed_in(pair.world.lead).get(
        f"/reports/?from={month:%Y-%m}&to={month:%Y-%m}&tool={tool.slug}"
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Moderation and agreement" in body
    assert "Re-audit outcomes" in body
    assert "Audit quality" in body


def test_the_api_keeps_the_blind_rule_too(pair: Pair) -> None:
    from django.core.cache import cache

    from tests.support.api import as_user

    cache.clear()
    bob = as_user(pair.world.bob)
    # The first audit is beyond the moderator's reach through every API route.
    assert bob.get(f"/api/v1/audits/{pair.first.public_id}").status_code == 404
    listed = bob.get("/api/v1/audits").json()["results"]
    assert str(pair.first.public_id) not in {a["id"] for a in listed}
    moderation = bob.get(f"/api/v1/moderations/{pair.moderation.public_id}").json()
    assert moderation["first_audit"] is None
    assert moderation["moderation_audit"] == str(pair.second.public_id)
    assert SECRET not in bob.get("/api/v1/moderations").content.decode()
    # Once both are submitted, the moderator may read the first audit.
    first, _ = _both_submitted(pair)
    assert bob.get(f"/api/v1/audits/{first.public_id}").status_code == 200
    moderation = bob.get(f"/api/v1/moderations/{pair.moderation.public_id}").json()
    assert moderation["first_audit"] == str(first.public_id)


def test_performance_is_told_how_many_moderated_cases_it_may_not_open(pair: Pair) -> None:
    _both_submitted(pair)
    perry = UserFactory(username="perry", role=Role.PERFORMANCE)

    page = signed_in(perry).get("/assurance/moderation/").content.decode()

    # The figures count the moderated case; the list may not name it, and says so.
    assert "From 1 moderated case whose two audits are both submitted" in page
    assert pair.first.case.child_id not in page
    assert "1 moderated case is not listed because you may not open it" in page
    assert "None of the moderated cases is one you may open." in page
    assert "No moderations to show." not in page
    # Whoever may open it sees it listed, and is told of nothing left out.
    lead = signed_in(pair.world.lead).get("/assurance/moderation/").content.decode()
    assert pair.first.case.child_id in lead
    assert "not listed because" not in lead


def test_a_manager_who_is_the_first_auditor_is_not_told_of_the_moderation(
    world: World,
) -> None:
    allocation = allocate(world, auditor=world.head, case=cp_case(world))
    allocation_audit_start(acting_user=world.head, allocation=allocation)
    services.moderation_draw(
        acting_user=world.lead, cycle=allocation.sampled_case.cycle, share_percent=10
    )
    assert Moderation.objects.filter(allocation=allocation).exists()

    page = signed_in(world.head).get("/assurance/moderation/").content.decode()

    # The blind rule: neither listed nor counted until both audits are submitted.
    assert "not listed because" not in page
    assert "No moderations to show." in page
