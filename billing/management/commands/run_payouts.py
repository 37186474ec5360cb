from django.core.management.base import BaseCommand

from billing import payouts
from core.admin import dollars


class Command(BaseCommand):
    help = "Pay every hauler with a payouts-enabled account what it earned on paid jobs (beat does this weekly)."

    def handle(self, *args, **options):
        made = payouts.run_payouts()
        for payout in made:
            self.stdout.write(f"{payout.hauler}: {dollars(payout.amount_cents)} ({payout.get_status_display()})")
        self.stdout.write(self.style.SUCCESS(f"{len(made)} payout(s) made."))
