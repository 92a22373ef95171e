"""Seeds the six service areas of DOMAIN.md; councils rename or add to them later."""

from django.db import migrations

from qpa.organisation.seed import seed, unseed


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
