"""Every URL of the website and the API, for every role, against one table of who may use what.

The URLconf is walked (django.urls.get_resolver), so a URL that is not in the table fails here: whoever adds one
decides who may use it. Each role has its own clients (a page client and an API token): a business owner,
manager and member, a hauler owner, dispatcher and driver, staff, and someone signed out. Pages are fetched with
GET; the protected actions are POSTed too, each request inside a savepoint that is rolled back, so one role's
POST cannot change what the next meets. Outcome classes: "pass" (2xx, 3xx other than to the login page, or
400/405/409: the request got past the gates), "deny" (403), "login" (the login page, or the API's 401) and
"missing" (404). A URL about one object is tried with the role's own object where the table names one, and
always with one that is not theirs (another tenant's, or an id nobody has), which no role may reach.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers.models import Membership as CustomerMembership
from haulers.models import DriverAssignment
from haulers.models import Membership as HaulerMembership
from marketplace.models import DayPlan, Offer, Pickup, Route, RouteStop
from tests import factories
from tests.marketplace.web.role_table import (
    ANONYMOUS,
    API,
    API_PUTS,
    B_MANAGER,
    B_MEMBER,
    B_OWNER,
    H_DISPATCHER,
    H_DRIVER,
    H_OWNER,
    ROLES,
    STAFF,
    TABLE,
)

pytestmark = pytest.mark.django_db


# allauth's own pages (login, logout, password, email): its rules, not ours.
ACCOUNT_PAGES_PREFIX = "allauth."


def _walk(resolver=None, prefix="", namespace=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            space = pattern.namespace or namespace
            if space == "admin":  # the admin has its own login and staff rules
                continue
            yield from _walk(pattern, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, prefix + str(pattern.pattern), pattern


def _urls() -> dict[str, tuple[str, URLPattern]]:
    return {name: (route, pattern) for name, route, pattern in _walk()}


def _is_account_page(pattern: URLPattern) -> bool:
    view = pattern.callback
    module = getattr(getattr(view, "view_class", None), "__module__", None) or view.__module__
    return module.startswith(ACCOUNT_PAGES_PREFIX)


def test_every_url_is_in_the_table():
    declared = set(TABLE) | set(API)
    unnamed = [route for name, (route, _) in _urls().items() if name is None or name.endswith(":None")]
    undecided = sorted(
        name for name, (_, pattern) in _urls().items() if name not in declared and not _is_account_page(pattern)
    )
    assert not unnamed, f"Name these URLs so the role table can list them: {unnamed}"
    assert not undecided, f"Add these URLs to the role table (who may use them?): {undecided}"
    assert not declared - set(_urls()), f"The table lists URLs that no longer exist: {sorted(declared - set(_urls()))}"


# --- The world: a business and a hauler with one person per role, and a rival of each ---------------------------


def _on_the_drivers_route(job, truck, driver_seat) -> None:
    """The job is the driver's: on the route of the truck they drive that day."""
    DriverAssignment.objects.create(truck=truck, day=job.service_date, driver=driver_seat)
    plan = DayPlan.objects.create(hauler=truck.hauler, day=job.service_date)
    start = timezone.now()
    route = Route.objects.create(plan=plan, truck=truck, starts_at=start, ends_at=start, distance_m=0)
    RouteStop.objects.create(
        route=route,
        sequence=1,
        kind=RouteStop.Kind.PICKUP,
        pickup=job,
        arrives_at=start,
        departs_at=start,
        load_after=1,
    )


@pytest.fixture
def world(db):
    cafe = factories.CustomerFactory(name="Cafe Uno")
    b_owner = factories.CustomerMembershipFactory(customer=cafe, role="owner")
    b_manager = factories.CustomerMembershipFactory(customer=cafe, role="manager")
    b_member = factories.CustomerMembershipFactory(customer=cafe, role="member")
    b_invitation = CustomerMembership.objects.create(customer=cafe, email="invited@cafe.example", role="member")
    location = factories.LocationFactory(customer=cafe)

    hauler = factories.HaulerFactory(name="Eastside Hauling", zips=["78701"], stops=10)
    h_owner = factories.HaulerMembershipFactory(hauler=hauler, role="owner")
    h_dispatcher = factories.HaulerMembershipFactory(hauler=hauler, role="dispatcher")
    h_driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver")
    h_invitation = HaulerMembership.objects.create(hauler=hauler, email="invited@eastside.example", role="driver")
    job = factories.PickupFactory(location=location, hauler=hauler)
    offered = factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.OFFERED)
    offer = Offer.objects.create(
        pickup=offered, hauler=hauler, payout_cents=2_400, answer_by=timezone.now() + dt.timedelta(hours=2)
    )
    site = factories.DisposalSiteFactory(hauler=hauler)
    truck = hauler.trucks.order_by("pk").first()
    _on_the_drivers_route(job, truck, h_driver)
    credential = hauler.credentials.order_by("pk").first()

    rival = factories.CustomerMembershipFactory(customer__name="Rival Diner").customer
    rival_location = factories.LocationFactory(customer=rival)
    rival_hauler = factories.HaulerFactory(name="Round Rock Roll-offs", zips=["78701"], stops=10)
    rival_job = factories.PickupFactory(location=rival_location, hauler=rival_hauler)
    rival_offered = factories.PickupFactory(location=rival_location, hauler=None, status=Pickup.Status.OFFERED)
    rival_offer = Offer.objects.create(
        pickup=rival_offered, hauler=rival_hauler, payout_cents=2_400, answer_by=timezone.now() + dt.timedelta(hours=2)
    )
    rival_site = factories.DisposalSiteFactory(hauler=rival_hauler)

    staff = factories.UserFactory(is_staff=True)
    users = {
        B_OWNER: b_owner.user, B_MANAGER: b_manager.user, B_MEMBER: b_member.user,
        H_OWNER: h_owner.user, H_DISPATCHER: h_dispatcher.user, H_DRIVER: h_driver.user, STAFF: staff,
    }  # fmt: skip
    ids = {
        "invitation": {"token": b_invitation.token},
        "business_invitation": {"kind": "business", "membership_id": b_invitation.pk},
        "hauler_invitation": {"kind": "hauler", "membership_id": h_invitation.pk},
        "business_member_seat": {"kind": "business", "membership_id": b_member.pk},
        "hauler_driver_seat": {"kind": "hauler", "membership_id": h_driver.pk},
        "location": {"location_id": location.pk},
        "rival_location": {"location_id": rival_location.pk},
        "pickup": {"pickup_id": job.pk},
        "rival_pickup": {"pickup_id": rival_job.pk},
        "job": {"pickup_id": job.pk},
        "rival_job": {"pickup_id": rival_job.pk},
        "offer": {"offer_id": offer.pk},
        "rival_offer": {"offer_id": rival_offer.pk},
        "truck": {"truck_id": truck.pk},
        "rival_truck": {"truck_id": rival_hauler.trucks.order_by("pk").first().pk},
        "site": {"site_id": site.pk},
        "rival_site": {"site_id": rival_site.pk},
        "credential": {"credential_id": credential.pk},
        "rival_credential": {"credential_id": rival_hauler.credentials.order_by("pk").first().pk},
    }
    for key in ("location", "pickup", "job", "offer", "truck", "site"):
        for prefix in ("", "rival_"):
            ids[f"{prefix}{key}_api"] = {"id": next(iter(ids[f"{prefix}{key}"].values()))}
    ids["rival_location_api"] = {"id": rival_location.pk}
    return {"users": users, "own": ids}


def _clients(world, role):
    web, api = Client(), APIClient()
    user = world["users"].get(role)
    if user is not None:
        web.force_login(user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return web, api


def _outcome(response) -> str:
    if response.status_code >= 500:
        return f"error {response.status_code}"
    if response.status_code in (301, 302, 303) and "/accounts/login/" in response.get("Location", ""):
        return "login"
    if response.status_code == 401:
        return "login"
    return {403: "deny", 404: "missing"}.get(response.status_code, "pass")


def _expected(spec, roles, role) -> str:
    if role in roles:
        return "pass"
    if role == ANONYMOUS:
        return spec["anonymous"]
    return spec["special"].get(role, spec["refused"])


def _send(client, method, path, data):
    """One request whose writes are undone, so the next role meets the same world."""
    with transaction.atomic():
        if method == "GET":
            response = client.get(path)
        elif isinstance(client, APIClient):
            response = client.post(path, data, format="json")
        else:
            response = client.post(path, data)
        transaction.set_rollback(True)
    return response


def reverse_route(route: str, kwargs: dict) -> str:
    path = route
    for key, value in kwargs.items():
        for converter in ("int", "str", "slug", ""):
            token = f"<{converter}:{key}>" if converter else f"<{key}>"
            path = path.replace(token, str(value))
    return path


def _args_of(route: str) -> bool:
    return "<" in route


def _trials(spec, route: str, world, role):
    """(method, path, the roles who may, whether the object is another tenant's) for one URL and role."""
    methods = [("GET", spec["get"])] if spec["get"] is not None else []
    if spec["post"] is not None:
        methods.append(("POST", spec["post"]))
    if not _args_of(route):
        return [(method, route, roles, False) for method, roles in methods]
    trials = []
    if spec["own"] is not None:
        path = reverse_route(route, spec["own"](world, role))
        trials += [(method, path, roles, False) for method, roles in methods]
    if spec["other"] is not None:
        other = spec["other"]
        path = reverse_route(route, other(world, role) if callable(other) else other)
        method, roles = methods[0]
        trials.append((method, path, roles, True))
    return trials


def _allowed(spec, roles, role, *, foreign: bool) -> set[str]:
    if not foreign:
        return {_expected(spec, roles, role)}
    # Not theirs: nobody reaches it; a role the page is not for may be refused before the lookup.
    if role in roles:
        return {"missing"}
    if role == ANONYMOUS:
        return {"login"} if spec["anonymous"] == "login" else {"missing"}
    return {"missing", spec["special"].get(role, spec["refused"])}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_meets_the_table_on_every_url(world, role):
    web, api = _clients(world, role)
    urls = _urls()
    wrong = []
    for table, client in ((TABLE, web), (API, api)):
        for name, spec in table.items():
            if name not in urls:
                continue  # test_every_url_is_in_the_table names it
            for method, path, roles, foreign in _trials(spec, "/" + urls[name][0], world, role):
                data = spec["data"](world, role) if callable(spec["data"]) else spec["data"]
                got = _outcome(_send(client, method, path, data))
                allowed = _allowed(spec, roles, role, foreign=foreign)
                if got not in allowed:
                    wrong.append(f"{method} {path} ({name}): {got}, expected {' or '.join(sorted(allowed))}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_protected_puts(world, role):
    _, api = _clients(world, role)
    urls = _urls()
    for name, roles in API_PUTS.items():
        path = "/" + urls[name][0]
        with transaction.atomic():
            got = _outcome(api.put(path, {}, format="json"))
            transaction.set_rollback(True)
        want = _expected(API[name], roles, role)
        assert got == want, f"PUT {path} as {role}: {got}, expected {want}"
