"""The first-day checklist on an administrator's home page: what a council does, in
order, to go from an empty database to its first cycle. Each step is ticked from the
data itself (a council name saved, a team, a person, a completed Annex A import...),
never from a stored flag, so it cannot say "done" about something that is not
(docs/decisions/0123-first-day-checklist.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from qpa.accounts.models import Role, User
from qpa.accounts.oidc import oidc_enabled
from qpa.cases.models import ImportKind, ImportRun, ImportStatus
from qpa.cycles.models import Cycle, SamplingPlan
from qpa.organisation.models import Council, ServiceArea, Team
from qpa.tools.models import AuditTool, RatingScale


@dataclass(frozen=True)
class Step:
    title: str
    hint: str
    url: str
    done: bool


def first_day_steps() -> list[Step]:
    """The steps, each with the page where it is done and whether the data shows it done."""
    areas = ServiceArea.objects.filter(is_active=True).count()
    sign_in = (
        "People sign in with their council account (OpenID Connect is on); add each one "
        "with the email address the council's sign-in gives."
        if oidc_enabled()
        else "Each person is emailed a link to choose their own password."
    )
    return [
        Step(
            "Give the council’s name",
            "Shown at the top of every page, in emails and on the reports.",
            reverse("home:council"),
            Council.objects.exclude(name="").exists(),
        ),
        Step(
            "Check the service areas",
            f"{areas} in use. QPA starts with the six of the statutory returns: rename, "
            "add or switch off areas to match your council.",
            reverse("home:service-area-list"),
            areas > 0,
        ),
        Step(
            "Add the teams",
            "Add each team and its service area, or upload a team map with the first "
            "Annex A import.",
            reverse("cases:team-list"),
            Team.objects.filter(is_active=True).exists(),
        ),
        Step(
            "Add the people",
            f"Auditors, Heads of Service, directors, the performance team. {sign_in}",
            reverse("accounts:people-list"),
            User.objects.filter(is_active=True).exclude(role=Role.ADMINISTRATOR).exists(),
        ),
        Step(
            "Check the audit tools and rating scales",
            "QPA comes with a Quality of Practice tool and its scales; change them or add "
            "your own.",
            reverse("tools:tool-list"),
            AuditTool.objects.filter(is_active=True).exists() and RatingScale.objects.exists(),
        ),
        Step(
            "Import the open cases from Annex A",
            "Upload this month’s Annex A workbook: its lists become the cases to sample from.",
            reverse("cases:import-annex-a"),
            ImportRun.objects.filter(
                kind=ImportKind.ANNEX_A, status=ImportStatus.COMPLETED
            ).exists(),
        ),
        Step(
            "Make the first sampling plan",
            "How many cases to draw from each service area each month.",
            reverse("cycles:plan-create"),
            SamplingPlan.objects.exists(),
        ),
        Step(
            "Create and draw the first cycle",
            "Choose the month, the tool, the plan and the auditors, then draw the sample.",
            reverse("cycles:cycle-list"),
            Cycle.objects.filter(drawn_at__isnull=False).exists(),
        ),
    ]
