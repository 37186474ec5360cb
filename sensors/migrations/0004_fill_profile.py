"""The forecast's weekday profile and spread, kept on the device row beside its rate and full time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sensors", "0003_ingest")]

    operations = [
        migrations.AddField(
            model_name="device", name="fill_weekday_factors", field=models.JSONField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="device", name="fill_spread_percent", field=models.FloatField(blank=True, null=True)
        ),
    ]
