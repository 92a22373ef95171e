"""An overall count may have no rating: audits of a tool whose overall rating is optional
that have none are counted among the audits but in no overall rating (decision 0111)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_report_counts_key_messages_and_benchmarks"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="reportcount",
            name="report_overall_count_has_rating",
        ),
    ]
