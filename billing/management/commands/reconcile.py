from django.core.management.base import BaseCommand, CommandError

from billing import reconcile
from billing.stripe_gateway import GatewayError


class Command(BaseCommand):
    help = "Compare the ledger with Stripe's payments, refunds and transfers; list every difference."

    def handle(self, *args, **options):
        try:
            found = reconcile.differences()
        except GatewayError as exc:
            raise CommandError(f"Stripe could not be asked: {exc}") from exc
        for line in found:
            self.stdout.write(line)
        if found:
            raise CommandError(f"{len(found)} difference(s) between the ledger and Stripe.")
        self.stdout.write(self.style.SUCCESS("The ledger and Stripe agree."))
