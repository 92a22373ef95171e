"""Grading descriptors per domain and rating, an optional overall rating per tool version,
and the themed tool as the briefing ran it (decision 0110)."""

import django.db.models.deletion
from django.db import migrations, models

from qpa.tools.seed import seed_descriptors, unseed_descriptors


class Migration(migrations.Migration):
    dependencies = [
        ("tools", "0002_seed_scales_and_tools"),
    ]

    operations = [
        migrations.AddField(
            model_name="toolversion",
            name="overall_rating_optional",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="RatingDescriptor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.TextField()),
                (
                    "domain",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="descriptors",
                        to="tools.domain",
                    ),
                ),
                (
                    "rating",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="tools.rating",
                    ),
                ),
            ],
            options={
                "ordering": ["domain", "rating__rank"],
                "constraints": [
                    models.UniqueConstraint(fields=("domain", "rating"), name="unique_descriptor"),
                    models.CheckConstraint(
                        condition=models.Q(("text", ""), _negated=True), name="descriptor_has_text"
                    ),
                ],
            },
        ),
        migrations.RunPython(seed_descriptors, unseed_descriptors),
    ]
