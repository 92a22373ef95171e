"""From rows of the statutory lists (or any case list) to one record per child, and from
those records to the case population: created, updated, closed or unchanged."""

from __future__ import annotations

import functools
import json
import operator
import os
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress, filterfalse, repeat
from typing import Any

import orjson
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from qpa.accounts.models import Role, User
from qpa.cases.models import Case, CaseStatus, PopulationRule, PopulationSource
from qpa.organisation.models import ServiceArea, Team

# What a child's case is put under: service area, team, worker's name and practitioner.
Placement = tuple[int | None, int | None, str, int | None]
PLACEMENT_FIELDS = ("service_area_id", "team_id", "worker_name", "practitioner_id")
# The case fields a child's record gives as they are.
RECORD_FIELDS = (
    "gender",
    "ethnicity",
    "date_of_birth",
    "has_disability",
    "cin_start_date",
    "cp_plan_start_date",
    "looked_after_start_date",
    "attributes",
)
# Case fields an import sets; anything else on a case is QPA's own.
SNAPSHOT_FIELDS = ["status", *PLACEMENT_FIELDS, *RECORD_FIELDS, "closed_on"]
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
# The start date a list gives a child's record, from its open rows.
START_DATE_FIELDS = {
    6: "cin_start_date",
    7: "cp_plan_start_date",
    8: "looked_after_start_date",
}


def name_key(name: str) -> str:
    """Team and worker names compare without case, accents of spacing or stray spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


@dataclass(slots=True)
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
    """Adds one Annex A row to the child's record: the rules, a row at a time. The import
    uses merge_annex_block, which tests/test_population.py holds to this."""
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


def merge_annex_block(
    records: dict[str, ChildRecord],
    list_number: int,
    keys: Sequence[str],
    columns: Mapping[str, Sequence[object]],
) -> None:
    """Adds rows of one Annex A list, given a column at a time (each column the same
    length, ``child_id`` never blank), to the children's records, creating those not yet
    there: what merge_annex_row does to each row in turn (tests/test_population.py holds
    them to it), with the per-cell work done by the interpreter's C loops (compress,
    map, zip) rather than by Python statements."""
    child_ids = [str(child_id) for child_id in columns["child_id"]]
    blank: Sequence[object] = (None,) * len(child_ids)

    def column(key: str) -> Sequence[object]:
        return columns.get(key, blank)

    found = records.get
    each_row: list[ChildRecord] = []
    for child_id in child_ids:
        record = found(child_id)
        if record is None:
            record = records[child_id] = ChildRecord(child_id=child_id)
        each_row.append(record)
    block: Sequence[ChildRecord] = each_row
    for name in ("gender", "ethnicity"):
        cells = column(name)
        given = _given(cells)
        for record, value in zip(compress(block, given), compress(cells, given), strict=True):
            if not getattr(record, name):
                setattr(record, name, str(value))
    _set_first(block, "date_of_birth", column("date_of_birth"))
    disability = column("has_disability")
    for record in compress(block, map(operator.is_, disability, repeat(False))):
        record.has_disability = record.has_disability or False
    for record in compress(block, map(operator.is_, disability, repeat(True))):
        record.has_disability = True
    source = LIST_SOURCES.get(list_number)
    if source is None:
        return
    end_column = END_DATE_COLUMNS.get(list_number)
    is_open: Iterable[bool] = (
        map(operator.is_, column(end_column), repeat(None)) if end_column else repeat(True)
    )
    if list_number == 6:
        statuses = column("case_status")
        still_open = {s: CLOSED_CIN_STATUS not in _text(s).casefold() for s in set(statuses)}
        is_open = map(operator.and_, is_open, map(still_open.__getitem__, statuses))
    open_rows = list(compress(range(len(child_ids)), is_open))
    if not open_rows:
        return
    everything = len(open_rows) == len(child_ids)

    def opened(key: str) -> Sequence[object]:
        cells = column(key)
        return cells if everything else _picked(open_rows, cells)

    block = block if everything else _picked(open_rows, block)
    teams = _texts(opened("allocated_team"))
    workers = _texts(opened("allocated_worker"))
    for record, team_worker in zip(block, zip(teams, workers, strict=True), strict=True):
        record.open_sources[source] = team_worker
    # What _json_safe makes of each row: blanks and the child ID left out, dates as text.
    stored = [key for key in keys if key != "child_id"]
    stored_cells: list[Sequence[object]] = []
    for key in stored:
        values = opened(key)
        if _DATE_TYPES.isdisjoint(map(type, values)):
            stored_cells.append(values)
            continue
        distinct = list(set(values))
        days = list(compress(distinct, map(isinstance, distinct, repeat(date))))
        as_text: dict[object, object] = dict(zip(days, map(_isoformat, days), strict=True))
        stored_cells.append(list(map(as_text.get, values, values)))
    attribute = f"list_{list_number}"
    for record, row in zip(block, zip(*stored_cells, strict=True), strict=True):
        kept = map(operator.is_not, row, repeat(None))
        record.attributes[attribute] = dict(compress(zip(stored, row, strict=True), kept))
    start = START_DATE_FIELDS.get(list_number)
    if start is not None:
        _set_first(block, start, opened(start))


_DATE_TYPES = frozenset({date, datetime})
_TEXT_TYPES = frozenset({str, type(None)})
_BLANK_AS_TEXT: dict[object, str] = {None: ""}


def _texts(cells: Sequence[object]) -> Iterable[str]:
    """What _text makes of each cell; for a column of text and blanks, in C."""
    if _TEXT_TYPES.issuperset(map(type, cells)):
        return map(_BLANK_AS_TEXT.get, cells, cells)  # type: ignore[arg-type]
    return map(_text, cells)


@functools.lru_cache(maxsize=1 << 16, typed=True)
def _isoformat(day: date) -> str:
    """A date (or datetime) as JSON holds it: each met again and again across a file's
    blocks and lists, so made once."""
    return day.isoformat()


def _picked(positions: Sequence[int], cells: Sequence[Any]) -> Sequence[Any]:
    """The cells at ``positions`` (at least one), picked in C."""
    if len(positions) == 1:
        return (cells[positions[0]],)
    picked: tuple[Any, ...] = operator.itemgetter(*positions)(cells)
    return picked


# Types whose truth is "given": not None and not "" (the test _first makes).
_TRUE_WHEN_GIVEN = frozenset({str, date, type(None)})


def _given(cells: Sequence[object]) -> Sequence[object]:
    """The cells, or for a column of other types, each as True or False: given or not."""
    if _TRUE_WHEN_GIVEN.issuperset(map(type, cells)):
        return cells
    return [cell is not None and cell != "" for cell in cells]


def _set_first(block: Sequence[ChildRecord], name: str, cells: Sequence[object]) -> None:
    """Sets the field on each record that has none yet, from its first given cell."""
    given = _given(cells)
    for record, value in zip(compress(block, given), compress(cells, given), strict=True):
        if getattr(record, name) in (None, ""):
            setattr(record, name, value)


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


NO_SERVICE_AREA = "No service area"


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
        # Many children share a team, a worker and a rule: each placement is decided once,
        # and looked up by what decides it, the child's open lists' teams and workers.
        self.decided: dict[tuple[str, str, int | None, str], tuple[Placement, str | None]] = {}
        self.placed: dict[tuple[object, ...], tuple[Placement, str | None]] = {}

    def resolve(self, record: ChildRecord, result: SnapshotResult) -> Placement:
        key = (*record.open_sources.items(), record.service_area_name)
        placed = self.placed.get(key)
        if placed is None:
            placed = self.placed[key] = self._place(record)
        placement, unmapped = placed
        if unmapped is not None:
            result.unmapped_teams[unmapped] += 1
        return placement

    def _place(self, record: ChildRecord) -> tuple[Placement, str | None]:
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
        key = (team_name, worker, area.pk if area else None, record.service_area_name)
        decided = self.decided.get(key)
        if decided is None:
            decided = self.decided[key] = self._decide(team_name, worker, area, record)
        return decided

    def _decide(
        self, team_name: str, worker: str, area: ServiceArea | None, record: ChildRecord
    ) -> tuple[Placement, str | None]:
        team = self.teams.get(name_key(team_name)) if team_name else None
        if record.service_area_name:
            area = self.areas.get(name_key(record.service_area_name), area)
        if team is not None and (area is None or team.service_area.decided_by_team):
            area = team.service_area
        placement = (
            area.pk if area else None,
            team.pk if team else None,
            worker.strip(),
            self.practitioners.get(name_key(worker)) if worker else None,
        )
        return placement, team_name.strip() if team_name and team is None else None

    def area_name(self, area_id: int | None) -> str:
        return self.area_names.get(area_id, NO_SERVICE_AREA) if area_id else NO_SERVICE_AREA


class ClosingRefused(Exception):
    """snapshot_apply wrote nothing: it would have closed more of the open cases than its
    caller allows."""

    def __init__(self, *, closing: int, open_cases: int) -> None:
        super().__init__(f"{closing} of the {open_cases} open cases would be closed")
        self.closing, self.open_cases = closing, open_cases


def snapshot_apply(
    *,
    acting_user: User | None,
    records: Iterable[ChildRecord],
    close_missing: bool = True,
    untouched: set[str] | None = None,
    today: date | None = None,
    may_close: Callable[[int, int], bool] | None = None,
) -> SnapshotResult:
    """Makes the open cases match the file: new children become cases, changes update
    them, open cases missing from the file are closed (never deleted). One transaction.

    may_close(closing, open_cases) is asked, before anything is written, whether the
    snapshot may close that many of the open cases; if not, ClosingRefused is raised and
    nothing is written. The count is the closures themselves, so it cannot disagree
    with them, and costs no more than finding them."""
    today = today or timezone.localdate()
    result = SnapshotResult()
    resolver = _Resolver()
    untouched = untouched or set()
    with transaction.atomic():
        # Each case's ID and the fields an import sets, as values: a month's import
        # compares every open case, and model instances are made only for those changed.
        existing = _snapshot_values()
        new: list[ChildRecord] = []
        changes: dict[int, dict[str, Any]] = {}  # case ID -> the fields to set
        # Children whose rows could not be read are neither updated nor closed.
        seen: set[str] = set(untouched)
        for record in records:
            if not record.is_open or record.child_id in untouched:
                continue
            seen.add(record.child_id)
            case = existing.get(record.child_id)
            if case is None:
                new.append(record)
                continue
            placement = resolver.resolve(record, result)
            wanted: dict[str, Any] = dict(zip(PLACEMENT_FIELDS, placement, strict=True))
            wanted.update((name, getattr(record, name)) for name in RECORD_FIELDS)
            wanted.update(status=CaseStatus.OPEN, closed_on=None)
            area = resolver.area_name(placement[0])
            if placement[0] is None:
                result.no_service_area += 1
            current = dict(zip(SNAPSHOT_FIELDS, case[1:], strict=True))
            details = current.pop("attributes")
            if any(value != wanted[name] for name, value in current.items()) or not _same_json(
                details, wanted["attributes"]
            ):
                changes[case[0]] = wanted
                result.updated[area] += 1
            else:
                result.unchanged[area] += 1
        if close_missing:
            status, area_id = (
                SNAPSHOT_FIELDS.index("status"),
                SNAPSHOT_FIELDS.index("service_area_id"),
            )
            open_ids = [
                child_id
                for child_id, case in existing.items()
                if case[1 + status] == CaseStatus.OPEN
            ]
            closing = [child_id for child_id in open_ids if child_id not in seen]
            if may_close is not None and not may_close(len(closing), len(open_ids)):
                raise ClosingRefused(closing=len(closing), open_cases=len(open_ids))
            for child_id in closing:
                case = existing[child_id]
                changes[case[0]] = {"status": CaseStatus.CLOSED, "closed_on": today}
                result.closed[resolver.area_name(case[1 + area_id])] += 1
        now = timezone.now()
        # In the order of the child ID index (and of Case.Meta.ordering): each goes at the
        # index's end rather than in its middle, about a fifth quicker on SQLite.
        new.sort(key=operator.attrgetter("child_id"))
        if new:
            adapters = {f.attname: _adapter(f) for f in _case_fields()}
            with _case_writer() as write:
                for start in range(0, len(new), WRITE_ROWS):
                    chunk = new[start : start + WRITE_ROWS]
                    columns = _new_cases(
                        chunk, resolver, result, acting_user=acting_user, today=today
                    )
                    write(_case_rows(columns, count=len(chunk), now=now, adapters=adapters))
        to_update = Case.objects.in_bulk(list(changes))
        for pk, fields in changes.items():
            changed = to_update[pk]
            for name, value in fields.items():
                setattr(changed, name, value)
            changed.updated_by = acting_user
            changed.updated_at = now
        Case.objects.bulk_update(
            list(to_update.values()),
            [*SNAPSHOT_FIELDS, "updated_by", "updated_at"],
            batch_size=1000,
        )
    return result


def _snapshot_values() -> dict[str, tuple[Any, ...]]:
    """Each case's ID and the fields an import sets (SNAPSHOT_FIELDS), by child ID, as
    values, but for the case details, which come as their JSON text (_same_json)."""
    names = [name if name != "attributes" else "attributes_text" for name in SNAPSHOT_FIELDS]
    rows = Case.objects.annotate(
        attributes_text=Cast("attributes", output_field=models.TextField())
    ).values_list("child_id", "pk", *names)
    return {row[0]: row[1:] for row in rows}


def _same_json(text: str | None, value: Any) -> bool:
    """Whether a case's details, as JSON text from the database, hold ``value``: at once
    if the text is what an import would write (as on SQLite), else read as the JSON field
    reads it. A month's import compares every case; reading each one's details costs
    more than writing the new month's as text (ADR 0141)."""
    if text is None:
        return value is None
    return text == _json_text(value) or json.loads(text) == value


def _new_cases(
    records: list[ChildRecord],
    resolver: _Resolver,
    result: SnapshotResult,
    *,
    acting_user: User | None,
    today: date,
) -> dict[str, Iterable[Any]]:
    """The new cases' field values by attribute name, a column at a time, and counted."""
    placements = list(map(resolver.resolve, records, repeat(result)))
    columns: dict[str, Iterable[Any]] = {
        name: list(map(operator.itemgetter(i), placements))
        for i, name in enumerate(PLACEMENT_FIELDS)
    }
    area_ids: list[int | None] = columns["service_area_id"]  # type: ignore[assignment]
    result.created.update(map(resolver.area_name, area_ids))
    result.no_service_area += area_ids.count(None)
    for name in ("child_id", *RECORD_FIELDS):
        columns[name] = list(map(operator.attrgetter(name), records))
    user_id = acting_user.pk if acting_user else None
    columns.update(
        status=repeat(CaseStatus.OPEN),
        closed_on=repeat(None),
        opened_on=repeat(today),
        created_by_id=repeat(user_id),
        updated_by_id=repeat(user_id),
    )
    return columns


def _adapter(field: models.Field[Any, Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """The cheapest correct conversion of one field's column of values for this database:
    dates and the like (few distinct values) are converted once per value; UUIDs and
    JSON go as text, which both databases take for their own types."""
    if isinstance(field, models.UUIDField):
        return lambda values: [value.hex for value in values]
    if isinstance(field, models.JSONField) and field.encoder is None:
        return lambda values: [_json_text(value) for value in values]
    if isinstance(field, models.JSONField):
        adapt_json, encoder = connection.ops.adapt_json_value, field.encoder
        return lambda values: [adapt_json(value, encoder) for value in values]
    if isinstance(field, models.DateTimeField):
        return _once_per_value(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return _once_per_value(connection.ops.adapt_datefield_value)
    return list


def _json_text(value: Any) -> str:
    """JSON text for a JSONField without an encoder of its own, with orjson (ADR 0137): a
    large import's case details are encoded about six times as fast as by the json module,
    which takes what orjson will not (integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


# uuid.uuid4's bits, set on random bytes: the version (4) in the high half of byte 6 and
# the variant (RFC 9562: 10) in the top bits of byte 8.
_UUID4_VERSION = bytes((byte & 0x0F) | 0x40 for byte in range(256))
_UUID4_VARIANT = bytes((byte & 0x3F) | 0x80 for byte in range(256))


def _random_uuid_hexes(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as uuid.uuid4 makes them, as the 32 hex digits
    both databases take for a UUID column, from one read of the system's random source
    rather than one each, their version and variant bits set in C (bytes.translate)."""
    random = bytearray(os.urandom(16 * count))
    random[6::16] = random[6::16].translate(_UUID4_VERSION)
    random[8::16] = random[8::16].translate(_UUID4_VARIANT)
    digits = random.hex()
    ends = range(32, 32 * count + 1, 32)
    return list(map(digits.__getitem__, map(slice, range(0, 32 * count, 32), ends)))


def _once_per_value(adapt: Callable[[Any], Any]) -> Callable[[Sequence[Any]], list[Any]]:
    adapted: dict[Any, Any] = {}  # kept from one block of rows to the next

    def column(values: Sequence[Any]) -> list[Any]:
        fresh = list(set(filterfalse(adapted.__contains__, values)))
        adapted.update(zip(fresh, map(adapt, fresh), strict=True))
        return list(map(adapted.__getitem__, values))

    return column


# New cases are made and written this many at a time.
WRITE_ROWS = 4096


def _case_fields() -> list[models.Field[Any, Any]]:
    return [f for f in Case._meta.concrete_fields if not f.primary_key]


@dataclass(frozen=True, slots=True)
class CaseRows:
    """New cases for the database: the columns whose values differ from case to case,
    each case's values for them in that order, and the columns whose one value is the
    same for every case (who made them, when, open, no legal hold...)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    constants: dict[str, Any]


def _case_rows(
    columns: dict[str, Iterable[Any]],
    *,
    count: int,
    now: Any,
    adapters: Mapping[str, Callable[[Sequence[Any]], list[Any]]],
) -> CaseRows:
    """Rows of ``count`` new cases for the database, from a column of values (or one
    value repeated) for each field by attribute name. Fields not given take their model
    defaults, called for each case where the default is a callable (a public ID)."""
    names: list[str] = []
    cells: list[list[Any]] = []
    constants: dict[str, Any] = {}
    for model_field in _case_fields():
        name = model_field.attname
        adapt = adapters[name]
        if name in ("created_at", "updated_at"):
            values: Iterable[Any] = repeat(now)
        elif name in columns:
            values = columns[name]
        elif model_field.default is uuid.uuid4:
            names.append(model_field.column)
            cells.append(_random_uuid_hexes(count))  # already as the databases take them
            continue
        elif model_field.has_default() and callable(model_field.default):
            values = [model_field.get_default() for _ in range(count)]
        else:
            values = repeat(model_field.get_default())
        if isinstance(values, repeat):
            constants[model_field.column] = adapt([next(values)])[0]
        else:
            names.append(model_field.column)
            cells.append(adapt(list(values)))
    return CaseRows(names, list(zip(*cells, strict=True)), constants)


def _sqlite_literal(value: object) -> str:
    """One of our own constant values (never input from a file) as SQLite text, in a
    statement run through Django's cursor, which reads ``%%`` as ``%``."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise TypeError(f"{type(value).__name__} is not written as a constant")


@contextmanager
def _case_writer() -> Iterator[Callable[[CaseRows], None]]:
    """A function that writes new cases (from _case_rows) inside the current
    transaction: at the size of a large council's Annex A, building model instances and
    the ORM's bulk_create (on SQLite in batches of 999 parameters) cost more than
    reading the file (bench/import_annex_a.py). PostgreSQL takes the rows through COPY,
    working on each block in its own process while the next is made; SQLite takes them
    with one executemany a block, the values every case shares written once into the
    statement rather than bound for each case (ADR 0141)."""
    quote = connection.ops.quote_name
    # Table and column names come from the model, never from input.
    table = quote(Case._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with ExitStack() as stack:
                copying: list[tuple[list[str], Any]] = []  # the one COPY, once begun

                def send(block: CaseRows) -> None:
                    order = [*block.columns, *block.constants]
                    if not copying:
                        names = ", ".join(map(quote, order))
                        sql = f"COPY {table} ({names}) FROM STDIN"
                        copying.append((order, stack.enter_context(cursor.cursor.copy(sql))))
                    begun, copy = copying[0]
                    if order != begun:
                        raise ValueError("every block of new cases has the same columns")
                    shared = tuple(block.constants.values())
                    for row in block.rows:
                        copy.write_row(row + shared)

                yield send
            return

        def insert(block: CaseRows) -> None:
            names = ", ".join(quote(c) for c in [*block.columns, *block.constants])
            values = ", ".join(
                [*(["%s"] * len(block.columns)), *map(_sqlite_literal, block.constants.values())]
            )
            # Names from the model; the constants are our own values (_sqlite_literal).
            sql = f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608
            cursor.executemany(sql, block.rows)

        yield insert
