"""The project package: settings, urls, the Celery app, WSGI/ASGI entry points, env readers, health probes."""

# Load the Celery app whenever Django starts, so @shared_task binds to it.
from .celery import app as celery_app

__all__ = ("celery_app",)
