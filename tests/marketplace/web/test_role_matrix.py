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

pytestmark = pytest.mark.django_db

B_OWNER, B_MANAGER, B_MEMBER = "business owner", "business manager", "business member"
H_OWNER, H_DISPATCHER, H_DRIVER = "hauler owner", "hauler dispatcher", "hauler driver"
STAFF, ANONYMOUS = "staff", "anonymous"
ROLES = [B_OWNER, B_MANAGER, B_MEMBER, H_OWNER, H_DISPATCHER, H_DRIVER, STAFF, ANONYMOUS]

BUSINESS = frozenset({B_OWNER, B_MANAGER, B_MEMBER})
MANAGERS = frozenset({B_OWNER, B_MANAGER})
HAULER = frozenset({H_OWNER, H_DISPATCHER, H_DRIVER})
OFFICE = frozenset({H_OWNER, H_DISPATCHER})
H_OWNERS = frozenset({H_OWNER})
OWNERS = frozenset({B_OWNER, H_OWNER})
TEAM_RUNNERS = MANAGERS | H_OWNERS
INTEGRATORS = MANAGERS | H_OWNERS  # webhooks: a business's owners and managers, a hauler's owners
MEMBERS = BUSINESS | HAULER
USERS = MEMBERS | {STAFF}
EVERYONE = USERS | {ANONYMOUS}
NOBODY = frozenset()
ALIEN = 987654  # an id no test object has


def rule(get, post=None, *, own=None, other=None, anonymous="login", refused="deny", special=None, data=None):
    """Who may GET (None: the URL takes only POSTs), who may POST (None: no POST is tried), the own object's URL
    arguments (a function of the world and the role), arguments of an object that is not theirs, what a
    signed-out visitor gets, what the roles not allowed get (`special`: for some roles, something else),
    and the POST's data."""
    return {
        "get": get, "post": post, "own": own, "other": other, "anonymous": anonymous, "refused": refused,
        "special": special or {}, "data": data or {},
    }  # fmt: skip


def action(post, **options):
    """A URL that only takes POSTs (a GET is a 405 wherever it is asked): tried with POSTs alone."""
    return rule(None, post, **options)


def own(key):
    return lambda world, role: world["own"][key]


def side(business_key, hauler_key):
    """URL arguments that depend on the role's side (the team's actions)."""
    return lambda world, role: world["own"][hauler_key if role in HAULER else business_key]


def invite_data(world, role):
    kind = "hauler" if role in HAULER else "business"
    value = "driver" if role in HAULER else "member"
    return {"kind": kind, f"{kind}-email": "someone.new@example.com", f"{kind}-role": value}


FOREIGN_SEAT = {"kind": "business", "membership_id": ALIEN}
NO_TEAM = {STAFF: "missing"}  # staff belong to no team: theirs is not found
# fmt: off
TABLE = {
    # --- Anyone ------------------------------------------------------------------------------------------------
    "home": rule(EVERYONE, anonymous="pass"),
    "coverage": rule(EVERYONE, anonymous="pass"),
    "invitation": rule(EVERYONE, own=own("invitation"), other={"token": "no-such-invitation"}, anonymous="pass"),
    "account_signup": rule(EVERYONE, anonymous="pass"),
    "healthz": rule(EVERYONE, anonymous="pass"),
    "readyz": rule(EVERYONE, anonymous="pass"),
    "stripe_webhook": action(EVERYONE, anonymous="pass"),  # Stripe's signature decides, not a role
    "hauler_home": rule(EVERYONE, anonymous="pass"),  # a redirect to the start page, which sends each role on
    "how_it_works": rule(EVERYONE, anonymous="pass"),
    "pricing": rule(EVERYONE, anonymous="pass"),
    "for_haulers": rule(EVERYONE, anonymous="pass"),
    "terms": rule(EVERYONE, anonymous="pass"),
    "privacy": rule(EVERYONE, anonymous="pass"),
    "favicon": rule(EVERYONE, anonymous="pass"),
    # --- Anyone signed in: the team (owners and managers run a business's, owners a hauler's) -----------------
    "start": rule(USERS),
    "notifications": rule(USERS),
    "notification_preferences": rule(USERS),
    "team": rule(USERS, TEAM_RUNNERS, data=invite_data, special=NO_TEAM),
    "remove_member": action(
        TEAM_RUNNERS, own=side("business_invitation", "hauler_invitation"), other=FOREIGN_SEAT, special=NO_TEAM
    ),
    "change_role": action(
        TEAM_RUNNERS, own=side("business_invitation", "hauler_invitation"), other=FOREIGN_SEAT, special=NO_TEAM,
        data={"role": "member"},
    ),
    "transfer_ownership": action(
        OWNERS, own=side("business_member_seat", "hauler_driver_seat"), other=FOREIGN_SEAT, special=NO_TEAM
    ),
    # --- A business: its people book and see; owners and managers run the account ----------------------------
    "onboarding": rule(MANAGERS),
    "dashboard": rule(BUSINESS),
    "book": rule(BUSINESS),
    "book_quote": rule(BUSINESS, BUSINESS, other={"quote_id": ALIEN}),  # a GET shows the quote again
    "pickup_detail": rule(BUSINESS, own=own("pickup"), other=own("rival_pickup")),
    "pickup_cancel": rule(BUSINESS, BUSINESS, other=own("rival_pickup")),  # a GET asks first
    "pickup_move": action(BUSINESS, other=own("rival_pickup")),
    "pickup_proof_photo": rule(BUSINESS, other=own("rival_pickup")),
    "pickup_rating": rule(BUSINESS, BUSINESS, own=own("pickup"), other=own("rival_pickup")),  # a GET shows the form
    "case_report": rule(BUSINESS, BUSINESS, own=own("pickup"), other=own("rival_pickup")),  # a GET shows the form
    "case_list": rule(BUSINESS),
    "case_detail": rule(BUSINESS, BUSINESS, other={"case_id": ALIEN}),
    # A case's photos: its business, its hauler's office and staff (tests/marketplace/cases/test_pages.py)
    "case_photo": rule(USERS, other={"case_id": ALIEN, "message_id": ALIEN}),
    "case_proof_photo": rule(USERS, other={"case_id": ALIEN}),
    "plan_detail": rule(BUSINESS, other={"plan_id": ALIEN}),
    "plan_change": action(BUSINESS, other={"plan_id": ALIEN, "action": "pause"}),
    "location_list": rule(BUSINESS),
    "location_add": rule(MANAGERS, MANAGERS),
    "location_edit": rule(MANAGERS, MANAGERS, own=own("location"), other=own("rival_location")),
    "location_archive": action(MANAGERS, own=own("location"), other=own("rival_location")),
    "location_restore": action(MANAGERS, own=own("location"), other=own("rival_location")),
    "location_sensors": rule(BUSINESS, own=own("location"), other=own("rival_location")),
    "sensor_add": rule(MANAGERS, MANAGERS, own=own("location"), other=own("rival_location")),
    "sensor_token": rule(MANAGERS, other={"device_id": ALIEN}),
    "sensor_rotate": action(MANAGERS, other={"device_id": ALIEN}),
    "sensor_rules": rule(BUSINESS, MANAGERS, other={"device_id": ALIEN}),
    "company": rule(BUSINESS, MANAGERS, data={"name": "Renamed by a probe"}),
    "billing": rule(BUSINESS),
    "billing_card": rule(MANAGERS, MANAGERS),
    "billing_card_return": rule(MANAGERS),
    "invoice_detail": rule(BUSINESS, other={"invoice_id": ALIEN}),
    "invoice_print": rule(BUSINESS, other={"invoice_id": ALIEN}),
    "receipt_detail": rule(BUSINESS, other={"payment_id": ALIEN}),
    "receipt_for_pickup": rule(BUSINESS, own=own("pickup"), other=own("rival_pickup")),  # on to the receipt
    "webhooks": rule(MANAGERS),
    "webhook": rule(MANAGERS, other={"endpoint_id": ALIEN}),
    "webhook_action": action(MANAGERS, other={"endpoint_id": ALIEN, "action": "test"}),
    # --- Bins: staff see the market's, a business its own; the market's figures: staff (or a scraper's key) ----
    "operations_map": rule(BUSINESS | {STAFF}),
    "operations_bins": rule(BUSINESS | {STAFF}),
    "operations_bin": rule(BUSINESS | {STAFF}, other={"device_id": ALIEN}),
    "metrics": rule({STAFF}, anonymous="missing", refused="missing"),
    # --- A hauler: drivers work their day; dispatchers also offers, jobs, routes, the fleet; owners the rest ---
    "hauler_company": rule(OFFICE, H_OWNERS),
    "hauler_credentials": rule(OFFICE, H_OWNERS),
    # The document of a credential is for the office and staff, when there is one: ours has none.
    "hauler_credential_document": rule(
        NOBODY, own=own("credential"), other=own("rival_credential"), refused="missing"
    ),
    "hauler_area": rule(OFFICE, H_OWNERS, data={"mode": "list", "zip_codes": "78701", "save": "1"}),
    "hauler_rates": rule(OFFICE, H_OWNERS),
    "hauler_offers": rule(OFFICE),
    "hauler_offer_list": rule(OFFICE),
    "hauler_offer_accept": action(OFFICE, own=own("offer"), other=own("rival_offer")),
    "hauler_offer_decline": action(OFFICE, own=own("offer"), other=own("rival_offer")),
    "hauler_jobs": rule(OFFICE),
    "hauler_job": rule(HAULER, own=own("job"), other=own("rival_job")),
    "hauler_job_complete": action(HAULER, own=own("job"), other=own("rival_job")),
    "hauler_job_exception": action(HAULER, own=own("job"), other=own("rival_job")),
    "hauler_earnings": rule(OFFICE),
    "hauler_ratings": rule(OFFICE),
    "hauler_reliability": rule(OFFICE),
    "hauler_cases": rule(OFFICE),
    "hauler_case": rule(OFFICE, OFFICE, other={"case_id": ALIEN}),
    "hauler_trucks": rule(OFFICE, OFFICE),
    "hauler_truck": rule(OFFICE, OFFICE, own=own("truck"), other=own("rival_truck")),
    "hauler_disposal_sites": rule(OFFICE, OFFICE),
    "hauler_disposal_site": rule(OFFICE, OFFICE, own=own("site"), other=own("rival_site")),
    "hauler_day": rule(HAULER),
    "hauler_day_complete": action(HAULER, own=own("job"), other=own("rival_job")),
    "hauler_day_exception": action(HAULER, own=own("job"), other=own("rival_job")),
    "hauler_routes": rule(OFFICE),
    "hauler_route_move": action(OFFICE),
    "hauler_route_replan": action(OFFICE),
    "hauler_route_assign": action(OFFICE),
    "hauler_route_sheet": rule(HAULER, own=own("truck"), other=own("rival_truck")),
    "hauler_webhooks": rule(H_OWNERS),
    "hauler_webhook": rule(H_OWNERS, other={"endpoint_id": ALIEN}),
    "hauler_webhook_action": action(H_OWNERS, other={"endpoint_id": ALIEN, "action": "test"}),
    "payout_connect": rule(H_OWNERS, H_OWNERS),
    "payout_return": rule(H_OWNERS),
    "payout_detail": rule(OFFICE, other={"payout_id": ALIEN}),
}

API = {
    "api:schema": rule(EVERYONE, anonymous="pass"),
    "api:docs": rule(EVERYONE, anonymous="pass"),
    "api:token": action(EVERYONE, anonymous="pass"),
    # Devices and integrations authenticate with keys of their own: a person's token opens none of them.
    "api:sensor-readings": action(NOBODY, refused="login"),
    "api:integration-readings": action(NOBODY, refused="login"),
    "api:integration-things-stack-uplink": action(NOBODY, refused="login"),
    # A business's API: its people book and see; owners and managers change locations and sensors.
    "api:locations": rule(BUSINESS, MANAGERS),
    "api:location": rule(BUSINESS, own=own("location_api"), other=own("rival_location_api")),
    "api:quotes": action(BUSINESS),
    "api:quote": rule(BUSINESS, other={"id": ALIEN}),
    "api:arrival-windows": rule(BUSINESS),
    "api:pickups": rule(BUSINESS),
    "api:pickup": rule(BUSINESS, own=own("pickup_api"), other=own("rival_pickup_api")),
    "api:pickup-cancel": action(BUSINESS, other=own("rival_pickup_api")),
    # Its rating: the walk's pickups are not rated, so only another business's is tried (tests/marketplace/api/).
    "api:pickup-rating": rule(BUSINESS, other=own("rival_pickup_api")),
    "api:payments": rule(BUSINESS),
    "api:payment": rule(BUSINESS, other={"id": ALIEN}),
    "api:payment-receipt": rule(BUSINESS, other={"id": ALIEN}),
    "api:invoices": rule(BUSINESS),
    "api:invoice": rule(BUSINESS, other={"id": ALIEN}),
    "api:invoice-pdf": rule(BUSINESS, other={"id": ALIEN}),
    "api:receipts": rule(BUSINESS),
    "api:receipt": rule(BUSINESS, other={"id": ALIEN}),
    "api:receipt-pdf": rule(BUSINESS, other={"id": ALIEN}),
    "api:plans": rule(BUSINESS, BUSINESS),
    "api:plan": rule(BUSINESS, other={"id": ALIEN}),
    "api:plan-skip": action(BUSINESS, other={"id": ALIEN}),
    "api:plan-pause": action(BUSINESS, other={"id": ALIEN}),
    "api:plan-resume": action(BUSINESS, other={"id": ALIEN}),
    "api:plan-weekdays": action(BUSINESS, other={"id": ALIEN}),
    "api:plan-end": action(BUSINESS, other={"id": ALIEN}),
    "api:sensors": rule(BUSINESS, MANAGERS),
    "api:sensor": rule(BUSINESS, other={"id": ALIEN}),
    "api:sensor-rotate": action(MANAGERS, other={"id": ALIEN}),
    "api:webhook-endpoints": rule(INTEGRATORS, INTEGRATORS),
    "api:webhook-endpoint": rule(INTEGRATORS, other={"id": ALIEN}),
    "api:webhook-endpoint-rotate": action(INTEGRATORS, other={"id": ALIEN}),
    "api:webhook-endpoint-test": action(INTEGRATORS, other={"id": ALIEN}),
    "api:webhook-endpoint-deliveries": rule(INTEGRATORS, other={"id": ALIEN}),
    # A hauler's API: as its portal.
    "api:hauler-offers": rule(OFFICE),
    "api:hauler-offer-accept": action(OFFICE, own=own("offer_api"), other=own("rival_offer_api")),
    "api:hauler-offer-decline": action(OFFICE, own=own("offer_api"), other=own("rival_offer_api")),
    "api:hauler-jobs": rule(OFFICE),
    "api:hauler-ratings": rule(OFFICE),
    "api:hauler-job": rule(HAULER, own=own("job_api"), other=own("rival_job_api")),
    # Completing reads its (multipart, photo) body before the job: tried on the role's own job.
    "api:hauler-job-complete": action(HAULER, own=own("job_api")),
    "api:hauler-job-exception": action(
        HAULER, own=own("job_api"), other=own("rival_job_api"), data={"reason": "blocked", "notes": "Gate shut"}
    ),
    "api:hauler-service-area": rule(OFFICE),
    "api:hauler-rates": rule(OFFICE),
    "api:hauler-trucks": rule(OFFICE, OFFICE),
    "api:hauler-truck": rule(OFFICE, own=own("truck_api"), other=own("rival_truck_api")),
    "api:hauler-disposal-sites": rule(OFFICE, OFFICE),
    "api:hauler-disposal-site": rule(OFFICE, own=own("site_api"), other=own("rival_site_api")),
    "api:hauler-routes": rule(OFFICE),
    "api:hauler-route-move": action(OFFICE),
    # Cases: a business's reports and the hauler's side (tests/marketplace/api/test_cases_api.py walks them).
    "api:cases": rule(BUSINESS, BUSINESS),
    "api:case": rule(BUSINESS, other={"id": ALIEN}),
    "api:case-messages": action(BUSINESS, other={"id": ALIEN}),
    "api:hauler-cases": rule(OFFICE),
    "api:hauler-case": rule(OFFICE, other={"id": ALIEN}),
    "api:hauler-case-messages": action(OFFICE, other={"id": ALIEN}),
}
# fmt: on
# Writes by PUT, which the walk does not send: who may (an owner: rates and the service area are commercial terms).
API_PUTS = {"api:hauler-service-area": H_OWNERS, "api:hauler-rates": H_OWNERS}

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
