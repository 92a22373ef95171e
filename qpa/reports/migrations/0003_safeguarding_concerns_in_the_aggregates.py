"""The report's safeguarding count is read from the aggregates (decision 0132): each
overall row counts, among its audits, those whose auditor answered "no" or "not sure" to
"Is the child safe now?". The rows already counted gain their concerns here, from the
audits `CountedAudit` says they count, keyed as `qpa.reports.counting` keys them (frozen
here, as a migration must be)."""

from collections import Counter

from django.db import migrations, models

ALL = 0
NOT_RECORDED = -1
OVERALL = ""
CONCERNS = ["no", "not_sure"]


def count_concerns(apps, schema_editor):  # type: ignore[no-untyped-def]
    Audit = apps.get_model("audits", "Audit")
    CountedAudit = apps.get_model("reports", "CountedAudit")
    ReportCount = apps.get_model("reports", "ReportCount")
    where = {
        audit_id: (tool_id, month)
        for audit_id, tool_id, month in CountedAudit.objects.values_list(
            "audit_id", "tool_id", "month"
        )
    }
    concerns: Counter = Counter()
    audits = Audit.objects.filter(pk__in=list(where), child_safe__in=CONCERNS).values_list(
        "pk",
        "service_area_id",
        "team_id",
        "allocation__sampled_case__cycle_id",
        "agreed_at",
        "agreed_overall_rating_id",
        "overall_rating_id",
    )
    for pk, area_id, team_id, cycle_id, agreed_at, agreed_id, own_id in audits:
        tool_id, month = where[pk]
        rating_id = agreed_id if agreed_at is not None else own_id
        area = area_id if area_id is not None else NOT_RECORDED
        places = [(ALL, ALL), (area, ALL)] + ([(area, team_id)] if team_id is not None else [])
        cycles = [ALL] if cycle_id is None else [ALL, cycle_id]
        for a, t in places:
            for c in cycles:
                concerns[(tool_id, month, a, t, c, rating_id)] += 1
    for (tool_id, month, a, t, c, rating_id), n in concerns.items():
        ReportCount.objects.filter(
            tool_id=tool_id,
            month=month,
            service_area_key=a,
            team_key=t,
            cycle_key=c,
            domain=OVERALL,
            rating_id=rating_id,
            count__gte=n,
        ).update(concerns=n)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_overall_count_without_rating"),
        ("audits", "0005_safety_question_and_consistency_reason"),
        ("cycles", "0001_sampling_plans_cycles_samples_allocations"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportcount",
            name="concerns",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="reportcount",
            constraint=models.CheckConstraint(
                condition=models.Q(("concerns__lte", models.F("count"))),
                name="report_concerns_within_count",
            ),
        ),
        migrations.RunPython(count_concerns, migrations.RunPython.noop),
    ]
