"""The report's child's voice and family's view figures are read from the aggregates
(decision 0132): each overall row counts, among its audits, those that answered the
tool's questions about the child (the family) and those where it is evident — at least
one yes, no "no" and nothing "not recorded". Rows already counted gain them here, from
the audits `CountedAudit` says they count, keyed as `qpa.reports.counting` keys them
(frozen here, as a migration must be)."""

from collections import Counter

from django.db import migrations, models

ALL = 0
NOT_RECORDED = -1
OVERALL = ""
THEMES = {"child": "child", "family": "family"}  # VoiceQuestion.about -> column prefix
SHORT = {"no", "not_recorded"}


def count_voice(apps, schema_editor):  # type: ignore[no-untyped-def]
    Audit = apps.get_model("audits", "Audit")
    VoiceAnswer = apps.get_model("audits", "VoiceAnswer")
    CountedAudit = apps.get_model("reports", "CountedAudit")
    ReportCount = apps.get_model("reports", "ReportCount")
    where = {
        audit_id: (tool_id, month)
        for audit_id, tool_id, month in CountedAudit.objects.values_list(
            "audit_id", "tool_id", "month"
        )
    }
    given: dict[tuple[int, str], list[str]] = {}
    for audit_id, about, answer in (
        VoiceAnswer.objects.filter(audit_id__in=list(where))
        .exclude(answer="")
        .values_list("audit_id", "question__about", "answer")
    ):
        if about in THEMES:
            given.setdefault((audit_id, THEMES[about]), []).append(answer)
    audits = {
        row[0]: row[1:]
        for row in Audit.objects.filter(pk__in={a for a, _ in given}).values_list(
            "pk",
            "service_area_id",
            "team_id",
            "allocation__sampled_case__cycle_id",
            "agreed_at",
            "agreed_overall_rating_id",
            "overall_rating_id",
        )
    }
    figures: Counter = Counter()
    for (audit_id, theme), answers in given.items():
        area_id, team_id, cycle_id, agreed_at, agreed_id, own_id = audits[audit_id]
        tool_id, month = where[audit_id]
        rating_id = agreed_id if agreed_at is not None else own_id
        evident = "yes" in answers and not SHORT & set(answers)
        area = area_id if area_id is not None else NOT_RECORDED
        places = [(ALL, ALL), (area, ALL)] + ([(area, team_id)] if team_id is not None else [])
        cycles = [ALL] if cycle_id is None else [ALL, cycle_id]
        for a, t in places:
            for c in cycles:
                key = (tool_id, month, a, t, c, rating_id)
                figures[(*key, f"{theme}_asked")] += 1
                figures[(*key, f"{theme}_evident")] += evident
    rows: dict[tuple, dict[str, int]] = {}
    for (*key, column), n in figures.items():
        rows.setdefault(tuple(key), {})[column] = n
    for (tool_id, month, a, t, c, rating_id), columns in rows.items():
        ReportCount.objects.filter(
            tool_id=tool_id,
            month=month,
            service_area_key=a,
            team_key=t,
            cycle_key=c,
            domain=OVERALL,
            rating_id=rating_id,
        ).update(**columns)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_safeguarding_concerns_in_the_aggregates"),
        ("audits", "0007_voice_answers_and_recommended_actions"),
        ("tools", "0004_questions_about_the_childs_voice"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportcount",
            name="child_asked",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="reportcount",
            name="child_evident",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="reportcount",
            name="family_asked",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="reportcount",
            name="family_evident",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddConstraint(
            model_name="reportcount",
            constraint=models.CheckConstraint(
                condition=models.Q(child_asked__lte=models.F("count"))
                & models.Q(child_evident__lte=models.F("child_asked"))
                & models.Q(family_asked__lte=models.F("count"))
                & models.Q(family_evident__lte=models.F("family_asked")),
                name="report_voice_within_count",
            ),
        ),
        migrations.RunPython(count_voice, migrations.RunPython.noop),
    ]
