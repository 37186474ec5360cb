"""Admin for money: billing accounts, payments and refunds, invoices, payouts, the ledger and Stripe's events.

Every row here is written by billing's services (and Stripe's webhooks), so staff look but do not edit. What staff
may do to money goes through the same services as everything else: refund a payment, grant credit, process a
webhook event again, refresh a payout account, send a pending payout again.
"""

# Each module registers its admins on import; Django's autodiscovery imports this package.
from billing.admin import accounts, books, disputes, payments, payouts  # noqa: F401
