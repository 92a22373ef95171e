"""Benchmark: importing a 100,000-row Annex A workbook.

Generates the workbook, then measures, each in a fresh process and a fresh SQLite
database, the whole import (`annex_a_import`: read, clean, validate, write the cases)
and the floor: merely reading every cell of the same file with the fastest reader
available (python-calamine, Rust). Also times the reader alone (`AnnexAReader.blocks`
over the four lists an import reads: recognise, load, clean every cell), the import less
its writes (`annex_a_records`: the reader, then one record per child), the same file
imported again into the database the first import filled (next month's file is mostly
the same children: every case compared, none changed), and openpyxl's read for
comparison. Prints medians, the ratios to the floor measured in the same run, the
import's peak resident memory and the load average of the machine while it ran (other
work beside it slows every figure); the last line is one JSON object with the figures.

With ``--postgres URL`` (a server QPA may create databases on, such as
postgres://postgres@127.0.0.1:5432/postgres) the import is also measured on PostgreSQL,
each run in a fresh database made from a migrated template, and the figures carry
``import_postgres_*`` beside SQLite's.

Try a smaller file first (``--rows 10000 --repeat 1``): the full run takes a minute or
two on two cores.

    .venv/bin/python bench/import_annex_a.py [--rows 100000] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _django(db: Path | str) -> None:
    """Django on a SQLite file, or on the PostgreSQL database a URL names."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    if str(db).startswith("postgres"):
        os.environ["DATABASE_URL"] = str(db)
    else:
        os.environ["QPA_SQLITE_PATH"] = str(db)
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def child_migrate(db: Path | str) -> dict[str, float]:
    _django(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {}


def copy_database(source: Path, target: Path) -> None:
    """A WAL database is copied with SQLite's backup API, never as a file."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def child_import(db: Path | str, workbook: Path) -> dict[str, float]:
    _django(db)
    from django.db import connection

    from qpa.cases.imports import annex_a_import

    connection.ensure_connection()
    started = time.perf_counter()
    outcome = annex_a_import(acting_user=None, path=workbook, valid_rows_only=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "rows": outcome.rows,
        "cases": outcome.summary.get("created", 0),
        "errors": len(outcome.errors),
    }


def child_read(workbook: Path) -> dict[str, float]:
    """The reader as the import uses it: every cell of the four lists cleaned, in blocks
    of rows a column at a time."""
    sys.path.insert(0, str(ROOT))
    from qpa.cases.tabular.readers import AnnexAReader

    population_lists = {6, 7, 8, 9}  # qpa.cases.imports.POPULATION_LISTS, without Django
    started = time.perf_counter()
    with AnnexAReader(workbook) as reader:
        rows = sum(len(block) for block in reader.blocks(lists=population_lists))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_mb}


def child_records(db: Path, workbook: Path) -> dict[str, float]:
    """Read and turn the rows into one record per child, writing nothing: the import
    less its writes."""
    _django(db)
    from qpa.cases.imports import annex_a_records

    started = time.perf_counter()
    read = annex_a_records(workbook)
    return {"seconds": time.perf_counter() - started, "children": len(read.records)}


def child_floor(workbook: Path) -> dict[str, float]:
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(str(workbook))
    cells = 0
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).iter_rows():
            cells += len(row)
    return {"seconds": time.perf_counter() - started, "cells": cells}


def child_openpyxl(workbook: Path) -> dict[str, float]:
    from openpyxl import load_workbook

    started = time.perf_counter()
    book = load_workbook(workbook, read_only=True, data_only=True)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    return {"seconds": time.perf_counter() - started, "cells": cells}


def _postgres(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE and DROP DATABASE need that)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _database_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def _run_child(*args: str) -> dict[str, float]:
    # Our own script with our own arguments: each measurement in a fresh process.
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL server's URL, to measure there too")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        paths = [Path(p) for p in rest]
        result = {
            "migrate": lambda: child_migrate(paths[0]),
            "migrate-postgres": lambda: child_migrate(rest[0]),
            "import": lambda: child_import(paths[0], paths[1]),
            "import-postgres": lambda: child_import(rest[0], paths[1]),
            "floor": lambda: child_floor(paths[0]),
            "read": lambda: child_read(paths[0]),
            "records": lambda: child_records(paths[0], paths[1]),
            "openpyxl": lambda: child_openpyxl(paths[0]),
        }[kind]()
        print(json.dumps(result))
        return

    sys.path.insert(0, str(ROOT))
    from bench.annex_a_workbook import write_annex_a

    with tempfile.TemporaryDirectory(prefix="qpa-bench-") as folder:
        work = Path(folder)
        workbook = work / "annex-a.xlsx"
        started = time.perf_counter()
        write_annex_a(workbook, rows=args.rows)
        print(
            f"generated {args.rows:,} rows ({workbook.stat().st_size / 2**20:.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        template = work / "template.sqlite3"
        _run_child("migrate", str(template))
        postgres_template = f"qpa_bench_template_{os.getpid()}"
        if args.postgres:
            _postgres(args.postgres, f"CREATE DATABASE {postgres_template}")
            _run_child("migrate-postgres", _database_url(args.postgres, postgres_template))
        imports, floors, reads, records, openpyxls = [], [], [], [], []
        postgres_imports, reimports = [], []
        loads = [os.getloadavg()[0]]
        for attempt in range(args.repeat):
            floors.append(_run_child("floor", str(workbook)))
            reads.append(_run_child("read", str(workbook)))
            records.append(_run_child("records", str(template), str(workbook)))
            openpyxls.append(_run_child("openpyxl", str(workbook)))
            db = work / f"run{attempt}.sqlite3"
            copy_database(template, db)
            imports.append(_run_child("import", str(db), str(workbook)))
            # The same file again, as next month's file mostly is: every case unchanged.
            reimports.append(_run_child("import", str(db), str(workbook)))
            if args.postgres:
                run = f"qpa_bench_run_{os.getpid()}"
                _postgres(args.postgres, f"CREATE DATABASE {run} TEMPLATE {postgres_template}")
                try:
                    postgres_imports.append(
                        _run_child(
                            "import-postgres", _database_url(args.postgres, run), str(workbook)
                        )
                    )
                finally:
                    _postgres(args.postgres, f"DROP DATABASE {run}")
            loads.append(os.getloadavg()[0])
            print(
                f"run {attempt + 1}: import {imports[-1]['seconds']:.2f} s, "
                f"again, unchanged {reimports[-1]['seconds']:.2f} s, "
                f"calamine read {floors[-1]['seconds']:.2f} s, "
                f"reader alone {reads[-1]['seconds']:.2f} s, "
                f"rows to children {records[-1]['seconds']:.2f} s, "
                f"openpyxl read {openpyxls[-1]['seconds']:.2f} s"
                + (
                    f", import on PostgreSQL {postgres_imports[-1]['seconds']:.2f} s"
                    if postgres_imports
                    else ""
                ),
                file=sys.stderr,
            )
        if args.postgres:
            _postgres(args.postgres, f"DROP DATABASE {postgres_template}")
    import_s = statistics.median(r["seconds"] for r in imports)
    floor_s = statistics.median(r["seconds"] for r in floors)
    openpyxl_s = statistics.median(r["seconds"] for r in openpyxls)
    read_s = statistics.median(r["seconds"] for r in reads)
    records_s = statistics.median(r["seconds"] for r in records)
    reimport_s = statistics.median(r["seconds"] for r in reimports)
    postgres_s = statistics.median(r["seconds"] for r in postgres_imports or [{"seconds": 0}])
    figures = {
        "benchmark": "import_annex_a",
        "rows": args.rows,
        "repeat": args.repeat,
        "cases_created": imports[0]["cases"],
        "row_errors": imports[0]["errors"],
        "import_seconds_median": round(import_s, 3),
        "floor_read_seconds_median": round(floor_s, 3),
        "floor_reader": "python-calamine",
        "reader_seconds_median": round(read_s, 3),
        "ratio_reader_to_floor": round(read_s / floor_s, 2),
        "records_seconds_median": round(records_s, 3),
        "ratio_records_to_floor": round(records_s / floor_s, 2),
        "openpyxl_read_seconds_median": round(openpyxl_s, 3),
        "ratio_import_to_floor": round(import_s / floor_s, 2),
        "reimport_unchanged_seconds_median": round(reimport_s, 3),
        "ratio_reimport_to_floor": round(reimport_s / floor_s, 2),
        "peak_rss_mb_median": round(statistics.median(r["peak_mb"] for r in imports), 1),
        "goal": {"ratio_at_most": 2, "peak_rss_mb_at_most": 300},
        **(
            {
                "import_postgres_seconds_median": round(postgres_s, 3),
                "ratio_import_postgres_to_floor": round(postgres_s / floor_s, 2),
                "peak_rss_mb_postgres_median": round(
                    statistics.median(r["peak_mb"] for r in postgres_imports), 1
                ),
            }
            if postgres_imports
            else {}
        ),
        "load_average_1min": [round(load, 1) for load in loads],
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }
    print(
        f"import {import_s:.2f} s | floor (calamine read) {floor_s:.2f} s | ratio "
        f"{figures['ratio_import_to_floor']} | reader alone {read_s:.2f} s (ratio "
        f"{figures['ratio_reader_to_floor']}) | peak RSS {figures['peak_rss_mb_median']} MB"
        + (
            f" | on PostgreSQL {postgres_s:.2f} s (ratio "
            f"{figures['ratio_import_postgres_to_floor']})"
            if postgres_imports
            else ""
        )
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
