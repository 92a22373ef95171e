"""Benchmarking between councils: figures alone, small numbers suppressed, no
identifiers. The format is documented in docs/reports.md, "Benchmarking file"."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

FORMAT = "qpa-benchmark"
VERSION = 1
MAX_BYTES = 1_000_000
MAX_TEXT = 200
# The format nests three deep (the file, a list, a row); anything deeper is not ours, and
# Python's parser would recurse until it failed.
MAX_DEPTH = 8
MAX_COUNT = 10**9
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def benchmark_document(*, summary: dict[str, Any], council: str) -> dict[str, Any]:
    """The shareable figures of a summary built with `suppress=True`."""
    if not summary["suppression"]["applied"]:
        raise ValueError("A benchmarking file is built from a suppressed summary.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "council": council,
        "tool": summary["tool"],
        "scale": [r["rating"] for r in summary["ratings_key"]],
        "period": dict(summary["period"]),
        "suppression_threshold": summary["suppression"]["threshold"],
        "audits_completed": summary["audits_completed"],
        "overall": [
            {"rating": r["rating"], "count": r["count"], "percent": r["percent"]}
            for r in summary["overall"]
        ],
        "domains": [
            {
                "domain": d["domain"],
                "rated": d["rated"],
                "good_or_better_percent": d["good_or_better_percent"],
                "inadequate_or_worse_percent": d["inadequate_or_worse_percent"],
            }
            for d in summary["domains"]
        ],
    }


def _fail(message: str) -> ValidationError:
    return ValidationError({"file": f"The file is not a QPA benchmarking file: {message}"})


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise _fail(f"{what} must be text of at most {MAX_TEXT} characters.")
    return value.strip()


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _fail(f"{what} must be a whole number from 0 to {MAX_COUNT:,}, or null.")
    return int(value)


def _percent(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise _fail(f"{what} must be a percentage between 0 and 100, or null.")
    return float(value)


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if not isinstance(value, list) or len(value) > limit:
        raise _fail(f"{what} must be a list of at most {limit} entries.")
    return value


def _rows(value: Any, what: str, limit: int) -> list[dict[str, Any]]:
    rows = _list(value, what, limit)
    if not all(isinstance(row, dict) for row in rows):
        raise _fail(f'each entry of {what} must be an object, like {{"rating": "Good"}}.')
    return rows


def _depth(text: str) -> int:
    """How deeply the JSON text nests arrays and objects, counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
    return deepest


def parse(content: bytes) -> dict[str, Any]:
    """Check a benchmarking file and return its figures, cleaned; ValidationError if not."""
    if len(content) > MAX_BYTES:
        raise _fail("it is larger than 1 MB.")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("it is not JSON.") from None
    if _depth(text) > MAX_DEPTH:
        raise _fail(f"it nests lists or objects more than {MAX_DEPTH} deep.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # JSONDecodeError is a ValueError; so are numbers of thousands of digits.
        raise _fail("it is not JSON.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _fail(f'its "format" is not "{FORMAT}".')
    if data.get("version") != VERSION:
        raise _fail(f"its version is not {VERSION}.")
    period = data.get("period")
    if not isinstance(period, dict):
        raise _fail('it has no "period".')
    try:
        first = date.fromisoformat(str(period.get("from")))
        last = date.fromisoformat(str(period.get("to")))
    except ValueError:
        raise _fail("its period's dates are not dates like 2026-10-01.") from None
    if first > last:
        raise _fail("its period ends before it starts.")
    threshold = _count(data.get("suppression_threshold"), "suppression_threshold")
    if threshold is None or threshold < 5:
        raise _fail("small numbers were not suppressed (suppression_threshold under 5).")
    overall: list[dict[str, Any]] = [
        {
            "rating": _text(row.get("rating"), "A rating"),
            "count": _count(row.get("count"), "A count"),
            "percent": _percent(row.get("percent"), "A percentage"),
        }
        for row in _rows(data.get("overall"), "overall", 20)
    ]
    domains: list[dict[str, Any]] = [
        {
            "domain": _text(row.get("domain"), "A domain"),
            "rated": _count(row.get("rated"), "rated"),
            "good_or_better_percent": _percent(
                row.get("good_or_better_percent"), "good_or_better_percent"
            ),
            "inadequate_or_worse_percent": _percent(
                row.get("inadequate_or_worse_percent"), "inadequate_or_worse_percent"
            ),
        }
        for row in _rows(data.get("domains"), "domains", 100)
    ]
    smalls: list[int | None] = [r["count"] for r in overall] + [d["rated"] for d in domains]
    for small in smalls:
        if small is not None and 0 < small < threshold:
            raise _fail(f"it holds a number under {threshold}, which should have been suppressed.")
    return {
        "format": FORMAT,
        "version": VERSION,
        "council": _text(data.get("council"), "council"),
        "tool": _text(data.get("tool"), "tool"),
        "scale": [_text(r, "A rating") for r in _list(data.get("scale", []), "scale", 20)],
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "suppression_threshold": threshold,
        "audits_completed": _count(data.get("audits_completed"), "audits_completed"),
        "overall": overall,
        "domains": domains,
    }
