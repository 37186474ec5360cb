"""StatusChange.content_type loses its own index: (content_type, object_id, at) leads with it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="statuschange",
            name="content_type",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, to="contenttypes.contenttype"
            ),
        ),
    ]
