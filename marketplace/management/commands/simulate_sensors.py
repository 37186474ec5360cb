"""`manage.py simulate_sensors`: bin sensors and their readings for the demo, safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from marketplace.demo.sensors import simulate


class Command(BaseCommand):
    help = (
        "Register demo bin sensors and write their fill readings for the last days (idempotent); a full bin "
        "books a pickup and a nearly empty one skips its plan visit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="How many days of readings (default 30).")
        parser.add_argument("--seed", type=int, default=2026, help="The random seed (default 2026).")

    def handle(self, *args, **options):
        try:
            counts = simulate(days=options["days"], seed=options["seed"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        outcomes = counts.pop("evaluations")
        self.stdout.write(self.style.SUCCESS("Sensors simulated."))
        for name, count in counts.items():
            self.stdout.write(f"  {name.replace('_', ' ')}: {count}")
        for serial, outcome in outcomes.items():
            self.stdout.write(f"  {serial}: {outcome}")
