"""Celery tasks: thin edges that take ids, load rows and call one service."""

from celery import shared_task


@shared_task(name="marketplace.ping")
def ping() -> str:
    """Answer 'pong': lets operators and tests check that a worker is consuming."""
    return "pong"
