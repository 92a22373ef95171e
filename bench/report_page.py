"""Benchmark: the report page, its Word briefing and its PDF at the demo council's size.

Builds the demo council (`qpa demo-data`, under the demo settings: about 540 audits over
eleven months) in a fresh SQLite database, signs in as the performance team, and times,
through Django's test client (the whole middleware stack, no network):

- the report page as a reader waits for it: the HTML and then every chart image it
  names, for the last full month (the page's default) and for the last twelve months;
- the HTML alone;
- the Word briefing and the PDF briefing of the twelve months;
- the floor, served the same way: `/health/`, a minimal view that asks the database
  one question.

Each is timed once with an empty chart cache ("cold": every chart drawn) and then
--repeat times with the charts cached ("warm"); figures are medians in milliseconds,
with ratios to the floor. The last line is one JSON object with every figure.

    .venv/bin/python bench/report_page.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(data_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.demo"
    os.environ["QPA_DATA_DIR"] = str(data_dir)
    os.environ["QPA_SQLITE_PATH"] = str(data_dir / "qpa.sqlite3")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("demo-data", verbosity=0)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="qpa-bench-report-"))
    try:
        started = time.perf_counter()
        setup(data_dir)
        print(f"demo council built in {time.perf_counter() - started:.1f} s", flush=True)
        results = run(args.repeat, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(results))


def run(repeat: int, data_dir: Path) -> dict[str, Any]:
    from django.core.cache import caches
    from django.test import Client
    from django.utils import timezone

    from qpa.accounts.models import User
    from qpa.audits.models import Audit

    client = Client()
    client.force_login(User.objects.get(username="performance"))
    this_month = timezone.localdate().replace(day=1)
    last_month = _months_back(this_month, 1)
    tool = "quality-of-practice"
    month_query = f"from={last_month:%Y-%m}&to={last_month:%Y-%m}&tool={tool}"
    year_query = f"from={_months_back(this_month, 12):%Y-%m}&to={last_month:%Y-%m}&tool={tool}"

    def get(url: str) -> bytes:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return bytes(response.content)

    def page(query: str) -> Callable[[], int]:
        def load() -> int:
            html = get(f"/reports/?{query}").decode()
            images = re.findall(r'src="(/reports/chart/[^"]+)"', html)
            if not images:
                raise SystemExit("The report page names no chart.")
            for src in images:
                get(src.replace("&amp;", "&"))
            return len(images)

        return load

    measures: dict[str, Callable[[], Any]] = {
        "floor /health/": lambda: get("/health/"),
        "report page, last month (HTML and its charts)": page(month_query),
        "report page, last 12 months (HTML and its charts)": page(year_query),
        "report page HTML alone, last 12 months": lambda: get(f"/reports/?{year_query}"),
        "Word briefing, last 12 months": lambda: get(f"/reports/export.docx?{year_query}"),
        "PDF briefing, last 12 months": lambda: get(f"/reports/export.pdf?{year_query}"),
    }
    get("/health/")  # the first request imports what the rest use
    cold: dict[str, float] = {}
    for name, measure in measures.items():
        caches["charts"].clear()
        started = time.perf_counter()
        measure()
        cold[name] = (time.perf_counter() - started) * 1000
    warm: dict[str, float] = {}
    for name, measure in measures.items():
        measure()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            measure()
            times.append((time.perf_counter() - started) * 1000)
        warm[name] = statistics.median(times)

    floor = warm["floor /health/"]
    print(f"\n{'request':52} {'cold ms':>9} {'warm ms':>9} {'warm / floor':>13}")
    for name in measures:
        print(f"{name:52} {cold[name]:9.1f} {warm[name]:9.1f} {warm[name] / floor:13.1f}")
    return {
        "benchmark": "report_page",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
        "audits": Audit.objects.count(),
        "repeat": repeat,
        "cold_ms": {k: round(v, 1) for k, v in cold.items()},
        "warm_median_ms": {k: round(v, 1) for k, v in warm.items()},
        "warm_ratio_to_floor": {k: round(v / floor, 1) for k, v in warm.items()},
        "charts_per_page": page(year_query)(),
        "data_dir": str(data_dir),
    }


if __name__ == "__main__":
    main()
