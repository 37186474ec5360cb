"""Indexes for a business's pickups in list order and by when they last changed (see Pickup.Meta)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0011_offer_service_date"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="pickup",
            index=models.Index(fields=["customer", "service_date", "id"], name="pickup_customer_day"),
        ),
        migrations.AddIndex(
            model_name="pickup",
            index=models.Index(fields=["customer", "updated_at"], name="pickup_customer_updated"),
        ),
    ]
