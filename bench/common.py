"""What every `make bench` section shares: progress on stderr, BENCH lines on stdout, a throwaway database.

Import it after django.setup(): the database helpers need the settings.
"""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from config.celery import app as celery_app

STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def report(name: str, value) -> None:
    print(f"BENCH {name} {value}", flush=True)


def require_postgresql(name: str) -> None:
    """Stop (exit status 2) unless DATABASE_URL is PostgreSQL and not the bench's own database `name`."""
    if connection.vendor != "postgresql":
        print("make bench needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        raise SystemExit(2)
    if connection.settings_dict["NAME"] == name:
        print(f"DATABASE_URL must not name {name}, the bench's own throwaway database", file=sys.stderr)
        raise SystemExit(2)


@contextmanager
def throwaway_database(name: str) -> Iterator[None]:
    """Work in database `name` beside DATABASE_URL's (Django's test-database machinery: a leftover one is
    dropped, it is migrated), with no query log and tasks queued in memory, not run here; dropped at the end."""
    require_postgresql(name)
    settings.DEBUG = False  # no query log on the timed path
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    connection.settings_dict["TEST"]["NAME"] = name
    progress(f"creating and migrating {name}")
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        yield
    finally:
        progress(f"dropping {name}")
        teardown_databases(old_config, verbosity=0)
