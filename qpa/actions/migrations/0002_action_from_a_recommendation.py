"""A follow-up action remembers the recommended action it was confirmed from (decision
0126)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0001_follow_up_actions"),
        ("audits", "0007_voice_answers_and_recommended_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="recommendation",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="action",
                to="audits.recommendedaction",
            ),
        ),
    ]
