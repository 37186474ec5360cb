"""`manage.py seed_city`: the simulated city's 1,000 smart bins in the demo, with their last days of readings."""

import time

from django.core.management.base import BaseCommand

from marketplace.demo import refresh_statistics
from marketplace.demo.city_seed import CITY_EMAIL, CITY_PASSWORD, seed_city


class Command(BaseCommand):
    help = (
        "Write the simulated city of Austin's smart bins into the demo: their sites, sensors and the readings of "
        "the last days, their forecasts and alarms (idempotent; a rerun adds the hours since the last)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = seed_city()
        refresh_statistics()
        self.stdout.write(self.style.SUCCESS(f"City bins ready in {time.monotonic() - started:.1f} s."))
        for name, count in counts.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {count}")
        self.stdout.write(f"  city operations login: {CITY_EMAIL} / {CITY_PASSWORD}")
