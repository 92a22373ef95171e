"""From rows of the statutory lists (or any case list) to one record per child, and from
those records to the case population: created, updated, closed or unchanged."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.cases.models import Case, CaseStatus, PopulationRule, PopulationSource
from qpa.organisation.models import ServiceArea, Team

# Case fields an import sets; anything else on a case is QPA's own.
SNAPSHOT_FIELDS = [
    "status",
    "service_area_id",
    "team_id",
    "worker_name",
    "practitioner_id",
    "gender",
    "ethnicity",
    "date_of_birth",
    "has_disability",
    "cin_start_date",
    "cp_plan_start_date",
    "looked_after_start_date",
    "closed_on",
    "attributes",
]
# Annex A list number -> the source its open rows belong to.
LIST_SOURCES = {
    6: PopulationSource.CHILD_IN_NEED,
    7: PopulationSource.CHILD_PROTECTION,
    8: PopulationSource.LOOKED_AFTER,
    9: PopulationSource.LEAVING_CARE,
}
# The column that, when filled in, means the row's episode has ended.
END_DATE_COLUMNS = {6: "cin_closure_date", 7: "cp_plan_end_date", 8: "looked_after_end_date"}
CLOSED_CIN_STATUS = "closed episode"


def name_key(name: str) -> str:
    """Team and worker names compare without case, accents of spacing or stray spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass
class ChildRecord:
    """Everything the lists say about one child."""

    child_id: str
    # Source -> (team name, worker name) from that source's open row.
    open_sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    service_area_name: str = ""  # only from case lists that name it
    gender: str = ""
    ethnicity: str = ""
    date_of_birth: date | None = None
    has_disability: bool | None = None
    cin_start_date: date | None = None
    cp_plan_start_date: date | None = None
    looked_after_start_date: date | None = None
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return bool(self.open_sources)


def _json_safe(values: dict[str, object]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in values.items()
        if value is not None and key != "child_id"
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _first(current: Any, new: Any) -> Any:
    return current if current not in (None, "") else new


def merge_annex_row(record: ChildRecord, list_number: int, values: dict[str, object]) -> None:
    """Adds one Annex A row to the child's record."""
    record.gender = _first(record.gender, _text(values.get("gender")))
    record.ethnicity = _first(record.ethnicity, _text(values.get("ethnicity")))
    record.date_of_birth = _first(record.date_of_birth, values.get("date_of_birth"))
    disability = values.get("has_disability")
    if isinstance(disability, bool):
        record.has_disability = record.has_disability or disability
    source = LIST_SOURCES.get(list_number)
    if source is None:
        return
    end_column = END_DATE_COLUMNS.get(list_number)
    if end_column and values.get(end_column) is not None:
        return
    if list_number == 6 and CLOSED_CIN_STATUS in _text(values.get("case_status")).casefold():
        return
    team, worker = _text(values.get("allocated_team")), _text(values.get("allocated_worker"))
    record.open_sources[source] = (team, worker)
    record.attributes[f"list_{list_number}"] = _json_safe(values)
    if list_number == 6:
        record.cin_start_date = _first(record.cin_start_date, values.get("cin_start_date"))
    elif list_number == 7:
        record.cp_plan_start_date = _first(
            record.cp_plan_start_date, values.get("cp_plan_start_date")
        )
    elif list_number == 8:
        record.looked_after_start_date = _first(
            record.looked_after_start_date, values.get("looked_after_start_date")
        )


@dataclass
class SnapshotResult:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    # Team names in the file that map to no team, with how many cases name them.
    unmapped_teams: Counter[str] = field(default_factory=Counter)
    no_service_area: int = 0

    def as_summary(self) -> dict[str, Any]:
        areas = sorted(
            set(self.created) | set(self.updated) | set(self.closed) | set(self.unchanged)
        )
        return {
            "created": sum(self.created.values()),
            "updated": sum(self.updated.values()),
            "closed": sum(self.closed.values()),
            "unchanged": sum(self.unchanged.values()),
            "by_service_area": [
                {
                    "service_area": area,
                    "created": self.created[area],
                    "updated": self.updated[area],
                    "closed": self.closed[area],
                    "unchanged": self.unchanged[area],
                }
                for area in areas
            ],
            "unmapped_teams": [
                {"team": team, "cases": count}
                for team, count in sorted(self.unmapped_teams.items())
            ],
            "no_service_area": self.no_service_area,
        }


class _Resolver:
    """Decides each child's team, service area and practitioner from configuration."""

    def __init__(self) -> None:
        self.teams = {name_key(t.name): t for t in Team.objects.select_related("service_area")}
        self.areas = {name_key(a.name): a for a in ServiceArea.objects.all()}
        self.area_names = {a.pk: a.name for a in self.areas.values()}
        self.rules = list(PopulationRule.objects.select_related("service_area"))
        self.practitioners: dict[str, int] = {}
        for user in User.objects.filter(role=Role.PRACTITIONER, is_active=True):
            self.practitioners.setdefault(name_key(user.get_full_name()), user.pk)

    def resolve(self, record: ChildRecord, result: SnapshotResult) -> dict[str, Any]:
        team_name, worker = "", ""
        area: ServiceArea | None = None
        for rule in self.rules:  # in precedence order
            if rule.source in record.open_sources:
                team_name, worker = record.open_sources[rule.source]
                area = rule.service_area
                break
        if not team_name:  # a list without a team (a case list): take any that has one
            team_name, worker = next(
                (tw for tw in record.open_sources.values() if tw[0]), ("", worker)
            )
        team = self.teams.get(name_key(team_name)) if team_name else None
        if team_name and team is None:
            result.unmapped_teams[team_name.strip()] += 1
        if record.service_area_name:
            area = self.areas.get(name_key(record.service_area_name), area)
        if team is not None and (area is None or team.service_area.decided_by_team):
            area = team.service_area
        return {
            "service_area_id": area.pk if area else None,
            "team_id": team.pk if team else None,
            "worker_name": worker.strip(),
            "practitioner_id": self.practitioners.get(name_key(worker)) if worker else None,
        }


def snapshot_apply(
    *,
    acting_user: User | None,
    records: Iterable[ChildRecord],
    close_missing: bool = True,
    untouched: set[str] | None = None,
    today: date | None = None,
) -> SnapshotResult:
    """Makes the open cases match the file: new children become cases, changes update
    them, open cases missing from the file are closed (never deleted). One transaction."""
    today = today or timezone.localdate()
    result = SnapshotResult()
    resolver = _Resolver()
    with transaction.atomic():
        existing = {case.child_id: case for case in Case.objects.all()}
        to_create: list[dict[str, Any]] = []
        to_update: list[Case] = []
        # Children whose rows could not be read are neither updated nor closed.
        seen: set[str] = set(untouched or ())
        for record in records:
            if not record.is_open or record.child_id in (untouched or ()):
                continue
            seen.add(record.child_id)
            wanted = resolver.resolve(record, result)
            wanted.update(
                status=CaseStatus.OPEN,
                gender=record.gender,
                ethnicity=record.ethnicity,
                date_of_birth=record.date_of_birth,
                has_disability=record.has_disability,
                cin_start_date=record.cin_start_date,
                cp_plan_start_date=record.cp_plan_start_date,
                looked_after_start_date=record.looked_after_start_date,
                closed_on=None,
                attributes=record.attributes,
            )
            area = resolver.area_names.get(wanted["service_area_id"], "No service area")
            if wanted["service_area_id"] is None:
                result.no_service_area += 1
            case = existing.get(record.child_id)
            if case is None:
                wanted.update(
                    child_id=record.child_id,
                    opened_on=today,
                    created_by_id=acting_user.pk if acting_user else None,
                    updated_by_id=acting_user.pk if acting_user else None,
                )
                to_create.append(wanted)
                result.created[area] += 1
            elif any(getattr(case, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(case, name, value)
                case.updated_by = acting_user
                to_update.append(case)
                result.updated[area] += 1
            else:
                result.unchanged[area] += 1
        if close_missing:
            for case in existing.values():
                if case.status == CaseStatus.OPEN and case.child_id not in seen:
                    case.status = CaseStatus.CLOSED
                    case.closed_on = today
                    case.updated_by = acting_user
                    to_update.append(case)
                    area = (
                        resolver.area_names.get(case.service_area_id, "No service area")
                        if case.service_area_id
                        else "No service area"
                    )
                    result.closed[area] += 1
        now = timezone.now()
        _insert_cases(to_create, now=now)
        for case in to_update:
            case.updated_at = now
        Case.objects.bulk_update(
            to_update, [*SNAPSHOT_FIELDS, "updated_by", "updated_at"], batch_size=1000
        )
    return result


def _adapter(field: models.Field[Any, Any]) -> Any:
    """The cheapest correct conversion of one field's value for this database."""
    if isinstance(field, models.UUIDField):
        return (lambda v: v.hex) if connection.vendor == "sqlite" else (lambda v: v)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return lambda v: v


def _insert_cases(cases: list[dict[str, Any]], *, now: Any) -> None:
    """Inserts new cases, given as field values by attribute name, with one executemany:
    at the size of a large council's Annex A, building model instances and the ORM's
    bulk_create (on SQLite in batches of 999 parameters) cost more than reading the
    file. Fields not given take their model defaults; bench/import_annex_a.py measures it."""
    if not cases:
        return
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(Case._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    plan: list[tuple[str, Any, models.Field[Any, Any] | None]] = []
    for model_field in fields:
        if model_field.attname in ("created_at", "updated_at"):
            plan.append((model_field.attname, lambda _v, stamp=stamp: stamp, None))
        else:
            plan.append((model_field.attname, _adapter(model_field), model_field))
    rows = [
        [
            adapt(case[attname] if attname in case else spec.get_default() if spec else None)
            for attname, adapt, spec in plan
        ]
        for case in cases
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
