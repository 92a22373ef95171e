"""Imports the audits a council already did in spreadsheets, so they count in every
report like audits done in QPA. Format: docs/import-formats.md.

The Auditor column is recorded as text (`Audit.auditor_name`) and never matched to an
account: an account linked to an audit would see the case ("cases audited by me") and
every other audit of it, so importing a file would widen a remit (decision 0107)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from qpa.accounts.models import User
from qpa.audits.models import Audit, AuditSource, AuditStatus, DomainRating
from qpa.audits.signals import counted_ratings_changed
from qpa.cases.imports import ImportFileError, ImportOutcome
from qpa.cases.models import Case, CaseStatus, ImportRun
from qpa.cases.population import name_key
from qpa.cases.tabular.cleaning import parse_date
from qpa.cases.tabular.errors import FileRefused, RowError
from qpa.cases.tabular.progress import Progress
from qpa.cases.tabular.readers import read_table
from qpa.core.spreadsheets import csv_text
from qpa.organisation.models import ServiceArea, Team
from qpa.tools.models import AuditTool, Domain, Rating, ToolVersion

FIXED_COLUMNS = [
    "Child Unique ID",
    "Service area",
    "Team",
    "Auditor",
    "Audit date",
    "Tool",
    "Overall rating",
]
NOT_APPLICABLE = {"n/a", "na", "not applicable"}
MAX_AUDITOR_NAME = Audit._meta.get_field("auditor_name").max_length or 160


def template_csv(tool: AuditTool) -> str:
    """The columns to fill in, with one example row. Domain and tool names are typed by
    administrators, so every cell is neutralised (qpa.core.spreadsheets)."""
    domains = [d.name for d in tool.current_version.domains.all()]
    example_ratings = ["Good"] * len(domains)
    if domains:
        example_ratings[-1] = "N/A"
    return csv_text(
        [
            [*FIXED_COLUMNS, *domains],
            [
                "EXAMPLE-123",
                "Children in Care",
                "Children in Care Team 1",
                "A. Auditor",
                "31/10/2026",
                tool.name,
                "" if tool.current_version.overall_rating_optional else "Good",
                *example_ratings,
            ],
        ]
    )


@dataclass
class _ToolInfo:
    tool: AuditTool
    versions: list[tuple[ToolVersion, dict[str, Domain]]]  # newest first
    ratings: dict[str, Rating]  # label and code, normalised -> rating


@dataclass
class _Row:
    number: int
    child_id: str
    area: ServiceArea | None
    team: Team | None
    auditor_name: str
    audit_date: date
    version: ToolVersion
    overall: Rating | None  # None only where the tool version makes it optional
    domains: list[tuple[Domain, Rating | None, bool]] = field(default_factory=list)


class _Lookups:
    def __init__(self) -> None:
        self.areas = {name_key(a.name): a for a in ServiceArea.objects.all()}
        self.teams = {name_key(t.name): t for t in Team.objects.all()}
        self.tools: dict[str, _ToolInfo] = {}
        for tool in AuditTool.objects.select_related("scale"):
            versions = []
            for version in tool.versions.order_by("-number").prefetch_related("domains"):
                versions.append((version, {name_key(d.name): d for d in version.domains.all()}))
            ratings: dict[str, Rating] = {}
            for rating in tool.scale.ratings.all():
                ratings[name_key(rating.label)] = rating
                ratings.setdefault(name_key(rating.code), rating)
            info = _ToolInfo(tool=tool, versions=versions, ratings=ratings)
            self.tools[name_key(tool.name)] = info
            self.tools.setdefault(name_key(tool.slug), info)
        self.all_domains = {
            key for info in self.tools.values() for _, domains in info.versions for key in domains
        }


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse_row(
    number: int, row: dict[str, object], domain_headers: list[str], look: _Lookups, sheet: str
) -> tuple[_Row | None, list[RowError]]:
    errors: list[RowError] = []

    def err(column: str, message: str) -> None:
        errors.append(RowError(sheet, number, column, message))

    child_id = _text(row.get("Child Unique ID"))
    if not child_id:
        err("Child Unique ID", "The child ID is blank.")
    area_name = _text(row.get("Service area"))
    area = look.areas.get(name_key(area_name)) if area_name else None
    if area_name and area is None:
        err("Service area", f"{area_name} is not a service area.")
    team_name = _text(row.get("Team"))
    team = look.teams.get(name_key(team_name)) if team_name else None
    auditor_name = _text(row.get("Auditor"))
    if not auditor_name:
        err("Auditor", "The auditor is blank.")
    elif len(auditor_name) > MAX_AUDITOR_NAME:
        err("Auditor", f"The auditor's name is longer than {MAX_AUDITOR_NAME} characters.")
    audit_date: date | None = None
    try:
        audit_date = parse_date(row.get("Audit date"))
    except ValueError as error:
        err("Audit date", str(error))
    if audit_date is None and not any(e.column == "Audit date" for e in errors):
        err("Audit date", "The audit date is blank.")
    elif audit_date and audit_date > timezone.localdate():
        err("Audit date", "The audit date is in the future.")
    tool_name = _text(row.get("Tool"))
    info = look.tools.get(name_key(tool_name))
    if info is None:
        err("Tool", f"{tool_name or 'A blank'} is not an audit tool in QPA.")
        return None, errors
    overall_text = _text(row.get("Overall rating"))
    overall = info.ratings.get(name_key(overall_text))
    labels = ", ".join(r.label for r in info.tool.scale.ratings.all())
    # A blank is checked once the version is known: a version may make it optional.
    if overall is None and overall_text:
        err(
            "Overall rating",
            f"{overall_text} is not a rating of {info.tool.name}: use {labels}.",
        )
    filled = {h: _text(row.get(h)) for h in domain_headers if _text(row.get(h))}
    version = next(
        (v for v, domains in info.versions if all(name_key(h) in domains for h in filled)), None
    )
    if version is None:
        known = info.versions[0][1]
        for header in filled:
            if name_key(header) not in known:
                err(header, f"{header} is not a domain of {info.tool.name}.")
        return None, errors
    if not overall_text and not version.overall_rating_optional:
        err(
            "Overall rating",
            f"The overall rating is blank: {info.tool.name} needs one of {labels}.",
        )
    domains = dict(info.versions[[v for v, _ in info.versions].index(version)][1])
    rated: list[tuple[Domain, Rating | None, bool]] = []
    for header, value in filled.items():
        domain = domains[name_key(header)]
        if value.casefold() in NOT_APPLICABLE:
            if not domain.allows_not_applicable:
                err(header, f"{domain.name} cannot be rated not applicable in {info.tool.name}.")
            rated.append((domain, None, True))
            continue
        rating = info.ratings.get(name_key(value))
        if rating is None:
            err(header, f"{value} is not a rating of {info.tool.name}.")
            continue
        rated.append((domain, rating, False))
    if errors or audit_date is None:
        return None, errors
    return (
        _Row(
            number=number,
            child_id=child_id,
            area=area,
            team=team,
            auditor_name=auditor_name,
            audit_date=audit_date,
            version=version,
            overall=overall,
            domains=rated,
        ),
        [],
    )


def past_audits_import(
    *,
    acting_user: User | None,
    path: Path,
    file_name: str = "",
    valid_rows_only: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    outcome = ImportOutcome()
    try:
        table = read_table(path)
    except FileRefused as error:
        raise ImportFileError(str(error)) from error
    absent = [c for c in FIXED_COLUMNS if c not in table.headers]
    if absent:
        raise ImportFileError(
            "The file is not in the past-audits format: it has no column "
            + ", ".join(absent)
            + ". Download the template to see the format."
        )
    look = _Lookups()
    domain_headers = [h for h in table.headers if h not in FIXED_COLUMNS]
    for header in domain_headers:
        if name_key(header) not in look.all_domains:
            outcome.errors.append(
                RowError(table.sheet, 1, header, f"{header} is not a domain of any audit tool.")
            )
    rows: list[_Row] = []
    try:
        for number, values in table.rows:
            outcome.rows += 1
            if on_progress and outcome.rows % 1000 == 0:
                on_progress(outcome.rows, 0)
            parsed, errors = _parse_row(number, values, domain_headers, look, table.sheet)
            outcome.errors.extend(errors)
            if parsed:
                rows.append(parsed)
    except FileRefused as error:
        raise ImportFileError(str(error)) from error
    if outcome.rows == 0:
        raise ImportFileError("The file has a header row but no audits.")
    if outcome.errors and not valid_rows_only:
        return outcome
    outcome.summary = _write(acting_user=acting_user, rows=rows)
    outcome.summary["rows"] = outcome.rows
    outcome.written = True
    return outcome


def _write(*, acting_user: User | None, rows: list[_Row]) -> dict[str, Any]:
    created = duplicates = new_cases = 0
    written: list[int] = []
    now = timezone.now()
    with transaction.atomic():
        cases = {
            c.child_id: c for c in Case.objects.filter(child_id__in={r.child_id for r in rows})
        }
        existing = set(
            Audit.objects.filter(source=AuditSource.IMPORTED, case__in=cases.values()).values_list(
                "case__child_id", "tool_version__tool_id", "audit_date"
            )
        )
        for row in rows:
            case = cases.get(row.child_id)
            if case is None:
                # A child no longer open: kept as a closed case so the audit has a home.
                case = Case.objects.create(
                    child_id=row.child_id,
                    status=CaseStatus.CLOSED,
                    service_area=row.area,
                    team=row.team,
                    created_by=acting_user,
                    updated_by=acting_user,
                )
                cases[row.child_id] = case
                new_cases += 1
            key = (row.child_id, row.version.tool_id, row.audit_date)
            if key in existing:
                duplicates += 1
                continue
            existing.add(key)
            audit = Audit.objects.create(
                case=case,
                tool_version=row.version,
                auditor=None,
                auditor_name=row.auditor_name,
                status=AuditStatus.SUBMITTED,
                source=AuditSource.IMPORTED,
                service_area=row.area or case.service_area,
                team=row.team or case.team,
                audit_date=row.audit_date,
                submitted_at=now,
                overall_rating=row.overall,
                created_by=acting_user,
                updated_by=acting_user,
            )
            DomainRating.objects.bulk_create(
                DomainRating(audit=audit, domain=domain, rating=rating, not_applicable=na)
                for domain, rating, na in row.domains
            )
            created += 1
            written.append(audit.pk)
        counted_ratings_changed.send(sender=Audit, audit_ids=written)
    return {"audits_created": created, "duplicates_skipped": duplicates, "cases_created": new_cases}


def past_audits_run(run: ImportRun, path: Path, on_progress: Progress) -> ImportOutcome:
    """Carries out a queued past-audit run (registered with qpa.cases.imports)."""
    return past_audits_import(
        acting_user=run.created_by,
        path=path,
        file_name=run.file_name,
        valid_rows_only=bool(run.options.get("valid_rows_only")),
        on_progress=on_progress,
    )
