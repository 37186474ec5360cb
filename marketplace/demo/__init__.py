"""The demo: seed_demo's data, its cards and charged pickup, and the bin-sensor simulation."""

from django.db import connection


def refresh_statistics() -> None:
    """ANALYZE after a bulk load (PostgreSQL): the planner's statistics then describe the rows just written.

    Autovacuum would get there within a minute or so; until it does, a plan built for the empty tables can
    cost a hundred times the right one.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
