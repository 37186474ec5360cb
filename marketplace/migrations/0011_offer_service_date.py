# Offer.service_date: the pickup's date copied onto its offers, with a partial index on pending ones, so a
# hauler's pending offers of a day are counted from the index whatever the planner's statistics say.

from django.db import migrations, models

POSTGRESQL_BACKFILL = """
    UPDATE marketplace_offer AS o SET service_date = p.service_date
    FROM marketplace_pickup AS p WHERE p.id = o.pickup_id AND o.service_date IS NULL
"""
# The correlated form runs everywhere (SQLite has UPDATE ... FROM only from 3.33).
PORTABLE_BACKFILL = """
    UPDATE marketplace_offer SET service_date = (
        SELECT service_date FROM marketplace_pickup WHERE marketplace_pickup.id = marketplace_offer.pickup_id
    ) WHERE service_date IS NULL
"""


def backfill(apps, schema_editor):
    sql = POSTGRESQL_BACKFILL if schema_editor.connection.vendor == "postgresql" else PORTABLE_BACKFILL
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0010_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="service_date",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="offer",
            name="service_date",
            field=models.DateField(editable=False),
        ),
        migrations.AddIndex(
            model_name="offer",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["hauler", "service_date"],
                name="offer_pending_day",
            ),
        ),
    ]
