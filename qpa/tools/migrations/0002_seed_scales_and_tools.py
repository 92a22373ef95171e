"""Seeds the briefing's scale, the ILACS scale with a crosswalk between them, and the two
tools: Quality of Practice (ten domains) and the themed Child Protection Core Assessment."""

from django.db import migrations

from qpa.tools.seed import seed, unseed


class Migration(migrations.Migration):
    dependencies = [("tools", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
