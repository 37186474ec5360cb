"""The LOGGING setting: one JSON object a line in production (LOG_FORMAT=json), readable lines in development.

Both carry the request id (core.request_id) on every record, and a task's name and id inside a task.
The web processes, the Celery worker and beat all log this way (config/celery.py keeps Celery from
installing its own format); gunicorn's own lines follow deploy/gunicorn.conf.py.
"""

JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, log_format: str, level: str) -> dict:
    """The dictConfig for `log_format` ("json" or "console") at `level`."""
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FIELDS,
            # Field names a log pipeline expects; `extra={...}` fields (status, duration_ms, task_name) follow.
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        }
    else:
        formatter = {"format": CONSOLE_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.request_id.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The Stripe client logs every request at INFO; its errors reach us as exceptions anyway.
            "stripe": {"level": "WARNING"},
            # Django's own request lines (a 404, a 500) repeat the app's request log; their errors still show.
            "django.request": {"level": "ERROR"},
            # In development runserver prints each request itself.
            "haulmatch.request": {"level": "INFO" if log_format == "json" else "WARNING"},
        },
    }
