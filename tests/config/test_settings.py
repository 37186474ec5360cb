"""Configuration: the embedded default, production's refusals, and `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3y-" + "x9Qz!pL2#mW7vB4&" * 4
SETTINGS_VARIABLES = (
    "DJANGO_ENV", "DJANGO_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_URL",
    "ACCOUNT_EMAIL_VERIFICATION", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_CONSOLE_FULL",
)  # fmt: skip


def run_django(code_or_args: list[str], **variables: str) -> subprocess.CompletedProcess:
    """Start a fresh interpreter with exactly these settings variables (others removed)."""
    environment = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    environment.update(variables)
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def load_settings(**variables: str) -> subprocess.CompletedProcess:
    return run_django(["-c", "import django; django.setup(); print('loaded')"], **variables)


def test_embedded_default_needs_no_variables():
    result = run_django(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)",
        ]
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "True",
        "core.mail.OneLineConsoleBackend",  # email to the console, one line each (EMAIL_CONSOLE_FULL: whole)
    ]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({}, "SECRET_KEY, ALLOWED_HOSTS"),
        ({"SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "haulmatch.example"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "ALLOWED_HOSTS": "haulmatch.example"}, "SECRET_KEY: must be at least 50"),
        (
            {"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "h.example", "ACCOUNT_EMAIL_VERIFICATION": "none"},
            "ACCOUNT_EMAIL_VERIFICATION",
        ),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "h.example", "DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "h.example", "MIN_FEE_CENTS": "100"}, "FLOOR_MARGIN_CENTS"),
        (
            {
                "SECRET_KEY": GOOD_SECRET,
                "ALLOWED_HOSTS": "h.example",
                "STRIPE_SECRET_KEY": "sk_live_x",
                "STRIPE_API_BASE": "http://127.0.0.1:8420",
            },
            "STRIPE_API_BASE",
        ),
    ],
)
def test_production_refuses_missing_or_weak_configuration(variables, named):
    result = load_settings(DJANGO_ENV="production", **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_ENV", "staging"),
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://db/haulmatch"),
        ("DATABASE_URL", "not a url"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("DATABASE_CONN_MAX_AGE", "a minute"),
        ("DATABASE_CONN_MAX_AGE", "-5"),
        ("LOG_LEVEL", "LOUD"),
        ("CELERY_TASK_ALWAYS_EAGER", "sometimes"),
        ("FEE_PERCENT", "twenty"),
        ("FEE_PERCENT", "150"),
        ("OFFER_TTL", "soon"),
        ("OFFER_TTL", "0"),
        ("OFFER_FANOUT", "0"),
        ("NUM_PROXIES", "-1"),
        ("CANCELLATION_FEE_CENTS", "25"),
        ("STRIPE_TIMEOUT_SECONDS", "0"),
        ("STRIPE_WEBHOOK_TOLERANCE", "0"),
        ("PAYMENT_RETRY_1", "soon"),
        ("PAYMENT_FAILURES_BEFORE_PAUSE", "0"),
        ("MISSED_PICKUP_CREDIT_CENTS", "-1"),
        ("ARRIVAL_WINDOWS", "mornings"),
        ("ARRIVAL_WINDOWS", "11:00-07:00"),
        ("ARRIVAL_WINDOWS", "07:00-11:00,25:00-26:00"),
        ("ROUTE_SOLVE_SECONDS", "0"),
        ("ROUTING_CIRCUITY", "0.5"),
        ("MATCH_ROUTE_AWARE", "perhaps"),
        ("STAFF_TIME_ZONE", "Central"),
    ],
)
def test_a_bad_value_fails_at_start_and_names_the_variable(variable, value):
    result = load_settings(**{variable: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}" in result.stderr


def test_production_with_required_variables_passes_check_deploy():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="haulmatch.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_transport_security():
    result = run_django(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
            "s.SECURE_HSTS_SECONDS, s.ACCOUNT_EMAIL_VERIFICATION)",
        ],
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="haulmatch.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "31536000", "mandatory"]
