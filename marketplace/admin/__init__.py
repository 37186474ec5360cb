"""Admin for the market: pickups and their offers, quotes, plans, routes, unmet demand, webhooks; ratings and cases.

Each module registers its admins on import; Django's autodiscovery imports this package.
"""

from marketplace.admin import market  # noqa: F401
from marketplace.admin import ratings  # noqa: F401
from marketplace.admin import cases  # noqa: F401
from marketplace.admin import dispute_cases  # noqa: F401
