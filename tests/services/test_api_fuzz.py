"""The API fuzzed against its own schema (schemathesis), on PostgreSQL: every operation, then chains of them.

Each operation is called through the WSGI application (no port, the test's own database connection)
with the token its side needs: a business owner's, a hauler owner's, a sensor's, an integration's key.
Generated requests are valid by the schema and deliberately invalid ones too; every answer must be no
5xx, a status the schema documents, the documented content type and a body that matches its schema.
Examples are bounded so the file runs in about two minutes on one core.
"""

import datetime as dt
import itertools

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from config.wsgi import application
from marketplace import services
from marketplace.models import Offer, Pickup
from sensors import integrations
from sensors import services as sensor_services
from tests import factories

SCHEMA_URL = "/api/schema/?format=json"
# Every check is on, two of them told what the API promises. Data the schema allows may still be refused with a
# 400 by a rule it cannot state (a ZIP code in its state, a service date ahead, a window that is offered), but never
# answered 405, 406, 415 or 422. Data the schema forbids is not always refused: the API is lenient where it says so
# (a bad page_size falls back to the default; a sensor batch's bad readings are reported by index in a 200), so
# that check stays off; a 5xx or an undocumented status is a failure either way.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]},
            "negative_data_rejection": {"enabled": False},
        }
    }
)
# Enough to cover each operation's positive and negative shapes; about 40 operations share the budget.
EXAMPLES = 25


@pytest.fixture(autouse=True)
def _connection_kept_between_requests():
    """As Django's test client does: the WSGI handler would close the test's connection (and its transaction)
    at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def cast(postgres):
    """A business with a location, a quote and pickups; a hauler serving it with a truck, a disposal site, a job
    today and an offer; a sensor; a network. Tokens for each side, and the ids of rows each side may reach."""
    membership = factories.CustomerMembershipFactory()
    customer = membership.customer
    location = factories.LocationFactory(customer=customer)
    hauler = factories.HaulerFactory(name="Downtown Disposal", zips=["78701", "78702", "78703"])
    factories.RateFactory(hauler=hauler)
    truck = factories.TruckFactory(hauler=hauler)
    site = factories.DisposalSiteFactory(hauler=hauler)
    hauler_owner = factories.HaulerMembershipFactory(hauler=hauler).user
    services.create_quote(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )
    pickup = factories.PickupFactory(customer=customer, location=location, hauler=hauler)
    job = factories.PickupFactory(
        customer=customer, location=location, hauler=hauler, service_date=timezone.localdate()
    )
    offered = factories.PickupFactory(
        customer=customer,
        location=location,
        hauler=None,
        status=Pickup.Status.OFFERED,
        price_cents=10_200,
        payout_cents=8_500,  # an offer's payout is the pickup's, within its price (a database constraint)
    )
    offer = Offer.objects.create(
        pickup=offered, hauler=hauler, payout_cents=8_500, answer_by=timezone.now() + dt.timedelta(hours=2)
    )
    _, device_token = sensor_services.register_device(
        by=None, location=location, serial="FS-0001", waste_stream="trash", container="dumpster_4yd"
    )
    _, integration_key = integrations.create_integration(name="City LoRaWAN")
    return {
        "business": {"Authorization": f"Token {Token.objects.create(user=membership.user).key}"},
        "hauler": {"Authorization": f"Token {Token.objects.create(user=hauler_owner).key}"},
        "device": {"X-Device-Token": device_token},
        "integration": {"X-Integration-Key": integration_key},
        "ids": {
            "/api/v1/locations/": location.pk,
            "/api/v1/pickups/": pickup.pk,
            "/api/v1/hauler/trucks/": truck.pk,
            "/api/v1/hauler/disposal-sites/": site.pk,
            "/api/v1/hauler/jobs/": job.pk,
            "/api/v1/hauler/offers/": offer.pk,
        },
        "calls": itertools.count(),
    }


# Read through the application as a client would (the schema view needs no database), once per collection.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=CONFIG)


def credentials(cast: dict, path: str) -> dict:
    """The headers of the side an operation belongs to (the token endpoint takes none)."""
    if path.startswith("/api/v1/auth/"):
        return {}
    if path.startswith("/api/v1/hauler/"):
        return cast["hauler"]
    if path.startswith("/api/v1/sensors/"):
        return cast["device"]
    if path.startswith("/api/v1/integrations/"):
        return cast["integration"]
    return cast["business"]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, cast):
    if "id" in (case.path_parameters or {}) and next(cast["calls"]) % 2:
        # Every other call reaches a row of the caller's own (generated ids are nearly always a 404).
        case.path_parameters["id"] = next(
            (pk for prefix, pk in cast["ids"].items() if case.path.startswith(prefix)), case.path_parameters["id"]
        )
    case.call_and_validate(headers=credentials(cast, case.path))


@pytest.mark.django_db
def test_chains_of_calls_answer_as_the_schema_says(cast):
    # What one call answers feeds the next (a location's id to its detail, a quote's to booking), with the
    # stateful checks too: a deleted object stays gone, a created one can be read back.
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": credentials(cast, case.path)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The headers named as given, so the auth checks know the token is real and try without it.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
