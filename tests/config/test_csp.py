"""Content-Security-Policy: the header on every page (in production too), and no inline script or style anywhere.

The policy allows scripts and styles from this site's files only, so any inline <script>, <style>, style="",
onclick="" or javascript: link is refused by the browser. Every page of the URLconf is rendered for every role and
its HTML searched, so a page added later is covered without being named here.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.models import Invoice, Payout
from core.models import User
from customers.models import BusinessRole, Customer
from haulers.models import Credential, DisposalSite, Hauler, HaulerRole, Truck
from marketplace import plans, services
from marketplace.demo import market
from marketplace.demo.day import seed_day
from marketplace.demo.seed import seed_demo
from marketplace.models import Offer, Pickup, ServicePlan
from marketplace.web.hauler import routeview
from sensors import services as sensor_services
from sensors.models import Device
from tests import factories
from tests.billing.support import completed_pickup, disputed, invoice_for, paid_payment, payout_for
from tests.config.test_settings import GOOD_SECRET, run_django

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# The card page alone adds what Stripe.js needs.
STRIPE = {
    "script-src": ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": ["'self'", "https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["'self'", "https://api.stripe.com"],
}
# The pages with payout setup's form, which goes on to Stripe's onboarding (a redirect the form-action must allow).
ONBOARDING = {"form-action": ["'self'", "https://connect.stripe.com"]}
PAGE_ADDITIONS = {"billing_card": STRIPE, "hauler_earnings": ONBOARDING, "payout_connect": ONBOARDING}
# Not pages: the admin has its own test, the API answers JSON, and these answer files or plain text.
NOT_PAGES = ("admin/", "api/", "healthz/", "readyz/", "metrics/", "billing/stripe/webhook/", "operations/bins.json")
# Pages a person opens: each must be seen whole (200) by some role, so the scan cannot pass by reaching none.
MUST_SEE = {
    "home", "dashboard", "book", "billing", "billing_card", "invoice_detail", "invoice_print", "pickup_detail",
    "plan_detail", "location_list", "location_sensors", "hauler_offers", "hauler_jobs", "hauler_job", "hauler_day",
    "hauler_routes", "hauler_route_sheet", "hauler_trucks", "hauler_truck", "hauler_earnings", "operations_map",
    "operations_bin", "team", "notifications", "account_login",
}  # fmt: skip
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


class InlineFinder(HTMLParser):
    """Everything in a page the policy would refuse to run or apply, each as a short description."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            # json_script's <script type="application/json"> is data, never run: the policy does not apply to it.
            self.found.append(f"inline <script {values}>")
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            elif name.startswith("on") or (
                name in ("href", "src", "action", "formaction") and value.lower().startswith("javascript:")
            ):
                self.found.append(f'<{tag} {name}="{value}">')
            elif name.removeprefix("data-").startswith("hx-on"):
                self.found.append(f"<{tag} {name}> (htmx would eval it)")
            elif name.removeprefix("data-") == "hx-trigger" and "[" in value:
                self.found.append(f'<{tag} hx-trigger="{value}"> (an event filter htmx would eval)')
            elif name.removeprefix("data-") in ("hx-vals", "hx-headers", "hx-vars") and (
                value.startswith("js:") or value.startswith("javascript:") or name.endswith("hx-vars")
            ):
                self.found.append(f'<{tag} {name}="{value}"> (htmx would eval it)')

    handle_startendtag = handle_starttag


def inline_in(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found


# --- The finder itself ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        "<style>p { color: red }</style>",
        '<p style="color: red">x</p>',
        '<svg><rect style="fill: red"/></svg>',
        '<button onclick="window.print()">Print</button>',
        '<a href="javascript:void(0)">x</a>',
        '<div hx-on:click="go()"></div>',
        "<div hx-trigger=\"every 20s [!this.querySelector('details[open]')]\"></div>",
        '<div hx-vals="js:{a: 1}"></div>',
    ],
)
def test_the_finder_finds_what_the_policy_refuses(html):
    assert inline_in(html)


def test_the_finder_lets_files_and_data_through():
    html = (
        '<script src="/static/site.js" defer></script><link rel="stylesheet" href="/static/site.css">'
        '<script id="map-data" type="application/json">{"a": "\\u003C/script\\u003E"}</script>'
        '<div hx-get="/x" hx-trigger="every 20s" hx-headers=\'{"X-CSRFToken": "t"}\' data-once></div>'
    )
    assert inline_in(html) == []


# --- The templates' source ------------------------------------------------------------------------------------

SOURCE_PATTERNS = {
    "<style>": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"""\sstyle\s*=\s*["'{]""", re.I),
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
    "event handler attribute": re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_has_inline_script_or_style():
    """Every template file, reached by a URL or not; emails are exempt (mail clients need inline styles)."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".svg", ".txt") or "emails" in path.parts:
            continue
        text = path.read_text()
        for what, pattern in SOURCE_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(TEMPLATES)}:{line}: {what}")
    assert problems == []


# --- Every page, for every role -------------------------------------------------------------------------------


def page_routes():
    """(name, route, keyword names) for every page of the URLconf but the NOT_PAGES."""

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                route = prefix + str(entry.pattern)
                if not route.startswith(NOT_PAGES):
                    regex = entry.pattern.regex
                    yield (
                        entry.name,
                        route,
                        sorted(regex.groupindex) or sorted(getattr(entry.pattern, "converters", {})),
                    )

    seen, routes = set(), []
    for name, route, keywords in walk(get_resolver().url_patterns, ""):
        if name not in seen:  # a name defined twice (allauth's signup, overridden) is reversed once
            seen.add(name)
            routes.append((name, route, keywords))
    return routes


@pytest.fixture
def world(db, settings):
    settings.STRIPE_SECRET_KEY = ""  # payments off: no Stripe needed, and the card page says so
    return demo_world()


def demo_world() -> dict:
    """The demo market (a business, haulers, a routed day) and one of every row a page is about."""
    seed_demo()
    seed_day()
    business = Customer.objects.get(name=market.BUSINESS_NAME)
    hauler = Hauler.objects.get(name=market.HAULER_NAME)
    location = business.locations.filter(archived_at__isnull=True).order_by("pk").first()
    device = sensor_services.register_device(
        by=None, location=location, serial="CSP-0001", waste_stream="trash", container="dumpster_4yd"
    )[0]
    done = completed_pickup(location=location, hauler=hauler, days_ago=40)
    invoice_for(business, [done])
    payout_for(hauler, [paid_payment(completed_pickup(location=location, hauler=hauler)).pickup])
    disputed(paid_payment(completed_pickup(location=location, hauler=hauler, days_ago=5)))
    offered = factories.PickupFactory(
        location=location, status=Pickup.Status.OFFERED, service_date=timezone.localdate() + dt.timedelta(days=2)
    )
    Offer.objects.create(
        pickup=offered,
        hauler=hauler,
        payout_cents=offered.payout_cents,
        answer_by=timezone.now() + dt.timedelta(hours=2),
    )

    weekly = services.create_quote(
        customer=business,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=7),
        frequency="weekly",
        weekdays=0b0000001,  # Mondays
    )
    plans.book_plan(quote=weekly, customer=business)

    def first(queryset):
        return [pk for pk in [queryset.order_by("pk").values_list("pk", flat=True).first()] if pk is not None]

    hauler_day = Pickup.objects.filter(hauler=hauler, status=Pickup.Status.SCHEDULED)
    values = {
        "pickup_id": first(Pickup.objects.filter(customer=business)) + first(hauler_day) + [done.pk],
        "plan_id": first(ServicePlan.objects.filter(customer=business)),
        "location_id": [location.pk],
        "device_id": [device.pk, *first(Device.objects.exclude(pk=device.pk))],
        "invoice_id": first(Invoice.objects.filter(customer=business)),
        "payout_id": first(Payout.objects.filter(hauler=hauler)),
        "offer_id": first(Offer.objects.filter(hauler=hauler, status=Offer.Status.PENDING)),
        "truck_id": first(Truck.objects.filter(hauler=hauler)),
        "site_id": first(DisposalSite.objects.filter(hauler=hauler)),
        "credential_id": first(Credential.objects.filter(hauler=hauler)),
    }
    users = {role: User.objects.get(email=email) for role, email, _ in market.DEMO_LOGINS}
    # Every other role of both sides, for the pages (and parts of pages) each one is shown.
    for role in BusinessRole:
        if f"business {role.value}" not in users:
            membership = factories.CustomerMembershipFactory(customer=business, role=role)
            users[f"business {role.value}"] = membership.user
    for role in HaulerRole:
        if f"hauler {role.value}" not in users:
            users[f"hauler {role.value}"] = factories.HaulerMembershipFactory(hauler=hauler, role=role).user
    return {"values": values, "users": users, "business": business, "hauler": hauler, "device": device}


def urls_for(keywords: list[str], values: dict) -> list[dict]:
    """One URL per candidate row (the first keyword varies; pages here take at most one id that matters)."""
    if not keywords:
        return [{}]
    if any(keyword not in values or not values[keyword] for keyword in keywords):
        return []
    head, *rest = keywords
    return [{head: value, **{keyword: values[keyword][0] for keyword in rest}} for value in values[head]]


def test_every_page_for_every_role_carries_the_policy_and_nothing_inline(client, world):
    problems, seen_whole = [], set()
    roles = {"anonymous": None, **world["users"]}
    routes = page_routes()
    assert len(routes) > 40  # the walk found the site
    for role, user in roles.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, _route, keywords in routes:
            for kwargs in urls_for(keywords, world["values"]):
                url = reverse(name, kwargs=kwargs)
                response = client.get(url)
                if response.status_code == 200:
                    seen_whole.add(name)
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue
                # Those pages' views add Stripe's sources; a refusal before the view runs (a 403) has the site's alone.
                expected = [POLICY]
                if name in PAGE_ADDITIONS:
                    expected = [{**POLICY, **PAGE_ADDITIONS[name]}] + ([POLICY] if response.status_code != 200 else [])
                if policy_of(response) not in expected:
                    problems.append(f"{role} {url} ({response.status_code}): policy {policy_of(response)}")
                for found in inline_in(response.content.decode()):
                    problems.append(f"{role} {url} ({response.status_code}): {found}")
    assert problems == []
    assert MUST_SEE - seen_whole == set()


def test_every_admin_page_for_staff_has_nothing_inline(client, world):
    """The admin (Django's own templates, the packages' and ours): each model's list, add and change page."""
    client.force_login(world["users"]["staff"])
    problems, pages = [], 0
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls = [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
        row = model.objects.order_by("pk").first()
        if row is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
        for url in urls:
            response = client.get(url)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                pages += 1
                problems += [f"{url}: {found}" for found in inline_in(response.content.decode())]
    assert problems == []
    assert pages > 2 * len(admin.site._registry)  # lists and forms, not just refusals


# --- Production -----------------------------------------------------------------------------------------------


def test_production_sends_the_policy_too():
    code = (
        "import django; django.setup();"
        "from django.test import Client, override_settings;"
        # Plain static storage: the manifest would need collectstatic first (the page, not the header, needs it).
        "plain = {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'};"
        "from django.conf import settings;"
        "override_settings(STORAGES={**settings.STORAGES, 'staticfiles': plain}).enable();"
        "r = Client().get('/accounts/login/', secure=True, headers={'host': 'haulmatch.example'});"
        "print(r.status_code); print(r.headers.get('Content-Security-Policy', ''))"
    )
    result = run_django(
        ["-c", code],
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="haulmatch.example",
        MAP_TILE_URL="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
    )
    assert result.returncode == 0, result.stderr
    status, header = result.stdout.strip().splitlines()
    assert status == "200"
    directives = {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}
    assert directives == {**POLICY, "img-src": ["'self'", "data:", "https://*.tile.openstreetmap.org"]}


def test_every_truck_colour_has_its_class_in_the_stylesheet():
    """Route pages colour a truck by class (truck-<hex digits>), no longer by a style attribute."""
    css = (Path(settings.BASE_DIR) / "static/site.css").read_text()
    for colour in routeview.COLOURS:
        assert f".truck-{colour.removeprefix('#')} {{ --truck: {colour}; }}" in css


@pytest.mark.parametrize(
    "url", ["tiles.example/{z}/{x}/{y}.png", "https://{s}-tiles.example/{z}/{x}/{y}.png", "ftp://tiles.example/{z}"]
)
def test_a_tile_url_the_policy_could_not_name_stops_the_start(url):
    result = run_django(["-c", "import django; django.setup()"], MAP_TILE_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured: MAP_TILE_URL" in result.stderr
