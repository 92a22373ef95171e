from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.utils import timezone

from qpa.accounts.models import User
from qpa.actions.models import ActionStatus
from qpa.actions.services import EVIDENCE_MINIMUM, REOPEN_REASON_MAX, evidence_problem
from qpa.audits.services import MAX_TEXT
from qpa.core.forms import GovukDateField, GovukForm
from qpa.organisation.models import Team

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"]


NO_TEAM = "Not in a team"


def owner_choices(owners: list[User]) -> list[tuple[str, list[tuple[int, str]]]]:
    """The people an action can go to, grouped by team (a team's manager first), for a
    select with one optgroup a team; people in no team come last. Two queries."""
    people = (
        User.objects.filter(pk__in=[owner.pk for owner in owners])
        .prefetch_related(
            Prefetch("teams", queryset=Team.objects.select_related("service_area")),
            Prefetch("managed_teams", queryset=Team.objects.select_related("service_area")),
        )
        .order_by("last_name", "first_name", "username")
    )
    groups: dict[Team | None, list[tuple[bool, User]]] = {}
    for person in people:
        managed: set[Team | None] = set(person.managed_teams.all())
        teams: set[Team | None] = managed | set(person.teams.all())
        for team in teams or {None}:
            groups.setdefault(team, []).append((team in managed, person))

    def order(team: Team | None) -> tuple[int, int, str]:
        if team is None:
            return (1, 0, "")
        return (0, team.service_area.order, team.name)

    choices = []
    for group in sorted(groups, key=order):
        members = sorted(groups[group], key=lambda pair: not pair[0])
        label = f"{group} ({group.service_area})" if group is not None else NO_TEAM
        choices.append(
            (
                label,
                [
                    (
                        person.pk,
                        f"{person}, team manager" if manages else f"{person}, {person.role_label}",
                    )
                    for manages, person in members
                ],
            )
        )
    return choices


class ActionForm(GovukForm):
    description = forms.CharField(
        label="What needs to be done",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter what needs to be done."},
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        help_text="People are listed by team. Type a name to find someone.",
        widget=forms.Select(attrs={"data-qpa-searchable": "Search for a person by name"}),
        error_messages={
            "required": "Choose who owns the action.",
            "invalid_choice": "Choose who owns the action from the list.",
        },
    )
    due_date = GovukDateField(
        label="Due date",
        subject="The due date",
        help_text="For example, 27 3 2027",
        input_formats=DATE_FORMATS,
    )

    def __init__(
        self, *args: Any, owners: list[User], suggested: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._owners = {owner.pk: owner for owner in owners}
        field = self.fields["owner"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover
            raise TypeError("owner must be a choice of people")
        field.choices = [("", "Choose the person responsible"), *owner_choices(owners)]
        if suggested is not None and suggested.pk in self._owners:
            self.initial.setdefault("owner", suggested.pk)
            field.help_text = (
                f"{suggested}, who manages the case’s team, is chosen for you. People are "
                "listed by team: type a name to find someone else."
            )

    def clean_owner(self) -> User:
        owner = self._owners.get(self.cleaned_data["owner"])
        if owner is None:
            raise forms.ValidationError("Choose who owns the action from the list.")
        return owner

    def clean_due_date(self) -> date:
        due: date = self.cleaned_data["due_date"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date must be today or later.")
        return due


class ActionStatusForm(GovukForm):
    status = forms.ChoiceField(
        label="Status",
        widget=forms.RadioSelect,
        choices=[(ActionStatus.OPEN, "Open"), (ActionStatus.IN_PROGRESS, "In progress")],
        error_messages={"required": "Choose open or in progress."},
    )


class ActionCompleteForm(GovukForm):
    evidence = forms.CharField(
        label="Evidence of completion",
        help_text=f"What was done, when, and where the record of it is: at least "
        f"{EVIDENCE_MINIMUM} characters.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the evidence that the action was completed."},
    )

    def clean_evidence(self) -> str:
        evidence: str = self.cleaned_data["evidence"]
        problem = evidence_problem(evidence)
        if problem is not None:
            raise forms.ValidationError(problem)
        return evidence


class ActionReopenForm(GovukForm):
    """Why a completed action is reopened: its owner is told, and it is shown on the
    action's page."""

    reason = forms.CharField(
        label="Why are you reopening this action?",
        help_text="Its owner is told, and the reason is shown with the action. Write "
        "“the child”, never their name.",
        max_length=REOPEN_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you are reopening the action.",
            "max_length": f"Keep the reason to {REOPEN_REASON_MAX} characters or fewer.",
        },
    )


class DeclineForm(GovukForm):
    """Why a Head of Service declines an auditor's recommended action (decision 0126)."""

    reason = forms.CharField(
        label="Why do you decline it?",
        help_text="The auditor is told, and it stays with the audit.",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the recommended action is declined."},
    )
