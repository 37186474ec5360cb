"""Room on each page of the device table for its rows' next versions.

Every ingested batch moves its devices' latest reading onto their rows. With pages left 30% free,
PostgreSQL writes the new version beside the old one (a HOT update) instead of adding an entry to each
of the table's eight indexes, which made the update cost more than storing the readings themselves.
Only PostgreSQL has the setting; elsewhere this does nothing.
"""

from django.db import migrations

FILLFACTOR = 70


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE sensors_device SET (fillfactor = {FILLFACTOR})")


def fill_up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sensors_device RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("sensors", "0002_city_scale")]

    operations = [migrations.RunPython(leave_room, fill_up, elidable=False)]
