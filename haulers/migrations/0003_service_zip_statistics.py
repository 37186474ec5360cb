"""Finer planner statistics for ServiceZip.zip_code on PostgreSQL.

With the default sample, the planner estimates every ZIP at the country-wide average and,
for the busiest ZIPs of a 100k-hauler market, sometimes prefers reading every hauler to the
ZIP index (measured by `make bench`). A larger sample keeps its estimates per ZIP.
"""

from django.db import migrations


def more_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE haulers_servicezip ALTER COLUMN zip_code SET STATISTICS 10000")


def default_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE haulers_servicezip ALTER COLUMN zip_code SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("haulers", "0002_working_days")]

    operations = [migrations.RunPython(more_statistics, default_statistics)]
