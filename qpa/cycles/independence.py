"""Who may audit which case: QPA's one independence policy (decision 0105).

1. Nobody audits a case of a team they manage or belong to.
2. A Head of Service never audits a case in their own service areas. A council may turn
   this off with the setting `QPA_HEADS_OF_SERVICE_INDEPENDENT` (on by default).
3. The two sides of a moderation, and of a re-audit, are always different people: a
   moderator never audited the case's first audit; a re-auditor never audited the case
   at all (first audit, moderation, earlier re-audit, or an imported audit under their
   name).
4. A moderator never becomes the first auditor or the re-auditor of the case they
   moderate.

Every path that gives a person a case to audit asks this module: the monthly
allocation, replacement and hand-picking (`qpa.cycles.services`, through
`qpa.cycles.sampling`), reallocation and its list of candidates, the re-audit draw and
the moderation draw (`qpa.assurance.services`). Moderations and audits are read
through reverse relations by name (`User.moderations`, `User.audits`, `Case.audits`), so this
module imports neither the audits nor the assurance app (nor `qpa.cycles.models`, which
imports the sampling functions that import this).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q

from qpa.accounts.models import Role, User
from qpa.cases.models import Case
from qpa.organisation.models import Team, TeamMembership

if TYPE_CHECKING:  # qpa.cycles.models imports qpa.cycles.sampling, which imports this
    from qpa.cycles.models import Allocation


def heads_of_service_independent() -> bool:
    """Rule 2 is on unless the council set QPA_HEADS_OF_SERVICE_INDEPENDENT to false."""
    return bool(getattr(settings, "QPA_HEADS_OF_SERVICE_INDEPENDENT", True))


@dataclass(frozen=True)
class Ties:
    """What ties one person to cases, so that those cases are never theirs to audit."""

    person_id: int
    # Teams they manage or belong to (rule 1).
    team_ids: frozenset[int] = frozenset()
    # A Head of Service's own service areas, while rule 2 is on.
    area_ids: frozenset[int] = frozenset()


def free_of(ties: Ties, *, team_id: int | None, service_area_id: int | None) -> bool:
    """Rules 1 and 2, as a pure function: may a person with these ties audit a case of
    this team and service area?"""
    if team_id is not None and team_id in ties.team_ids:
        return False
    return service_area_id is None or service_area_id not in ties.area_ids


def ties_of(people: Iterable[User]) -> dict[int, Ties]:
    """The ties of each person, in three queries whatever their number."""
    people = list(people)
    ids = [p.pk for p in people]
    teams: dict[int, set[int]] = {pk: set() for pk in ids}
    for manager_id, team_id in Team.objects.filter(manager_id__in=ids).values_list(
        "manager_id", "pk"
    ):
        teams[manager_id].add(team_id)
    for user_id, team_id in TeamMembership.objects.filter(user_id__in=ids).values_list(
        "user_id", "team_id"
    ):
        teams[user_id].add(team_id)
    areas: dict[int, set[int]] = {pk: set() for pk in ids}
    heads = [p.pk for p in people if p.role == Role.HEAD_OF_SERVICE]
    if heads and heads_of_service_independent():
        through = User.service_areas.through
        for user_id, area_id in through.objects.filter(user_id__in=heads).values_list(
            "user_id", "servicearea_id"
        ):
            areas[user_id].add(area_id)
    return {
        pk: Ties(person_id=pk, team_ids=frozenset(teams[pk]), area_ids=frozenset(areas[pk]))
        for pk in ids
    }


def may_audit(user: User, case: Case, *, not_these: Collection[int | None] = ()) -> bool:
    """May `user` audit `case` at all (rules 1 and 2), and are they none of `not_these`
    (the people rules 3 and 4 bar from this case)?"""
    if not user.is_active or user.pk in not_these:
        return False
    return free_of(
        ties_of([user])[user.pk], team_id=case.team_id, service_area_id=case.service_area_id
    )


# --- Rules 3 and 4: who is barred from one case --------------------------------------


def barred_from_first_audit(allocation: Allocation) -> set[int]:
    """Rule 4: the moderator of this allocation's case never becomes its first
    auditor (reallocation)."""
    moderators = User.objects.filter(moderations__allocation_id=allocation.pk)
    return set(moderators.values_list("pk", flat=True))


def barred_from_moderating(allocation: Allocation) -> set[int]:
    """Rule 3: the allocation's auditor, and whoever wrote its audit, never moderate it."""
    first = User.objects.filter(
        Q(allocations__pk=allocation.pk) | Q(audits__allocation_id=allocation.pk)
    )
    return set(first.values_list("pk", flat=True))


def barred_from_reauditing(case: Case) -> set[int]:
    """Rules 3 and 4: nobody who has audited the case before re-audits it: its first
    auditors, its moderators, earlier re-auditors, and any person
    whose full name an imported audit of it gives as its auditor (imports record the
    name only: decision 0107)."""
    barred: set[int] = set()
    found = Case.objects.filter(pk=case.pk)
    barred.update(pk for pk in found.values_list("audits__auditor_id", flat=True) if pk)
    names = {
        " ".join(name.split()).casefold()
        for name in found.values_list("audits__auditor_name", flat=True)
        if name and name.strip()
    }
    if names:
        for person in User.objects.filter(_named_any(names)).only("pk", "first_name", "last_name"):
            if " ".join(person.get_full_name().split()).casefold() in names:
                barred.add(person.pk)
    return barred


def _named_any(names: Collection[str]) -> Q:
    """People whose last name is the last word of one of these names: the candidates a
    full-name comparison then settles."""
    query = Q(pk__in=[])
    for name in names:
        query |= Q(last_name__iexact=name.split()[-1])
    return query
