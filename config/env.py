"""Strict readers for configuration variables.

Every reader fails at start with ImproperlyConfigured naming the variable, rather than
falling back silently (django-environ's own bool() turns "maybe" into False, for instance).
"""

import os
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_parser = environ.Env()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def bad(name: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}: {problem}")


def string(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise bad(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def boolean(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise bad(name, f"must be true or false, got {value!r}")


def integer(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad(name, f"must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise bad(name, f"must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise bad(name, f"must be at most {maximum}, got {number}")
    return number


def csv(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database(name: str, default: str) -> dict:
    url = string(name, default)
    try:
        config = _parser.db_url_config(url)
    except Exception as error:  # environ raises several types for a malformed URL
        raise bad(name, f"is not a database URL ({error})") from None
    if config.get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise bad(name, "must be a postgres:// or sqlite:/// URL")
    return config


def redis_url(name: str) -> str | None:
    url = _raw(name)
    if url is not None and not url.startswith(("redis://", "rediss://", "unix://")):
        raise bad(name, f"must be a redis:// or rediss:// URL, got {url!r}")
    return url


def email(name: str, default: str) -> dict:
    url = string(name, default)
    try:
        return _parser.email_url_config(url)
    except Exception as error:
        raise bad(name, f"is not an email URL ({error})") from None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(name: str, default: str) -> timedelta:
    """A duration such as 90s, 30m, 2h or 1d (a bare number is seconds)."""
    text = string(name, default).lower()
    unit = text[-1] if text[-1] in _UNITS else "s"
    number = text[:-1] if text[-1] in _UNITS else text
    try:
        seconds = float(number) * _UNITS[unit]
    except ValueError:
        raise bad(name, f"must be a duration like 30m, 2h or 1d, got {text!r}") from None
    if seconds <= 0:
        raise bad(name, f"must be longer than zero, got {text!r}")
    return timedelta(seconds=seconds)


def decimal(name: str, default: str, *, minimum: str, maximum: str) -> Decimal:
    value = string(name, default)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise bad(name, f"must be a number, got {value!r}") from None
    if not Decimal(minimum) <= number <= Decimal(maximum):
        raise bad(name, f"must be between {minimum} and {maximum}, got {value}")
    return number


def time_windows(name: str, default: str) -> list[tuple[time, time]]:
    """Comma-separated local-time windows, e.g. "07:00-17:00,07:00-11:00"; each must end after it starts."""
    windows = []
    for part in (_raw(name) or default).split(","):
        try:
            start, end = (time.fromisoformat(bound.strip()) for bound in part.split("-"))
        except ValueError:
            raise bad(name, f"{part.strip()!r} is not a window like 07:00-11:00") from None
        if end <= start:
            raise bad(name, f"{part.strip()!r} must end after it starts")
        windows.append((start, end))
    return windows
