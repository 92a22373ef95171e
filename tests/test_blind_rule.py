"""The blind rule of moderation holds in every channel (qpa.audits.blind, decision 0071).

One list of channels, `CHANNELS`, drives the tests: each channel says what a person can
read through it, and each test asks that no channel tells either side of an open
moderation anything of the other side's audit. A new channel is one more line in the
list (QUALITY.md: "a test per channel, driven from one list of channels").

The scene: harriet, Head of Service for Child Protection, is the first auditor of a CP One
case (a council that lets Heads of Service audit their own area, or a reallocation, puts
her there); holly, Head of Service for Children in Care, moderates it. Both read reports
and both may be alerted, so every channel reaches both. Five other audits of the same
cycle and team make the report's narrowest filter show figures at all.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.actions import services as action_services
from qpa.assurance import services as assurance
from qpa.assurance.figures import quality_figures
from qpa.assurance.models import Moderation, ReAudit, ReAuditDraw
from qpa.audits import services as audit_services
from qpa.audits.blind import audit_ratings_hidden_from
from qpa.audits.models import Audit
from qpa.audits.services import alert_recipients
from qpa.cases.models import Case
from qpa.cycles.models import (
    Allocation,
    Cycle,
    CycleKind,
    CycleStatus,
    HowChosen,
    SampledCase,
    Stratum,
)
from qpa.notifications.models import Notification
from qpa.reports.phrases import evidence_audits
from qpa.reports.report import ReportParams, action_figures
from qpa.reports.services import report_aggregates_rebuild
from qpa.reports.summary import report_summary
from qpa.tools.models import AuditTool
from tests.support.api import as_user
from tests.support.audits import completed, domains_of, submit
from tests.support.factories import UserFactory, area, rating, submitted_audit
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

TOOL = "quality-of-practice"
FIRST_SECRET = "First auditor evidence 51f0"
SECOND_SECRET = "Moderator evidence 9c2e"
OTHERS = 5


def started_audit(auditor: User, allocation: Allocation) -> Audit:
    """The draft audit of an allocation, as its auditor starts it."""
    cycle = allocation.sampled_case.cycle
    case = allocation.sampled_case.case
    return Audit.objects.create(
        case=case,
        tool_version=cycle.tool_version or cycle.tool.current_version,
        auditor=auditor,
        service_area=case.service_area,
        team=case.team,
        allocation=allocation,
    )


@dataclass
class Scene:
    world: World
    holly: User  # the moderator
    dan: User  # re-audits the first audit
    cycle: Cycle
    case: Case
    moderation: Moderation
    first: Audit  # harriet's
    second: Audit  # holly's
    reaudit: ReAudit | None = None
    # Who reads, and whose audit they must not learn of.
    reader: User = field(init=False)
    target: Audit = field(init=False)

    @property
    def markers(self) -> list[str]:
        """What would tell the reader something of the target audit: its evidence, its
        address, and (for the first auditor) the moderation and who moderates."""
        if self.target == self.first:
            return [FIRST_SECRET, str(self.first.public_id), f"counted:{OTHERS + 1}"]
        return [
            SECOND_SECRET,
            str(self.second.public_id),
            str(self.moderation.public_id),
            self.holly.get_full_name(),
        ]


def _cycle(world: World, tool: AuditTool, auditors_and_cases: list[tuple[User, Case]]) -> Cycle:
    """A themed cycle as a draw and an allocation leave it."""
    cycle = Cycle.objects.create(
        kind=CycleKind.THEMED,
        theme="Blind rule",
        tool=tool,
        tool_version=tool.current_version,
        plan=world.plan,
        due_date=timezone.localdate() + timedelta(days=28),
        status=CycleStatus.ALLOCATED,
        seed="5eed" * 16,
        drawn_at=timezone.now(),
    )
    stratum = Stratum.objects.create(
        cycle=cycle,
        service_area=area("child-protection"),
        population=len(auditors_and_cases),
        excluded={},
        frame_size=len(auditors_and_cases),
        quota=len(auditors_and_cases),
        drawn=len(auditors_and_cases),
    )
    for rank, (auditor, case) in enumerate(auditors_and_cases, start=1):
        sampled = SampledCase.objects.create(
            cycle=cycle,
            case=case,
            stratum=stratum,
            how_chosen=HowChosen.DRAWN,
            rank=rank,
            frame_size=len(auditors_and_cases),
            exclusions={},
        )
        Allocation.objects.create(sampled_case=sampled, auditor=auditor, due_date=cycle.due_date)
    return cycle


def _with_secret(audit: Audit, secret: str, *, overall: str) -> Audit:
    audit = completed(audit, overall=overall)
    assert audit.auditor is not None
    return audit_services.audit_save_domain(
        acting_user=audit.auditor,
        audit=audit,
        domain=domains_of(audit)[0],
        version=audit.version,
        rating=rating(overall),
        not_applicable=False,
        evidence=f"{secret}. The file was read from referral to review.",
        strengths="",
        improvements="",
    )


def _scene(*, submitted: str) -> Scene:
    """`submitted`: "first" (harriet's audit is in, holly's a draft) or "second"."""
    world = build_world(per_team=OTHERS + 1)
    holly = UserFactory(
        username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
    )
    dan = UserFactory(username="dan", role=Role.AUDITOR)
    tool = AuditTool.objects.get(slug=TOOL)
    case, *others = world.cases["CP One"]
    case.practitioner = world.practitioner
    case.save()
    cycle = _cycle(world, tool, [(world.head, case)])
    # Only holly is free to moderate it.
    User.objects.filter(pk__in=[world.bob.pk, world.cal.pk, dan.pk]).update(is_active=False)
    assurance.moderation_draw(acting_user=world.lead, cycle=cycle, share_percent=100)
    User.objects.filter(pk__in=[world.bob.pk, world.cal.pk, dan.pk]).update(is_active=True)
    moderation = Moderation.objects.select_related("allocation").get()
    assert moderation.moderator == holly
    first = started_audit(world.head, moderation.allocation)
    first = _with_secret(first, FIRST_SECRET, overall="Critical")
    second = _with_secret(moderation.moderation_audit, SECOND_SECRET, overall="Critical")
    # Five other audits of the same cycle and team, by bob.
    stratum = cycle.strata.get()
    for rank, other in enumerate(others, start=2):
        sampled = SampledCase.objects.create(
            cycle=cycle,
            case=other,
            stratum=stratum,
            how_chosen=HowChosen.DRAWN,
            rank=rank,
            frame_size=OTHERS + 1,
            exclusions={},
        )
        allocation = Allocation.objects.create(
            sampled_case=sampled, auditor=world.bob, due_date=cycle.due_date
        )
        audit = submitted_audit(
            case=other, auditor=world.bob, tool_slug=TOOL, audit_date=timezone.localdate()
        )
        Audit.objects.filter(pk=audit.pk).update(allocation=allocation)
    report_aggregates_rebuild()
    reaudit = None
    if submitted == "first":
        first = submit(first)
        # A Head of Service plans an action on it; dan re-audits it.
        action_services.action_create(
            acting_user=world.head,
            audit=first,
            description="See the child alone.",
            owner=world.amy,
            due_date=timezone.localdate() + timedelta(days=14),
        )
        draw = ReAuditDraw.objects.create(
            quarter="2026-Q3",
            seed="5eed" * 16,
            requested_share=1.0,
            drawn_at=timezone.now(),
        )
        again = submitted_audit(
            case=case, auditor=dan, tool_slug=TOOL, audit_date=timezone.localdate()
        )
        reaudit = ReAudit.objects.create(
            draw=draw,
            original=first,
            reaudit=again,
            auditor=dan,
            rank=1,
            due_date=timezone.localdate(),
        )
    else:
        second = submit(second)
    scene = Scene(world, holly, dan, cycle, case, moderation, first, second, reaudit)
    scene.reader, scene.target = (holly, first) if submitted == "first" else (world.head, second)
    return scene


SIDES = {
    "the moderator reads the first audit": "first",
    "the first auditor reads the moderator's audit": "second",
}


@pytest.fixture(params=list(SIDES))
def scene(request: pytest.FixtureRequest, db: None) -> Scene:
    cache.clear()
    return _scene(submitted=SIDES[request.param])


# --- What each channel shows a person ----------------------------------------------------


def _body(client: Client, path: str) -> str:
    response = client.get(path)
    if response.status_code != 200:
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((entry.lookup_str, prefix + str(entry.pattern)))
    return found


def audit_pages(scene: Scene) -> str:
    """Every page of the target audit, and the audit list with its CSV."""
    client = signed_in(scene.reader)
    texts = [_body(client, "/audits/"), _body(client, "/audits/audits.csv")]
    for view, route in _routes(get_resolver()):
        if view.startswith("qpa.audits.") and "<uuid:public_id>" in route:
            path = "/" + route.replace("<uuid:public_id>", str(scene.target.public_id))
            texts.append(_body(client, path.replace("<int:position>", "1")))
    return "\n".join(texts)


def home_and_case_pages(scene: Scene) -> str:
    client = signed_in(scene.reader)
    return _body(client, "/") + _body(client, f"/cases/{scene.case.public_id}/")


def audit_api(scene: Scene) -> str:
    client = as_user(scene.reader)
    return (
        _body(client, "/api/v1/audits?page_size=100")
        + _body(client, f"/api/v1/audits/{scene.target.public_id}")
        + _body(client, f"/api/v1/audits?case={scene.case.public_id}")
    )


def reaudit_pages(scene: Scene) -> str:
    client = signed_in(scene.reader)
    text = _body(client, "/assurance/reaudits/") + _body(client, "/assurance/")
    if scene.reaudit is not None:
        text += _body(client, f"/assurance/reaudits/{scene.reaudit.public_id}/")
    return text


def reaudit_api(scene: Scene) -> str:
    client = as_user(scene.reader)
    text = _body(client, "/api/v1/reaudits")
    if scene.reaudit is not None:
        text += _body(client, f"/api/v1/reaudits/{scene.reaudit.public_id}")
    return text


def moderation_pages(scene: Scene) -> str:
    client = signed_in(scene.reader)
    return _body(client, "/assurance/moderation/") + _body(
        client, f"/assurance/moderation/{scene.moderation.public_id}/"
    )


def moderation_api(scene: Scene) -> str:
    client = as_user(scene.reader)
    return _body(client, "/api/v1/moderations") + _body(
        client, f"/api/v1/moderations/{scene.moderation.public_id}"
    )


def _report_query(scene: Scene) -> str:
    month = f"{timezone.localdate():%Y-%m}"
    return (
        f"from={month}&to={month}&tool={TOOL}&cycle={scene.cycle.public_id}"
        f"&team={scene.world.cp1.public_id}"
    )


def _counted(summary: dict[str, object]) -> str:
    return f"counted:{summary['audits_completed']}"


def report_json(scene: Scene) -> str:
    """The report narrowed to the one cycle and team: does it count the target?"""
    text = _body(signed_in(scene.reader), f"/reports/summary.json?{_report_query(scene)}")
    return _counted(json.loads(text)) if text else ""


def report_api(scene: Scene) -> str:
    text = _body(as_user(scene.reader), f"/api/v1/reports/summary?{_report_query(scene)}")
    return _counted(json.loads(text)) if text else ""


def report_exports(scene: Scene) -> str:
    text = _body(signed_in(scene.reader), f"/reports/export.csv?{_report_query(scene)}")
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0] == "audits_completed"]
    return f"counted:{rows[0][3]}" if rows else ""


def notifications(scene: Scene) -> str:
    """Everything the reader was told, in the app and by email (one outbox)."""
    told = Notification.objects.filter(recipient=scene.reader)
    return "\n".join(f"{n.subject}\n{n.body}\n{n.url}\n{n.links}" for n in told) + _body(
        signed_in(scene.reader), "/notifications/"
    )


def evidence_and_recommendations(scene: Scene) -> str:
    """The report's "Learning from the evidence" (the page, and every audit it would read
    for the reader), and the target's recommended actions for a Head of Service."""
    client = signed_in(scene.reader)
    params = ReportParams.build(
        period_from=timezone.localdate(), period_to=timezone.localdate(), tool=TOOL
    )
    read = evidence_audits(
        reader=scene.reader,
        filters=params.filters,
        period_from=params.period_from,
        period_to=params.period_to,
    ).values_list("public_id", flat=True)
    return (
        _body(client, f"/reports/phrases/?{_report_query(scene)}")
        + _body(client, f"/actions/audits/{scene.target.public_id}/recommendations/")
        + " ".join(str(public_id) for public_id in read)
    )


def event_log(scene: Scene) -> str:
    """The event log's details are for administrators only, who never audit."""
    client = signed_in(scene.reader)
    return _body(client, f"/events/?child_id={scene.case.child_id}")


CHANNELS: dict[str, Callable[[Scene], str]] = {
    "audit pages, the audit list and its CSV": audit_pages,
    "home and case pages": home_and_case_pages,
    "audits API": audit_api,
    "re-audit pages": reaudit_pages,
    "re-audits API": reaudit_api,
    "moderation pages": moderation_pages,
    "moderations API": moderation_api,
    "report JSON": report_json,
    "report API": report_api,
    "report exports": report_exports,
    "notifications": notifications,
    "learning from the evidence, recommended actions": evidence_and_recommendations,
    "event log": event_log,
}


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_no_channel_tells_either_side_of_the_other(scene: Scene, channel: str) -> None:
    assert audit_ratings_hidden_from(scene.reader, scene.target)
    seen = CHANNELS[channel](scene)
    leaked = [marker for marker in scene.markers if marker in seen]
    assert leaked == [], f"{channel} tells {scene.reader} of {scene.target}: {leaked}"


# --- Once both audits are in, each side sees the other ----------------------------------


def test_once_both_are_submitted_the_channels_open(db: None) -> None:
    cache.clear()
    scene = _scene(submitted="first")
    submit(Audit.objects.get(pk=scene.second.pk))
    # The first audit counts now, and its moderator reads it everywhere.
    scene.reader, scene.target = scene.holly, scene.first
    assert report_json(scene) == f"counted:{OTHERS + 1}"
    assert FIRST_SECRET in audit_pages(scene)
    assert str(scene.reaudit.public_id if scene.reaudit else "") in reaudit_api(scene)
    # The first auditor may now learn that the case was moderated, and by whom.
    scene.reader = scene.world.head
    assert scene.holly.get_full_name() in moderation_pages(scene)
    assert str(scene.moderation.public_id) in moderation_api(scene)


def test_the_moderation_page_links_each_audit_its_reader_may_open(db: None) -> None:
    cache.clear()
    scene = _scene(submitted="first")
    page = f"/assurance/moderation/{scene.moderation.public_id}/"
    first, second = (f'href="{a.get_absolute_url()}"' for a in (scene.first, scene.second))
    # Blind: the moderator's page links their own audit, never the first.
    body = _body(signed_in(scene.holly), page)
    assert second in body and first not in body
    submit(Audit.objects.get(pk=scene.second.pk))
    body = _body(signed_in(scene.holly), page)
    assert first in body and second in body


def test_alerts_skip_the_sides_until_the_ratings_are_agreed_then_go_as_usual(db: None) -> None:
    cache.clear()
    scene = _scene(submitted="second")
    world = scene.world
    # The moderator's critical audit alerted the team manager only, not harriet, Head of
    # Service for the area but the first auditor.
    alerted = set(
        Notification.objects.filter(kind="audits.critical").values_list("recipient", flat=True)
    )
    assert alerted == {world.amy.pk}
    first = submit(Audit.objects.get(pk=scene.first.pk))
    assert world.head not in alert_recipients(first)
    assert scene.holly not in alert_recipients(scene.second)
    agreed = assurance.Agreed(rating("Inadequate"), False, "Agreed at moderation.")
    assurance.moderation_agree(
        acting_user=scene.holly,
        moderation=scene.moderation,
        domains={d.pk: agreed for d in first.tool_version.domains.all()},
        overall=agreed,
    )
    assert world.head in alert_recipients(Audit.objects.get(pk=scene.second.pk))


def test_report_actions_leave_out_an_audit_still_blind(db: None) -> None:
    scene = _scene(submitted="first")
    today = timezone.localdate()
    params = ReportParams.build(
        period_from=today,
        period_to=today,
        tool=TOOL,
        team=scene.world.cp1,
        reader=scene.world.lead,
        unsuppressed=True,
    )
    assert action_figures(params).opened == 0
    submit(Audit.objects.get(pk=scene.second.pk))
    assert action_figures(params).opened == 1


def test_audit_quality_figures_leave_out_the_actions_of_an_audit_still_blind(db: None) -> None:
    # The service-wide figures (assurance page, the report's audit quality) count actions
    # as the report's action figures do: an action tells its audit's rating.
    scene = _scene(submitted="first")
    today = timezone.localdate()
    assert quality_figures().open_actions == 0
    assert quality_figures(period_from=today, period_to=today).open_actions == 0
    submit(Audit.objects.get(pk=scene.second.pk))
    assert quality_figures().open_actions == 1
    assert quality_figures(period_from=today, period_to=today).open_actions == 1


def test_the_moderation_draw_withdraws_a_submitted_first_audit_from_the_figures(
    db: None,
) -> None:
    """A first audit already in when its case is drawn for moderation leaves the counts
    until the moderator's audit is in too."""
    world = build_world(per_team=1)
    holly = UserFactory(
        username="holly", role=Role.HEAD_OF_SERVICE, areas=[area("children-in-care")]
    )
    case = world.cases["CP One"][0]
    cycle = _cycle(world, AuditTool.objects.get(slug=TOOL), [(world.cal, case)])
    allocation = Allocation.objects.get(sampled_case__cycle=cycle)
    first = submit(completed(started_audit(world.cal, allocation)))
    today = timezone.localdate()

    def counted() -> object:
        summary = report_summary(period_from=today, period_to=today, tool=TOOL, cycle=cycle)
        return summary["audits_completed"]

    before = counted()
    User.objects.filter(pk__in=[world.bob.pk]).update(is_active=False)
    assurance.moderation_draw(acting_user=world.lead, cycle=cycle, share_percent=100)
    moderation = Moderation.objects.get()
    assert moderation.moderator == holly
    assert before == 1 and counted() == 0
    submit(completed(Audit.objects.get(pk=moderation.moderation_audit_id)))
    assert counted() == before
    assert first.pk == moderation.allocation.audit.pk
