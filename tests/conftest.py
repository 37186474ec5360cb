"""Shared fixtures: fast password hashing, a client per role, and the small cast."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.celery import app as celery_app
from tests import factories

# The Stripe stand-in's fixtures (stripe_server, stripe_on), for the services and browser tiers.
pytest_plugins = ["tests.stripe_stand_in"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads never land in the project folder
    # Each test gets an empty private cache, even where REDIS_URL is set (allauth and the API keep rate
    # limits there). Local-memory caches of one name share their store, hence the clear().
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    # Payments stay off unless a test switches them on (the services tier points them at a local Stripe).
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    # Days re-plan at every accept (in-process here): a short solve keeps the suite quick; the router's own
    # tests and the benchmark give it real time.
    settings.ROUTE_SOLVE_SECONDS = 0.05


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run eagerly in tests; the services tier starts a real worker where it needs one."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def customer_owner(db):
    """A business owner with one location in downtown Austin."""
    membership = factories.CustomerMembershipFactory()
    factories.LocationFactory(customer=membership.customer)
    return membership.user


@pytest.fixture
def customer(customer_owner):
    return customer_owner.customer_membership.customer


@pytest.fixture
def location(customer):
    return customer.locations.get()


@pytest.fixture
def in_area_hauler(db):
    hauler = factories.HaulerFactory(name="Downtown Disposal", zips=["78701", "78702", "78703"])
    factories.RateFactory(hauler=hauler)
    return hauler


@pytest.fixture
def out_of_area_hauler(db):
    hauler = factories.HaulerFactory(name="Round Rock Roll-offs", depot_zip="78664", zips=["78664", "78665"])
    factories.RateFactory(hauler=hauler)
    return hauler


@pytest.fixture
def expired_licence_hauler(db):
    hauler = factories.HaulerFactory(
        name="Lapsed Hauling", zips=["78701"], credentials_until=timezone.localdate() - dt.timedelta(days=1)
    )
    factories.RateFactory(hauler=hauler)
    return hauler


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def owner_client(client, customer_owner):
    """The test client signed in as the business's owner."""
    client.force_login(customer_owner)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Call a function and run what it queued for after commit (eager tasks included), as production does."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run
