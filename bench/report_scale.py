"""Benchmark: the report summary at a region's scale, against DuckDB.

Generates, straight into a fresh SQLite database with bulk inserts, a region of 33
councils over five years (400,000 audits, about 4 million domain ratings), builds the
report aggregates, then times `report_summary` for one month, one year and all time,
and DuckDB computing the same figures from the same rows (loaded into DuckDB from CSV
files first; the load is not timed, the queries are). Does the same at 4,000 audits.
Medians of several runs; the last line is one JSON object with the figures and ratios.

    .venv/bin/python bench/report_scale.py [--audits 400000 4000] [--repeat 7]
"""

# Table names and SQL come from constants and models here, never from input.
# ruff: noqa: S608
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COUNCILS = 33
TEAMS_PER_COUNCIL = 10
YEARS = 5
FIRST_MONTH = date(2021, 1, 1)
MONTHS = YEARS * 12
OVERALL_WEIGHTS = [1, 63, 78, 35, 4]


def setup(db: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["QPA_SQLITE_PATH"] = str(db)
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _row_template(model: Any, given: list[str]) -> tuple[list[str], list[Any]]:
    """Every column of a model: the given ones first, then the rest at their defaults."""
    connection = _connection()
    with connection.cursor() as cursor:
        existing = {
            c.name
            for c in connection.introspection.get_table_description(cursor, model._meta.db_table)
        }
    fields = [
        f
        for f in model._meta.concrete_fields
        if f.column not in given and not f.primary_key and f.column in existing
    ]
    columns = given + [f.column for f in fields]
    defaults = []
    for f in fields:
        value = f.get_default()
        defaults.append(f.get_db_prep_save(value, connection=_connection()))
    return columns, defaults


def _connection() -> Any:
    from django.db import connection

    return connection


def _insert(model: Any, given: list[str], rows: list[tuple[Any, ...]]) -> None:
    columns, defaults = _row_template(model, given)
    table = model._meta.db_table
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    tail = tuple(defaults)
    with _connection().cursor() as cursor:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(sql, [row + tail for row in rows[start : start + 50_000]])


def generate(audits: int, seed: int, work: Path) -> dict[str, Any]:
    """Write the region's audits with bulk inserts; return what DuckDB needs too."""
    from django.db import transaction

    from qpa.audits.models import Audit, DomainRating
    from qpa.cases.models import Case
    from qpa.organisation.models import ServiceArea, Team
    from qpa.tools.models import AuditTool, Rating

    rng = random.Random(seed)
    tool = AuditTool.objects.get(slug="quality-of-practice")
    version = tool.current_version
    domains = list(
        version.domains.order_by("order").values_list("id", "name", "allows_not_applicable")
    )
    ratings = list(
        Rating.objects.filter(scale=tool.scale).order_by("rank").values_list("id", flat=True)
    )
    areas = list(ServiceArea.objects.order_by("order").values_list("id", flat=True))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        Team.objects.bulk_create(
            Team(name=f"Council {c + 1} team {t + 1}", service_area_id=areas[t % len(areas)])
            for c in range(COUNCILS)
            for t in range(TEAMS_PER_COUNCIL)
        )
        teams = list(Team.objects.order_by("id").values_list("id", "service_area_id"))
        case_count = max(audits // 4, 100)
        case_rows = []
        for n in range(case_count):
            team_id, area_id = teams[n % len(teams)]
            case_rows.append((f"R{n:07d}", uuid.uuid4().hex, now, now, team_id, area_id, "open"))
        _insert(
            Case,
            [
                "child_id",
                "public_id",
                "created_at",
                "updated_at",
                "team_id",
                "service_area_id",
                "status",
            ],
            case_rows,
        )
        case_ids = list(Case.objects.order_by("id").values_list("id", "team_id", "service_area_id"))
        audit_rows = []
        audit_facts = []
        for n in range(audits):
            case_id, team_id, area_id = case_ids[rng.randrange(len(case_ids))]
            month = n * MONTHS // audits
            day = date(FIRST_MONTH.year + month // 12, month % 12 + 1, rng.randrange(1, 29))
            overall = ratings[rng.choices(range(5), weights=OVERALL_WEIGHTS)[0]]
            audit_rows.append(
                (
                    uuid.uuid4().hex,
                    now,
                    now,
                    case_id,
                    version.pk,
                    "submitted",
                    "imported",
                    area_id,
                    team_id,
                    day.isoformat(),
                    now,
                    overall,
                )
            )
            audit_facts.append((day, area_id, team_id, overall))
        _insert(
            Audit,
            [
                "public_id",
                "created_at",
                "updated_at",
                "case_id",
                "tool_version_id",
                "status",
                "source",
                "service_area_id",
                "team_id",
                "audit_date",
                "submitted_at",
                "overall_rating_id",
            ],
            audit_rows,
        )
        audit_ids = list(Audit.objects.order_by("id").values_list("id", flat=True))
        rating_rows = []
        for audit_id, (_, _, _, overall) in zip(audit_ids, audit_facts, strict=True):
            rank = ratings.index(overall)
            for domain_id, _, allows_na in domains:
                if allows_na and rng.random() < 0.15:
                    rating_rows.append((audit_id, domain_id, None, True))
                else:
                    r = max(0, min(4, rank + rng.choice((-1, 0, 0, 1))))
                    rating_rows.append((audit_id, domain_id, ratings[r], False))
        _insert(DomainRating, ["audit_id", "domain_id", "rating_id", "not_applicable"], rating_rows)
    # The same rows as CSV files for DuckDB.
    audits_csv, ratings_csv = work / "audits.csv", work / "ratings.csv"
    with audits_csv.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["id", "tool_id", "audit_date", "service_area_id", "team_id", "overall_rating_id"]
        )
        for audit_id, (day, area_id, team_id, overall) in zip(audit_ids, audit_facts, strict=True):
            writer.writerow([audit_id, tool.pk, day.isoformat(), area_id, team_id, overall])
    with ratings_csv.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["audit_id", "domain_id", "rating_id", "not_applicable"])
        for row in rating_rows:
            writer.writerow([row[0], row[1], "" if row[2] is None else row[2], int(row[3])])
    return {
        "tool": tool,
        "domains": {d[0]: d[1] for d in domains},
        "audits_csv": audits_csv,
        "ratings_csv": ratings_csv,
        "domain_ratings": len(rating_rows),
    }


def duckdb_connection(data: dict[str, Any]) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE audits AS SELECT * FROM read_csv('{data['audits_csv']}', header=true,"
        " columns={'id': 'BIGINT', 'tool_id': 'BIGINT', 'audit_date': 'DATE',"
        " 'service_area_id': 'BIGINT', 'team_id': 'BIGINT', 'overall_rating_id': 'BIGINT'})"
    )
    con.execute(
        f"CREATE TABLE ratings AS SELECT * FROM read_csv('{data['ratings_csv']}', header=true,"
        " columns={'audit_id': 'BIGINT', 'domain_id': 'BIGINT', 'rating_id': 'BIGINT',"
        " 'not_applicable': 'INTEGER'})"
    )
    con.execute(
        "CREATE TABLE domains (id BIGINT, name VARCHAR)",
    )
    con.executemany("INSERT INTO domains VALUES (?, ?)", list(data["domains"].items()))
    return con


def duckdb_summary(con: Any, tool_id: int, first: date, last: date) -> dict[str, Any]:
    """The figures report_summary returns, computed by DuckDB from the raw rows."""
    where = "a.tool_id = ? AND a.audit_date BETWEEN ? AND ?"
    args = [tool_id, first, last]
    monthly = con.execute(
        f"SELECT date_trunc('month', a.audit_date) AS m, a.overall_rating_id, count(*)"
        f" FROM audits a WHERE {where} GROUP BY ALL",
        args,
    ).fetchall()
    domains = con.execute(
        f"SELECT d.name, r.rating_id, count(*) FROM ratings r JOIN audits a ON a.id = r.audit_id"
        f" JOIN domains d ON d.id = r.domain_id WHERE {where} GROUP BY ALL",
        args,
    ).fetchall()
    areas = con.execute(
        f"SELECT a.service_area_id, count(*) FROM audits a WHERE {where} GROUP BY ALL", args
    ).fetchall()
    overall: dict[int, int] = {}
    for _, rating_id, n in monthly:
        overall[rating_id] = overall.get(rating_id, 0) + n
    return {
        "audits_completed": sum(overall.values()),
        "overall": overall,
        "domains": {(name, rating): n for name, rating, n in domains},
        "by_service_area": dict(areas),
    }


def median_ms(fn: Any, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def run_size(audits: int, repeat: int) -> dict[str, Any]:
    from django.db import connections

    from qpa.reports.services import report_aggregates_rebuild
    from qpa.reports.summary import report_summary

    work = Path(tempfile.mkdtemp(prefix=f"qpa-report-{audits}-"))
    db = work / "qpa.sqlite3"
    for conn in connections.all():
        conn.close()
    connections["default"].settings_dict["NAME"] = str(db)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    data = generate(audits, seed=audits, work=work)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    report_aggregates_rebuild()
    aggregated = time.perf_counter() - started
    con = duckdb_connection(data)
    last_month = date(FIRST_MONTH.year + (MONTHS - 1) // 12, (MONTHS - 1) % 12 + 1, 1)
    periods = {
        "month": (last_month, last_month),
        "year": (date(last_month.year, 1, 1), last_month),
        "all_time": (FIRST_MONTH, last_month),
    }
    from qpa.reports.counting import month_end

    figures: dict[str, Any] = {
        "audits": audits,
        "domain_ratings": data["domain_ratings"],
        "generate_s": round(generated, 1),
        "aggregate_s": round(aggregated, 1),
    }
    tool = data["tool"]
    for name, (first, last) in periods.items():
        ours = report_summary(period_from=first, period_to=last, tool=tool)
        theirs = duckdb_summary(con, tool.pk, first, month_end(last))
        # Same data, same answer.
        if ours["audits_completed"] != theirs["audits_completed"]:
            raise SystemExit(
                f"{name}: QPA {ours['audits_completed']} != DuckDB {theirs['audits_completed']}"
            )
        qpa_ms = median_ms(
            lambda f=first, t=last: report_summary(period_from=f, period_to=t, tool=tool), repeat
        )
        duck_ms = median_ms(
            lambda f=first, t=last: duckdb_summary(con, tool.pk, f, month_end(t)), repeat
        )
        figures[name] = {
            "audits_in_period": ours["audits_completed"],
            "qpa_ms": qpa_ms,
            "duckdb_ms": duck_ms,
            "qpa_over_duckdb": round(qpa_ms / duck_ms, 3),
        }
        print(
            f"{audits:>7} audits, {name:>8}: {ours['audits_completed']:>7} in period;"
            f" QPA {qpa_ms:8.2f} ms, DuckDB {duck_ms:8.2f} ms, ratio {qpa_ms / duck_ms:.3f}",
            flush=True,
        )
    con.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--audits", type=int, nargs="+", default=[400_000, 4_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    setup(Path(tempfile.mkdtemp(prefix="qpa-report-setup-")) / "setup.sqlite3")
    import duckdb

    results = [run_size(n, args.repeat) for n in args.audits]
    out: dict[str, Any] = {
        "benchmark": "report_scale",
        "machine": (
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs,"
            f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
            f" DuckDB {duckdb.__version__}"
        ),
        "repeat": args.repeat,
        "sizes": results,
    }
    if len(results) >= 2:
        big, small = results[0], results[-1]
        out["flatness_qpa_big_over_small"] = {
            p: round(big[p]["qpa_ms"] / small[p]["qpa_ms"], 2)
            for p in ("month", "year", "all_time")
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
