"""`manage.py seed_demo`: the Austin demo market, safe to run again."""

import time

from django.core.management.base import BaseCommand

from marketplace.demo import refresh_statistics
from marketplace.demo.city_seed import CITY_EMAIL, CITY_PASSWORD, seed_city
from marketplace.demo.day import seed_day
from marketplace.demo.market import DEMO_LOGINS
from marketplace.demo.payments import seed_payments
from marketplace.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Create demo haulers, businesses and one login per role in Austin, TX (idempotent)."

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = seed_demo()
        counts |= seed_payments()
        counts |= seed_day()
        counts |= seed_city()  # the simulated city's bins, for the operations map
        refresh_statistics()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        for name, count in counts.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {count}")
        self.stdout.write("Demo logins:")
        for role, email, password in DEMO_LOGINS:
            self.stdout.write(f"  {role:<15} {email} / {password}")
        self.stdout.write(f"  {'city operations':<15} {CITY_EMAIL} / {CITY_PASSWORD}")
