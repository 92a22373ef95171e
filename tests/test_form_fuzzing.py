"""Hypothesis drives every form of the web UI with generated input: text (with NUL,
markup and very long strings), numbers, dates in and out of range, valid and invalid
choices, random files, and missing fields.

Each example is both given to the form class itself and POSTed (GET for search forms)
to the view that uses it, as the person who uses it. Whatever the input: no 500, and
when the form refuses it, or the view does not redirect (its way of saying "saved"),
nothing in the database has changed (R8, QUALITY.md "Bad input")."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qpa.accounts.models import User
from qpa.actions import services as action_services
from qpa.actions.models import Action
from qpa.audits.models import Audit
from qpa.cases.models import ImportKind, ImportRun, ImportStatus, PopulationRule
from qpa.cycles.models import Allocation, SampledCase
from qpa.cycles.views import SESSION_KEY
from qpa.tools.models import AuditTool, RatingScale
from tests.support.audits import completed, cp_case, started, submit
from tests.support.factories import allocate
from tests.support.forms import form_classes
from tests.support.people import signed_in
from tests.support.worlds import World, build_world

# --- The world every form is driven in ------------------------------------------------


@dataclass
class Ctx:
    world: World
    draft: Audit  # cal's draft of a CP One case
    submitted: Audit  # cal's submitted inadequate audit, petra's case
    action: Action  # on the submitted audit, owned by amy
    allocation: Allocation  # cal's, not started
    run: ImportRun  # a case list waiting for its columns
    moderation: Any = None  # made when a test needs it
    clients: dict[str, Client] = field(default_factory=dict)

    @property
    def sampled(self) -> SampledCase:
        return self.allocation.sampled_case

    def client(self, user: User | None) -> Client:
        key = user.username if user else ""
        if key not in self.clients:
            self.clients[key] = signed_in(user) if user else Client()
        return self.clients[key]


CASE_LIST = b"Child ID,Team,Status\nC1,CP One,open\nC2,CP Two,open\n"


@pytest.fixture
def ctx(db: None, monkeypatch: pytest.MonkeyPatch) -> Ctx:
    world = build_world(per_team=2)
    case = cp_case(world)
    submitted = submit(completed(started(world), overall="Inadequate"))
    action = action_services.action_create(
        acting_user=world.head,
        audit=submitted,
        description="See the child alone.",
        owner=world.amy,
        due_date=timezone.localdate() + timedelta(days=14),
    )
    run = ImportRun.objects.create(
        kind=ImportKind.CASE_LIST,
        status=ImportStatus.AWAITING_MAPPING,
        file_name="cases.csv",
        file_sha256=hashlib.sha256(CASE_LIST).hexdigest(),
        content=CASE_LIST,
        created_by=world.admin,
    )
    return Ctx(
        world=world,
        draft=started(world),
        submitted=submitted,
        action=action,
        allocation=allocate(world, auditor=world.cal, case=case),
        run=run,
    )


# --- Which view uses each form, as whom, and how to build the form ----------------------


def _summary_send(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.assurance.forms import SummarySendForm
    from qpa.assurance.models import ReAuditDraw

    ReAuditDraw.objects.get_or_create(
        quarter="2026-Q3",
        defaults={"seed": "5eed" * 16, "requested_count": 1, "drawn_at": timezone.now()},
    )
    return SummarySendForm(data) if data is not None else SummarySendForm()


Build = Callable[[Ctx, Any, Any], forms.BaseForm]


@dataclass(frozen=True)
class Target:
    url: Callable[[Ctx], str]
    user: Callable[[Ctx], User | None]
    build: Build | None = None  # for forms needing arguments; else the class alone
    method: str = "post"
    hidden: Callable[[Ctx], dict[str, str]] = lambda ctx: {}
    session: Callable[[Ctx], dict[str, Any]] | None = None


def _ratings(audit: Audit) -> list[Any]:
    return list(audit.tool_version.tool.scale.ratings.all())


def _audit_domain(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.audits.forms import DomainForm

    domain = ctx.draft.tool_version.domains.order_by("order")[0]
    return DomainForm(data, domain=domain, ratings=_ratings(ctx.draft))


def _draft_version(ctx: Ctx) -> dict[str, str]:
    version = Audit.objects.get(pk=ctx.draft.pk).version
    return {"version": str(version), "then": "draft"}


def _column_mapping(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.cases.forms import ColumnMappingForm

    return ColumnMappingForm(data, headers=["Child ID", "Team", "Status"])


def _wizard(kind: str) -> Callable[[Ctx], dict[str, Any]]:
    def answers(ctx: Ctx) -> dict[str, Any]:
        middle = {"month": "2026-11-01"} if kind == "monthly" else {"theme": "Neglect"}
        return {
            "kind": kind,
            **middle,
            "tool": "quality-of-practice",
            **({"population": {}} if kind == "themed" else {}),
            "plan": str(ctx.world.plan.public_id),
            "auditors": ["amy", "cal"],
            "capacity": {"amy": 2, "cal": 2},
        }

    return answers


def _step(step: str) -> Callable[[Ctx], str]:
    return lambda ctx: f"/cycles/new/{step}/"


def _candidates() -> Any:
    from qpa.cycles import services

    return services.auditor_candidates()


def _crosswalk(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.tools.forms import CrosswalkForm

    return CrosswalkForm(
        data,
        scale=RatingScale.objects.get(slug="quality-of-practice"),
        target=RatingScale.objects.get(slug="ilacs"),
    )


def _moderation(ctx: Ctx) -> Any:
    """amy moderated cal's submitted audit blind; both are in, so amy agrees ratings."""
    from qpa.assurance.models import Moderation, ModerationDraw
    from qpa.cycles.services import allocation_audit_start

    if ctx.moderation is None:
        first = ctx.submitted
        assert first.allocation is not None
        mine = allocate(ctx.world, auditor=ctx.world.amy, case=first.case)
        second = submit(
            completed(allocation_audit_start(acting_user=ctx.world.amy, allocation=mine))
        )
        draw = ModerationDraw.objects.create(
            cycle=first.allocation.sampled_case.cycle,
            share=0.1,
            seed="5eed" * 16,
            frame_size=1,
            drawn_at=timezone.now(),
            drawn_by=ctx.world.lead,
        )
        ctx.moderation = Moderation.objects.create(
            draw=draw,
            allocation=first.allocation,
            moderator=ctx.world.amy,
            moderation_audit=second,
            rank=1,
        )
    return ctx.moderation


def _agree(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.assurance.forms import AgreeForm
    from qpa.assurance.services import moderation_pairs

    rows = moderation_pairs(_moderation(ctx))
    return AgreeForm(data, rows=rows, ratings=_ratings(ctx.submitted))


def _voice(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.audits.forms import VoiceForm
    from qpa.audits.services import voice_questions

    return VoiceForm(data, questions=voice_questions(ctx.draft))


def _recommendation(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    from qpa.audits.forms import RecommendationForm
    from qpa.audits.services import recommendation_owner_candidates

    return RecommendationForm(data, people=list(recommendation_owner_candidates()))


def _proposed(ctx: Ctx) -> Any:
    """A recommended action on the submitted audit, waiting for the Head of Service."""
    from qpa.audits.models import RecommendedAction

    found = RecommendedAction.objects.filter(audit=ctx.submitted).first()
    if found is None:
        found = RecommendedAction.objects.create(
            audit=ctx.submitted,
            description="See the child alone this week.",
            suggested_owner=ctx.world.amy,
            due_date=timezone.localdate() + timedelta(days=7),
            created_by=ctx.world.cal,
            updated_by=ctx.world.cal,
        )
    return found


def _reopen(ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    """The reopening of amy's action, completed first when it is not (again)."""
    from qpa.actions.forms import ActionReopenForm
    from qpa.actions.models import ActionStatus

    action = Action.objects.get(pk=ctx.action.pk)
    if action.status != ActionStatus.COMPLETED:
        action_services.action_complete(
            acting_user=ctx.world.amy, action=action, evidence="Seen alone; notes on the file."
        )
    return ActionReopenForm(data) if data is not None else ActionReopenForm()


TARGETS: dict[str, Target] = {
    # accounts
    "qpa.accounts.forms.SignInForm": Target(
        url=lambda ctx: "/sign-in/",
        user=lambda ctx: None,
        build=lambda ctx, data, files: __import__(
            "qpa.accounts.forms", fromlist=["SignInForm"]
        ).SignInForm(None, data),
    ),
    "qpa.accounts.forms.CodeForm": Target(
        url=lambda ctx: "/sign-in/code/", user=lambda ctx: ctx.world.cal
    ),
    "qpa.accounts.forms.ChangePasswordForm": Target(
        url=lambda ctx: "/account/password/",
        user=lambda ctx: ctx.world.cal,
        build=lambda ctx, data, files: __import__(
            "qpa.accounts.forms", fromlist=["ChangePasswordForm"]
        ).ChangePasswordForm(User.objects.get(pk=ctx.world.cal.pk), data),
    ),
    "qpa.api.forms.ApiTokenForm": Target(
        url=lambda ctx: "/account/api-tokens/", user=lambda ctx: ctx.world.cal
    ),
    # actions
    "qpa.actions.forms.ActionForm": Target(
        url=lambda ctx: f"/actions/audits/{ctx.submitted.public_id}/new/",
        user=lambda ctx: ctx.world.head,
        build=lambda ctx, data, files: __import__(
            "qpa.actions.forms", fromlist=["ActionForm"]
        ).ActionForm(data, owners=action_services.owner_candidates()),
    ),
    "qpa.actions.forms.ActionStatusForm": Target(
        url=lambda ctx: f"/actions/{ctx.action.public_id}/", user=lambda ctx: ctx.world.amy
    ),
    "qpa.actions.forms.ActionCompleteForm": Target(
        url=lambda ctx: f"/actions/{ctx.action.public_id}/complete/",
        user=lambda ctx: ctx.world.amy,
    ),
    "qpa.actions.forms.ActionReopenForm": Target(
        url=lambda ctx: f"/actions/{ctx.action.public_id}/reopen/",
        user=lambda ctx: ctx.world.head,
        build=_reopen,
    ),
    # audits
    "qpa.audits.forms.DomainForm": Target(
        url=lambda ctx: f"/audits/{ctx.draft.public_id}/domains/1/",
        user=lambda ctx: ctx.world.cal,
        build=_audit_domain,
        hidden=_draft_version,
    ),
    "qpa.audits.forms.OverallForm": Target(
        url=lambda ctx: f"/audits/{ctx.draft.public_id}/overall/",
        user=lambda ctx: ctx.world.cal,
        build=lambda ctx, data, files: __import__(
            "qpa.audits.forms", fromlist=["OverallForm"]
        ).OverallForm(
            data,
            ratings=_ratings(ctx.draft),
            optional=ctx.draft.tool_version.overall_rating_optional,
        ),
        hidden=_draft_version,
    ),
    "qpa.audits.forms.SafetyForm": Target(
        url=lambda ctx: f"/audits/{ctx.draft.public_id}/safety/",
        user=lambda ctx: ctx.world.cal,
        build=lambda ctx, data, files: __import__(
            "qpa.audits.forms", fromlist=["SafetyForm"]
        ).SafetyForm(data),
        hidden=_draft_version,
    ),
    "qpa.audits.forms.VoiceForm": Target(
        url=lambda ctx: f"/audits/{ctx.draft.public_id}/voice/",
        user=lambda ctx: ctx.world.cal,
        build=_voice,
        hidden=_draft_version,
    ),
    "qpa.audits.forms.RecommendationForm": Target(
        url=lambda ctx: f"/audits/{ctx.draft.public_id}/recommendations/",
        user=lambda ctx: ctx.world.cal,
        build=_recommendation,
    ),
    "qpa.actions.forms.DeclineForm": Target(
        url=lambda ctx: f"/actions/audits/{ctx.submitted.public_id}/recommendations/",
        user=lambda ctx: ctx.world.head,
        hidden=lambda ctx: {"item": str(_proposed(ctx).public_id), "decision": "decline"},
    ),
    "qpa.audits.forms.ReopenForm": Target(
        url=lambda ctx: f"/audits/{ctx.submitted.public_id}/reopen/",
        user=lambda ctx: ctx.world.head,
    ),
    "qpa.audits.forms.ReplyForm": Target(
        url=lambda ctx: f"/audits/{ctx.submitted.public_id}/reply/",
        user=lambda ctx: ctx.world.practitioner,
    ),
    # cases and imports
    "qpa.cases.forms.AnnexAUploadForm": Target(
        url=lambda ctx: "/cases/imports/annex-a/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.cases.forms.CaseListUploadForm": Target(
        url=lambda ctx: "/cases/imports/case-list/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.cases.forms.PastAuditsUploadForm": Target(
        url=lambda ctx: "/audits/imports/past-audits/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.cases.forms.ColumnMappingForm": Target(
        url=lambda ctx: f"/cases/imports/{ctx.run.public_id}/mapping/",
        user=lambda ctx: ctx.world.admin,
        build=_column_mapping,
    ),
    "qpa.cases.forms.TeamForm": Target(
        url=lambda ctx: "/cases/teams/new/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.cases.forms.TeamAreaForm": Target(
        url=lambda ctx: f"/cases/teams/{ctx.world.cp2.public_id}/",
        user=lambda ctx: ctx.world.admin,
    ),
    "qpa.cases.forms.PopulationRulesForm": Target(
        url=lambda ctx: "/cases/population-rules/",
        user=lambda ctx: ctx.world.admin,
        build=lambda ctx, data, files: __import__(
            "qpa.cases.forms", fromlist=["PopulationRulesForm"]
        ).PopulationRulesForm(data, rules=list(PopulationRule.objects.all())),
    ),
    # cycles: the questions of a new cycle, then the changes to a drawn one
    "qpa.cycles.forms.KindForm": Target(
        url=_step("kind"), user=lambda ctx: ctx.world.lead, session=_wizard("themed")
    ),
    "qpa.cycles.forms.MonthForm": Target(
        url=_step("month"), user=lambda ctx: ctx.world.lead, session=_wizard("monthly")
    ),
    "qpa.cycles.forms.ThemeForm": Target(
        url=_step("theme"), user=lambda ctx: ctx.world.lead, session=_wizard("themed")
    ),
    "qpa.cycles.forms.ToolForm": Target(
        url=_step("tool"), user=lambda ctx: ctx.world.lead, session=_wizard("themed")
    ),
    "qpa.cycles.forms.PopulationForm": Target(
        url=_step("population"), user=lambda ctx: ctx.world.lead, session=_wizard("themed")
    ),
    "qpa.cycles.forms.PlanChoiceForm": Target(
        url=_step("plan"),
        user=lambda ctx: ctx.world.lead,
        session=_wizard("themed"),
        build=lambda ctx, data, files: __import__(
            "qpa.cycles.forms", fromlist=["PlanChoiceForm"]
        ).PlanChoiceForm(data, themed=True),
    ),
    "qpa.cycles.forms.SampleSizeForm": Target(
        url=_step("size"),
        user=lambda ctx: ctx.world.lead,
        session=lambda ctx: {**_wizard("themed")(ctx), "plan": "none"},
    ),
    "qpa.cycles.forms.AuditorsForm": Target(
        url=_step("auditors"),
        user=lambda ctx: ctx.world.lead,
        session=_wizard("themed"),
        build=lambda ctx, data, files: __import__(
            "qpa.cycles.forms", fromlist=["AuditorsForm"]
        ).AuditorsForm(data, candidates=_candidates()),
    ),
    "qpa.cycles.forms.CapacityForm": Target(
        url=_step("capacity"),
        user=lambda ctx: ctx.world.lead,
        session=_wizard("themed"),
        build=lambda ctx, data, files: __import__(
            "qpa.cycles.forms", fromlist=["CapacityForm"]
        ).CapacityForm(data, auditors=[ctx.world.amy, ctx.world.cal]),
    ),
    "qpa.cycles.forms.DueDateForm": Target(
        url=_step("due-date"), user=lambda ctx: ctx.world.lead, session=_wizard("themed")
    ),
    "qpa.cycles.forms.PlanForm": Target(
        url=lambda ctx: "/cycles/plans/new/", user=lambda ctx: ctx.world.lead
    ),
    "qpa.cycles.forms.ReasonForm": Target(
        url=lambda ctx: f"/cycles/sample/{ctx.sampled.public_id}/replace/",
        user=lambda ctx: ctx.world.lead,
    ),
    "qpa.cycles.forms.ReallocateForm": Target(
        url=lambda ctx: f"/cycles/allocations/{ctx.allocation.public_id}/reallocate/",
        user=lambda ctx: ctx.world.lead,
        build=lambda ctx, data, files: __import__(
            "qpa.cycles.forms", fromlist=["ReallocateForm"]
        ).ReallocateForm(data, candidates=list(_candidates())),
    ),
    "qpa.cycles.forms.HandPickingForm": Target(
        url=lambda ctx: f"/cycles/{ctx.sampled.cycle.public_id}/hand-picking/",
        user=lambda ctx: ctx.world.admin,
    ),
    "qpa.cycles.forms.HandPickForm": Target(
        url=lambda ctx: f"/cycles/{ctx.sampled.cycle.public_id}/hand-pick/",
        user=lambda ctx: ctx.world.lead,
    ),
    # tools
    "qpa.tools.forms.QuestionForm": Target(
        url=lambda ctx: "/tools/quality-of-practice/questions/new/",
        user=lambda ctx: ctx.world.admin,
    ),
    "qpa.tools.forms.ToolCreateForm": Target(
        url=lambda ctx: "/tools/new/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.tools.forms.ToolEditForm": Target(
        url=lambda ctx: "/tools/quality-of-practice/edit/",
        user=lambda ctx: ctx.world.admin,
        build=lambda ctx, data, files: __import__(
            "qpa.tools.forms", fromlist=["ToolEditForm"]
        ).ToolEditForm(data, tool=AuditTool.objects.get(slug="quality-of-practice")),
    ),
    "qpa.tools.forms.DomainForm": Target(
        url=lambda ctx: "/tools/quality-of-practice/domains/new/",
        user=lambda ctx: ctx.world.admin,
        build=lambda ctx, data, files: __import__(
            "qpa.tools.forms", fromlist=["DomainForm"]
        ).DomainForm(data, scale=AuditTool.objects.get(slug="quality-of-practice").scale),
    ),
    "qpa.tools.forms.ScaleCreateForm": Target(
        url=lambda ctx: "/tools/scales/new/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.tools.forms.ScaleLinesForm": Target(
        url=lambda ctx: "/tools/scales/quality-of-practice/lines/",
        user=lambda ctx: ctx.world.admin,
    ),
    "qpa.tools.forms.CrosswalkForm": Target(
        url=lambda ctx: "/tools/scales/quality-of-practice/crosswalk/ilacs/",
        user=lambda ctx: ctx.world.admin,
        build=_crosswalk,
    ),
    # reports
    "qpa.reports.forms.ReportForm": Target(
        url=lambda ctx: "/reports/", user=lambda ctx: ctx.world.lead, method="get"
    ),
    "qpa.reports.forms.KeyMessagesForm": Target(
        url=lambda ctx: "/reports/key-messages/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.reports.forms.BriefingForm": Target(
        url=lambda ctx: "/reports/export.docx", user=lambda ctx: ctx.world.lead, method="get"
    ),
    "qpa.reports.forms.BenchmarkUploadForm": Target(
        url=lambda ctx: "/reports/benchmarks/", user=lambda ctx: ctx.world.admin
    ),
    "qpa.reports.forms.BenchmarkExportForm": Target(
        url=lambda ctx: "/reports/benchmark.json", user=lambda ctx: ctx.world.admin, method="get"
    ),
    # assurance
    "qpa.assurance.forms.ReAuditDrawForm": Target(
        url=lambda ctx: "/assurance/reaudits/", user=lambda ctx: ctx.world.lead
    ),
    # A quarter drawn before the form is built: the summary page needs its draw.
    "qpa.assurance.forms.SummarySendForm": Target(
        url=lambda ctx: "/assurance/reaudits/quarters/2026-Q3/",
        user=lambda ctx: ctx.world.lead,
        build=_summary_send,
    ),
    "qpa.assurance.forms.ModerationDrawForm": Target(
        url=lambda ctx: "/assurance/moderation/", user=lambda ctx: ctx.world.lead
    ),
    "qpa.assurance.forms.AgreeForm": Target(
        url=lambda ctx: f"/assurance/moderation/{_moderation(ctx).public_id}/",
        user=lambda ctx: ctx.world.amy,
        build=_agree,
    ),
}


# Base classes no view uses, each fuzzed through every subclass.
BASES = {"qpa.cases.forms.UploadForm"}


def test_every_form_of_the_web_ui_is_fuzzed() -> None:
    classes = form_classes()
    assert set(classes) == set(TARGETS) | BASES
    for base in BASES:
        assert any(issubclass(classes[name], classes[base]) and name != base for name in TARGETS), (
            base
        )


# --- Generated input ------------------------------------------------------------------

JUNK = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "-1",
        "0",
        "9" * 40,
        "1e309",
        "NaN",
        "<script>alert(1)</script>",
        "'; DROP TABLE cases_case; --",
        "31/02/2026",
        "2026-13-45",
        "00000000-0000-0000-0000-000000000000",
        "x" * 25_000,
        "\u202e\ufeff\U0001f600",
    ]
)
TEXT = st.text(max_size=120) | st.text(alphabet=string.printable, min_size=1, max_size=60)


def _choice_values(field: forms.Field) -> list[str]:
    values: list[str] = []
    for value, label in getattr(field, "choices", []):
        if isinstance(label, list | tuple):  # grouped choices
            values.extend(str(v) for v, _ in label)
        else:
            values.append(str(value))
    return values or [""]


def _dates(field: forms.Field) -> st.SearchStrategy[str]:
    formats = list(getattr(field, "input_formats", None) or ["%Y-%m-%d", "%d/%m/%Y"])
    return st.builds(
        lambda day, fmt: day.strftime(fmt),
        st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
        st.sampled_from(formats),
    )


def value_for(field: forms.Field) -> st.SearchStrategy[Any]:
    if isinstance(field, forms.FileField):
        return st.builds(
            lambda content, suffix: SimpleUploadedFile(f"upload{suffix}", content),
            st.binary(max_size=600) | st.just(CASE_LIST),
            st.sampled_from([".csv", ".xlsx", ".txt", ".json", ""]),
        )
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.lists(st.sampled_from(_choice_values(field)) | JUNK, max_size=3)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return st.sampled_from(_choice_values(field)) | JUNK | TEXT
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return st.sampled_from(["on", "true", "false", "", "unknown", "1", "0"])
    if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        return st.integers(-(10**12), 10**12).map(str) | st.integers(-5, 500).map(str) | JUNK
    if isinstance(field, forms.DateField):
        return _dates(field) | JUNK | TEXT
    if isinstance(field, forms.MultiValueField):
        return st.lists(TEXT | JUNK, min_size=1, max_size=3)
    return TEXT | JUNK


@st.composite
def submissions(draw: st.DrawFn, form: forms.BaseForm) -> tuple[dict[str, Any], dict[str, Any]]:
    """Generated data for the form's fields (some left out), split into data and files."""
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for name, form_field in form.fields.items():
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing field
        value = draw(value_for(form_field))
        key = form.add_prefix(name)
        if isinstance(form_field, forms.MultiValueField) and isinstance(value, list):
            for index, part in enumerate(value):
                data[f"{key}_{index}"] = part
        elif isinstance(value, SimpleUploadedFile):
            files[key] = value
        else:
            data[key] = value
    return data, files


def database_state() -> str:
    """A fingerprint of every row QPA keeps, except the event log (views are recorded)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if not model.__module__.startswith("qpa.") or model._meta.label == "core.Event":
            continue
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _build(target: Target, name: str, ctx: Ctx, data: Any, files: Any) -> forms.BaseForm:
    if target.build is not None:
        return target.build(ctx, data, files)
    cls = form_classes()[name]
    return cls(data, files) if data is not None else cls()


def _fresh_files(files: dict[str, SimpleUploadedFile]) -> dict[str, SimpleUploadedFile]:
    """New file objects with the same name and bytes: a request reads its files to the end."""
    fresh = {}
    for key, upload in files.items():
        upload.seek(0)
        fresh[key] = SimpleUploadedFile(upload.name or "upload", upload.read())
    return fresh


# --- The fuzzing ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_generated_input_never_breaks_a_form_or_saves_when_refused(
    name: str, ctx: Ctx, data: st.DataObject
) -> None:
    target = TARGETS[name]
    user = target.user(ctx)
    client = ctx.client(user)
    if target.session is not None:
        session = client.session
        session[SESSION_KEY] = target.session(ctx)
        session.save()
    blank = _build(target, name, ctx, None, None)
    values, files = data.draw(submissions(blank))
    values.update(target.hidden(ctx))
    form = _build(target, name, ctx, values, _fresh_files(files))
    valid = form.is_valid()
    before = database_state()
    url = target.url(ctx)
    if target.method == "get":
        response = client.get(url, values)
    else:
        response = client.post(url, {**values, **_fresh_files(files)})
    assert response.status_code < 500, f"{name}: {response.status_code} for {values!r}"
    if not valid or not 300 <= response.status_code < 400:
        assert database_state() == before, f"{name} saved refused input {values!r}"
