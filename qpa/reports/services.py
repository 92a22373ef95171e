"""Writes of the reports app: the aggregates, key messages and benchmarking files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qpa.accounts.models import User
from qpa.audits.blind import counted_with
from qpa.core.events import event_record
from qpa.reports import benchmarking
from qpa.reports.counting import (
    OVERALL_FIGURES,
    counted_audits,
    month_audits,
    month_counts,
    month_of,
)
from qpa.reports.models import BenchmarkFile, CountedAudit, KeyMessages, ReportCount

_CHUNK = 500


def report_aggregates_refresh(*, audit_ids: Iterable[int], **_: Any) -> int:
    """Recount, from scratch, every tool and month these audits are counted in now or
    were counted in before (a changed date, a reopened or deleted audit). Call it in the
    transaction that changed the audits; apps below reports send
    `qpa.audits.signals.counted_ratings_changed`, which calls it. Returns the number of
    months recounted."""
    ids = sorted(set(audit_ids))
    # A moderator's audit submitted or reopened starts or stops its first audit counting.
    ids = sorted({*ids, *counted_with(ids)})
    months: set[tuple[int, date]] = set()
    with transaction.atomic():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            months.update(
                CountedAudit.objects.filter(audit_id__in=chunk).values_list("tool_id", "month")
            )
            for tool_id, day in (
                counted_audits()
                .filter(id__in=chunk)
                .values_list("tool_version__tool_id", "audit_date")
            ):
                if day is not None:
                    months.add((tool_id, month_of(day)))
            CountedAudit.objects.filter(audit_id__in=chunk).delete()
        for tool_id, month in sorted(months):
            _recount(tool_id, month)
    return len(months)


def report_aggregates_rebuild() -> int:
    """Throw every aggregate away and count every month again (`qpa report
    rebuild-aggregates`). Returns the number of months counted."""
    with transaction.atomic():
        ReportCount.objects.all().delete()
        CountedAudit.objects.all().delete()
        months = sorted(
            counted_audits()
            .annotate(month=TruncMonth("audit_date"))
            .values_list("tool_version__tool_id", "month")
            .distinct()
            .order_by()
        )
        for tool_id, month in months:
            _recount(tool_id, month_of(month))
    return len(months)


def _recount(tool_id: int, month: date) -> None:
    ReportCount.objects.filter(tool_id=tool_id, month=month).delete()
    CountedAudit.objects.filter(tool_id=tool_id, month=month).delete()
    audits = month_audits(tool_id, month)
    # An audit that moved here without a refresh of its old month: recount it here.
    CountedAudit.objects.filter(audit_id__in=audits.values("id")).delete()
    counts, figures = month_counts(tool_id, month)
    ReportCount.objects.bulk_create(
        (
            ReportCount(
                tool_id=key[0],
                month=key[1],
                service_area_key=key[2],
                team_key=key[3],
                cycle_key=key[4],
                domain=key[5],
                rating_id=key[6],
                count=n,
                **{name: figures[name].get(key, 0) for name in OVERALL_FIGURES},
            )
            for key, n in counts.items()
        ),
        batch_size=2000,
    )
    CountedAudit.objects.bulk_create(
        (
            CountedAudit(audit_id=audit_id, tool_id=tool_id, month=month)
            for audit_id in audits.values_list("id", flat=True)
        ),
        batch_size=2000,
    )


# --- Key messages --------------------------------------------------------------------

MAX_KEY_MESSAGES = 5000


def key_messages_save(*, acting_user: User, parameters: str, text: str) -> KeyMessages:
    """Save the performance team's edit of a report's key messages."""
    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise ValidationError({"text": "Enter the key messages."})
    if len(text) > MAX_KEY_MESSAGES:
        raise ValidationError(
            {"text": f"Key messages must be {MAX_KEY_MESSAGES:,} characters or fewer."}
        )
    with transaction.atomic():
        messages, created = KeyMessages.objects.get_or_create(
            parameters=parameters,
            defaults={
                "text": text,
                "edited_by": acting_user,
                "edited_at": timezone.now(),
                "created_by": acting_user,
                "updated_by": acting_user,
            },
        )
        if not created:
            messages.text = text
            messages.edited_by = acting_user
            messages.edited_at = timezone.now()
            messages.updated_by = acting_user
            messages.save()
        event_record(
            action="report.key_messages_saved",
            actor=acting_user,
            obj=messages,
            data={"parameters": parameters[:300]},
        )
    return messages


# --- Benchmarking files --------------------------------------------------------------


def benchmark_file_import(*, acting_user: User, content: bytes, file_name: str) -> BenchmarkFile:
    """Store another council's benchmarking file after checking it against the format."""
    figures: Any = benchmarking.parse(content)
    digest = hashlib.sha256(content).hexdigest()
    if BenchmarkFile.objects.filter(sha256=digest).exists():
        raise ValidationError({"file": "That file has already been imported."})
    with transaction.atomic():
        stored = BenchmarkFile.objects.create(
            council=figures["council"],
            tool=figures["tool"],
            period_from=date.fromisoformat(figures["period"]["from"]),
            period_to=date.fromisoformat(figures["period"]["to"]),
            figures=json.loads(json.dumps(figures)),
            file_name=file_name[:255],
            sha256=digest,
            created_by=acting_user,
            updated_by=acting_user,
        )
        event_record(
            action="report.benchmark_imported",
            actor=acting_user,
            obj=stored,
            data={"council": stored.council[:200], "sha256": digest},
        )
    return stored


def benchmark_file_delete(*, acting_user: User, benchmark: BenchmarkFile) -> None:
    with transaction.atomic():
        event_record(
            action="report.benchmark_deleted",
            actor=acting_user,
            obj=benchmark,
            data={"council": benchmark.council[:200]},
        )
        benchmark.delete()
