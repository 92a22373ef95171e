"""The Annex A import's column-at-a-time steps give exactly what the row-at-a-time steps
give: merge_annex_block against merge_annex_row on generated rows, annex_a_records
against the row-by-row reading (kept here as the reference) on whole workbooks, and the
cases _insert_cases writes against the ORM's own bulk_create."""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.annex_a_workbook import write_annex_a
from qpa.cases.imports import POPULATION_LISTS, ReadResult, annex_a_records, collector_paused
from qpa.cases.models import Case
from qpa.cases.population import (
    ChildRecord,
    _json_text,
    merge_annex_block,
    merge_annex_row,
    snapshot_apply,
)
from qpa.cases.tabular.errors import RowError
from qpa.cases.tabular.readers import read_annex_a
from tests.support import annex_a as sheets

KEYS = [
    "child_id",
    "gender",
    "ethnicity",
    "date_of_birth",
    "has_disability",
    "case_status",
    "allocated_team",
    "allocated_worker",
    "cin_start_date",
    "cin_closure_date",
    "cp_plan_start_date",
    "cp_plan_end_date",
    "looked_after_start_date",
    "looked_after_end_date",
    "extra",
]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
maybe_date = st.none() | days
texts = st.sampled_from(["", "a) Male", "b) Female", "WBRI", "Team A", " Team B ", "Éa"])
cells: dict[str, st.SearchStrategy[object]] = {
    "child_id": st.sampled_from([f"C{i}" for i in range(12)]),
    "gender": st.none() | texts | st.sampled_from([0, 1.5]),
    "ethnicity": st.none() | texts,
    "date_of_birth": maybe_date,
    "has_disability": st.none() | st.booleans() | st.just(1),
    "case_status": st.none()
    | st.sampled_from(["a) Open case", "Closed episode", "e) CLOSED EPISODE", "closed"]),
    "allocated_team": st.none() | texts,
    "allocated_worker": st.none() | texts,
    "extra": st.none() | texts | days | st.integers(-3, 3) | st.booleans() | st.floats(0, 9),
}


def _cell(key: str) -> st.SearchStrategy[object]:
    return cells.get(key, maybe_date)


rows = st.lists(st.fixed_dictionaries({key: _cell(key) for key in KEYS}), min_size=1, max_size=30)
blocks = st.lists(st.tuples(st.sampled_from([6, 7, 8, 9]), rows), min_size=1, max_size=6)


def _state(records: dict[str, ChildRecord]) -> list[tuple[object, ...]]:
    """Everything about the records, dict orders included."""
    return [
        (
            child_id,
            record,
            list(record.open_sources.items()),
            [(name, list(values.items())) for name, values in record.attributes.items()],
        )
        for child_id, record in records.items()
    ]


@given(blocks=blocks)
@settings(max_examples=300, deadline=None)
def test_a_block_merges_as_its_rows_do_one_by_one(
    blocks: list[tuple[int, list[dict[str, object]]]],
) -> None:
    by_row: dict[str, ChildRecord] = {}
    by_block: dict[str, ChildRecord] = {}
    for list_number, block in blocks:
        for drawn in block:
            values = {key: drawn[key] for key in KEYS}  # in the order the reader gives
            child_id = str(values["child_id"])
            record = by_row.setdefault(child_id, ChildRecord(child_id=child_id))
            merge_annex_row(record, list_number, values)
        columns = {key: [values[key] for values in block] for key in KEYS}
        merge_annex_block(by_block, list_number, KEYS, columns)
    assert _state(by_block) == _state(by_row)


def reference_records(path: Path) -> ReadResult:
    """annex_a_records as it was: a row at a time through merge_annex_row."""
    result = ReadResult(records={}, errors=[], rows=0, untouched=set())
    for row in read_annex_a(path, lists=POPULATION_LISTS):
        result.rows += 1
        child_id = row.values.get("child_id")
        if not child_id:
            result.errors.append(
                RowError(row.sheet, row.row_number, "Child Unique ID", "The child ID is blank.")
            )
            continue
        if row.errors:
            result.errors.extend(
                RowError(c.sheet, c.row_number, c.column, c.message) for c in row.errors
            )
            result.untouched.add(str(child_id))
            continue
        record = result.records.setdefault(str(child_id), ChildRecord(child_id=str(child_id)))
        merge_annex_row(record, row.list_number, row.values)
    return result


def _compared(read: ReadResult) -> tuple[object, ...]:
    return (_state(read.records), read.errors, read.rows, read.untouched)


def test_a_large_workbook_reads_into_the_same_records(tmp_path: Path) -> None:
    path = tmp_path / "annex-a.xlsx"
    write_annex_a(path, rows=6_000)
    read = annex_a_records(path)
    assert len(read.records) >= 3_000 and read.rows > 4_000
    assert _compared(read) == _compared(reference_records(path))


def _trap_workbook(path: Path) -> Path:
    """Blank child IDs, cells that do not clean, closed episodes and a child on every
    list, over more than one block of rows."""
    cin_rows = [
        sheets.cin(
            f"T{i}", team="Team A", status="c) Child in need plan" if i % 7 else "e) Closed episode"
        )
        for i in range(5_000)
    ]
    cin_rows[10][0] = None
    cin_rows[4_500][sheets.LIST_6.index("Date of Birth")] = "31/02/2019"  # no such date
    return sheets.write_workbook(
        path,
        {
            "List 6": (sheets.LIST_6, cin_rows),
            "List 7": (sheets.LIST_7, [sheets.cp("T1", "Team B"), sheets.cp("T2", "Team B")]),
            "List 8": (sheets.LIST_8, [sheets.cla("T1", "Team C"), sheets.cla("Z9", "Team C")]),
            "List 9": (sheets.LIST_9, [sheets.care_leaver("T3", "Team D")]),
        },
    )


def test_rows_with_problems_are_reported_and_left_as_they_were(tmp_path: Path) -> None:
    path = _trap_workbook(tmp_path / "traps.xlsx")
    read = annex_a_records(path)
    assert [e.message for e in read.errors][:1] == ["The child ID is blank."]
    assert len(read.errors) == 2 and read.untouched == {"T4500"}
    assert list(read.records["T1"].open_sources) == [
        "child_in_need",
        "child_protection",
        "looked_after",
    ]
    assert _compared(read) == _compared(reference_records(path))


def _columns(case: Case) -> dict[str, Any]:
    return {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname not in ("id", "public_id", "created_at", "updated_at")
    }


@pytest.mark.django_db
def test_inserted_cases_are_those_the_orm_would_write(tmp_path: Path) -> None:
    path = tmp_path / "annex-a.xlsx"
    write_annex_a(path, rows=600)
    read = annex_a_records(path)
    snapshot_apply(acting_user=None, records=read.records.values())
    written = {case.child_id: _columns(case) for case in Case.objects.all()}
    assert len(written) > 200
    public_ids = set(Case.objects.values_list("public_id", flat=True))
    assert len(public_ids) == len(written)  # one new public ID for each case
    assert {public_id.version for public_id in public_ids} == {4}
    assert {public_id.variant for public_id in public_ids} == {uuid.RFC_4122}
    Case.objects.all().delete()
    Case.objects.bulk_create(Case(**values) for values in written.values())
    assert {case.child_id: _columns(case) for case in Case.objects.all()} == written


def _every_case() -> Iterator[tuple[object, ...]]:
    for case in Case.objects.order_by("child_id"):
        yield tuple(_columns(case).values())


@pytest.mark.django_db
def test_a_second_import_of_the_same_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "annex-a.xlsx"
    write_annex_a(path, rows=600)
    first = snapshot_apply(acting_user=None, records=annex_a_records(path).records.values())
    before = list(_every_case())
    again = snapshot_apply(acting_user=None, records=annex_a_records(path).records.values())
    assert sum(again.unchanged.values()) == sum(first.created.values()) > 200
    assert not again.updated and not again.created
    assert list(_every_case()) == before


@pytest.mark.django_db
def test_a_case_whose_details_hold_a_very_long_number_is_unchanged_by_the_same_file() -> None:
    # A messy "whole number" cell can hold more digits than 64 bits: read back as a
    # float, it would make the case look changed at every import.
    record = ChildRecord(child_id="C1", open_sources={"child_in_need": ("", "")})
    record.attributes = {"list_6": {"count": 2**70 + 1, "ratio": 1.5, "name": "Zoë"}}
    assert sum(snapshot_apply(acting_user=None, records=[record]).created.values()) == 1
    again = snapshot_apply(acting_user=None, records=[record])
    assert sum(again.unchanged.values()) == 1 and not again.updated
    assert Case.objects.get().attributes == record.attributes


def test_json_orjson_will_not_write_is_written_by_the_json_module() -> None:
    value = {"list_6": {"count": 2**70, "name": "Zoë", "when": "2026-12-01"}}
    assert json.loads(_json_text(value)) == value


def test_the_cycle_collector_runs_again_after_an_import_even_one_that_fails() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the file could not be read")
    assert gc.isenabled()
