"""The role matrix's table: the roles, and for each URL of the website and the API who may use it (and with what)."""

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
