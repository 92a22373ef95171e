"""A themed cycle may draw from its population without a sampling plan (decision 0112)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cycles", "0001_sampling_plans_cycles_samples_allocations"),
        ("tools", "0003_grading_descriptors_and_themed_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="cycle",
            name="sample_size",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="cycle",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cycles",
                to="cycles.samplingplan",
            ),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind", "themed"), ("plan__isnull", False), _connector="OR"),
                name="monthly_cycle_has_plan",
            ),
        ),
        migrations.AddConstraint(
            model_name="cycle",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("plan__isnull", True), ("sample_size__isnull", True), _connector="OR"
                ),
                name="sample_size_only_without_plan",
            ),
        ),
    ]
