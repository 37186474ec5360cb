"""Admin for the market: pickups and their offers, quotes, plans, routes, unmet demand, webhooks; ratings and cases.

Each module registers its admins on import; Django's autodiscovery imports this package.
"""

from marketplace.admin import (
    cases,  # noqa: F401
    dispute_cases,  # noqa: F401
    market,  # noqa: F401
    ratings,  # noqa: F401
)
