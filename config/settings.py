"""HaulMatch settings: one module, driven by environment variables.

With no variables at all it runs the embedded default: SQLite in the project folder,
Celery tasks in-process, email to the console, DEBUG on. The README's configuration
table lists every variable read here.
"""

import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config import env, sentry
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env.choice("DJANGO_ENV", ("development", "production"), "development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.boolean("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG: must be off when DJANGO_ENV=production")

_DEV_SECRET = "django-insecure-development-only-never-use-this-key-in-production"
SECRET_KEY = env.string("SECRET_KEY", None if PRODUCTION else _DEV_SECRET)
ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION:
    missing = [name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value]
    if missing:
        raise ImproperlyConfigured(f"{', '.join(missing)}: required when DJANGO_ENV=production")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure-"):
        raise ImproperlyConfigured("SECRET_KEY: must be at least 50 random characters in production")
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # the site's 403 page, not Django's bare one

INSTALLED_APPS = [
    "core.admin_apps.StaffAdminConfig",  # django.contrib.admin with the staff site (core/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "core",
    "customers",
    "haulers",
    "billing",
    "sensors",
    "marketplace",
]

MIDDLEWARE = [
    # First, so every answer (a redirect to https too) carries the request id and its log line times it all.
    "core.request_id.RequestIdMiddleware",
    # Next, before any work: a request that waited in gunicorn's queue past LOAD_SHED_WAIT_SECONDS (nginx's
    # X-Request-Start says since when) is answered 503 with Retry-After, its client's wait not made longer.
    "core.load_shed.LoadShedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers are private and revalidated (core/http_cache.py); a 200 gets an ETag of its body and a matching
    # If-None-Match an empty 304.
    "django.middleware.http.ConditionalGetMiddleware",
    "core.http_cache.PrivateByDefaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (see "Content-Security-Policy" below)
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.web.middleware.DomainErrorMiddleware",
    # After the CSRF check: a form or query string holding a control character is a 400 naming the field.
    "core.plain_text.PlainTextMiddleware",
]
# core/load_shed.py (0: off). A second: longer than requests wait at any rate the server keeps up with, so it never
# sheds below saturation; short enough that past it every client has an answer within 2 s.
LOAD_SHED_WAIT_SECONDS = float(env.decimal("LOAD_SHED_WAIT_SECONDS", "1", minimum="0", maximum="60"))
LOAD_SHED_RETRY_AFTER_SECONDS = env.integer("LOAD_SHED_RETRY_AFTER_SECONDS", 2, minimum=1, maximum=3600)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("DATABASE_CONN_MAX_AGE", 60 if PRODUCTION else 0, minimum=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run this many times on one connection is prepared there:
    # PostgreSQL plans the hot joins once per connection instead of once per request (the pickup detail's
    # seven-table join spends 1.1 ms planning and 0.1 ms running). 0 turns preparing off.
    threshold = env.integer("DATABASE_PREPARE_THRESHOLD", 5, minimum=0)
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "server_side_binding": True,
        "prepare_threshold": threshold or None,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions kept in the database and read through the cache: a signed-in page's session costs a cache read, not
# a query (written to both; a cache that loses it falls back to the row).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, loading a page's user with both seats in one query (core/auth_backends.py)...
    "core.auth_backends.ModelBackend",
    "core.auth_backends.AllauthBackend",
    # ...and themselves, for sessions signed in before (a session names the backend that signed it in).
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.choice(
    "ACCOUNT_EMAIL_VERIFICATION", ("mandatory", "optional", "none"), "mandatory" if PRODUCTION else "optional"
)
if PRODUCTION and ACCOUNT_EMAIL_VERIFICATION != "mandatory":
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION: must be mandatory when DJANGO_ENV=production")
ACCOUNT_FORMS = {"signup": "marketplace.web.accounts.forms.SignupForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
LOGIN_REDIRECT_URL = "start"
ACCOUNT_SIGNUP_REDIRECT_URL = "start"
LOGIN_URL = "account_login"

# --- Email ------------------------------------------------------------------------------
globals().update(env.email("EMAIL_URL", "consolemail://"))  # EMAIL_BACKEND, EMAIL_HOST, ...
# The console prints one line per email (to, subject); EMAIL_CONSOLE_FULL=true prints each whole message.
EMAIL_CONSOLE_FULL = env.boolean("EMAIL_CONSOLE_FULL", False)
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend" and not EMAIL_CONSOLE_FULL:  # noqa: F821
    EMAIL_BACKEND = "core.mail.OneLineConsoleBackend"
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "HaulMatch <no-reply@haulmatch.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people write for help (the footer, the error pages): support@ the sender's domain unless set.
SUPPORT_EMAIL = env.string(
    "SUPPORT_EMAIL", "support@" + (DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip("> ") or "haulmatch.localhost")
)

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(BASE_DIR / "staticfiles")))  # collectstatic writes here (deploy)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The manifest storage needs collectstatic first; development and tests serve files as they are.
    "staticfiles": {
        "BACKEND": "config.staticfiles.StaticFilesStorage"  # whitenoise's, less source maps
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
# The zone staff read and type times in across the admin (core.admin_site): the market's wall clock.
STAFF_TIME_ZONE = env.string("STAFF_TIME_ZONE", "America/Chicago")
if STAFF_TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"STAFF_TIME_ZONE: {STAFF_TIME_ZONE!r} is not a time zone (e.g. America/Chicago)")
USE_I18N = True
USE_TZ = True

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.api.authentication.SeatedTokenAuthentication",  # DRF's, with the seat in the same query
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bounded JSON: size per view, nesting depth, finite numbers, no control characters (a 400, never a 500).
    "DEFAULT_PARSER_CLASSES": ["marketplace.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Service errors (ValidationError, Conflict, NotFound) become 400, 409 and 404 here, once.
    "EXCEPTION_HANDLER": "marketplace.api.errors.exception_handler",
    # The client address for rate limits: how many proxies in front of gunicorn append to X-Forwarded-For.
    "NUM_PROXIES": env.integer("NUM_PROXIES", 0 if not PRODUCTION else 1, minimum=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HaulMatch API",
    "DESCRIPTION": "Book commercial waste pickups; haulers answer offers and record proof of service.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models call their statuses "status": each set gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "PickupStatusEnum": "marketplace.models.pickups.Pickup.Status",
        "PlanStatusEnum": "marketplace.models.plans.ServicePlan.Status",
        "InvoiceStatusEnum": "billing.models.Invoice.Status",
    },
}

# --- Celery -----------------------------------------------------------------------------
# Without a broker, tasks run in-process so the embedded default needs nothing else running.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks go to, and workers consume, this queue: environments (or test runs) can share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.string("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged after it ran, so a worker that dies mid-task leaves it for another;
# tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Redis re-delivers an unacknowledged task after this long; it must exceed the longest countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    # Answer-by times are rows swept here, not Celery ETAs: nothing waits hours in the broker.
    "expire-offers": {"task": "marketplace.expire_offers", "schedule": timedelta(minutes=1)},
    # A requested pickup whose dispatch task was lost (broker down at commit) is sent again.
    "dispatch-stale": {"task": "marketplace.dispatch_stale", "schedule": timedelta(minutes=5)},
    "check-compliance": {"task": "marketplace.check_compliance", "schedule": timedelta(hours=1)},
    "generate-plan-visits": {"task": "marketplace.generate_all_plan_visits", "schedule": timedelta(hours=6)},
    "skip-empty-visits": {"task": "marketplace.skip_empty_visits", "schedule": timedelta(minutes=15)},
    # Fleet alarms: every bin's rules, one sweep (a constant number of queries, however many bins).
    "check-alarms": {"task": "marketplace.check_alarms", "schedule": timedelta(minutes=5)},
    "send-reminders": {"task": "marketplace.send_reminders", "schedule": timedelta(minutes=15)},
    "detect-missed": {"task": "marketplace.detect_missed", "schedule": timedelta(minutes=15)},
    "retry-payments": {"task": "marketplace.retry_payments", "schedule": timedelta(minutes=15)},
    "issue-invoices": {"task": "marketplace.issue_invoices", "schedule": timedelta(hours=6)},
    "retry-stripe-events": {"task": "billing.retry_events", "schedule": timedelta(minutes=15)},
    "retry-refunds": {"task": "billing.retry_refunds", "schedule": timedelta(minutes=15)},
    # Mondays 06:00 UTC: last week's paid jobs go out to haulers.
    "run-payouts": {"task": "billing.run_payouts", "schedule": crontab(minute=0, hour=6, day_of_week=1)},
    # Outbound webhooks whose next attempt is due (a lost delivery task included).
    "retry-webhooks": {"task": "marketplace.retry_webhooks", "schedule": timedelta(minutes=1)},
    "prune-webhook-log": {"task": "marketplace.prune_webhook_log", "schedule": crontab(minute=30, hour=4)},
    # Reliability scores move with their 90 days even when nothing happens (marketplace/reliability.py).
    "refresh-reliability": {"task": "marketplace.refresh_reliability", "schedule": crontab(minute=15, hour=5)},
}

# --- Market -----------------------------------------------------------------------------
CURRENCY = env.choice("CURRENCY", ("usd",), "usd")
# The customer price is the best hauler's price plus this fee (percent, rounded half-up to the cent) ...
FEE_PERCENT = env.decimal("FEE_PERCENT", "20", minimum="0", maximum="100")
# ... and never less than this many cents.
MIN_FEE_CENTS = env.integer("MIN_FEE_CENTS", 500, minimum=0)
# The margin guard: no offer pays a hauler more than the customer price minus this.
FLOOR_MARGIN_CENTS = env.integer("FLOOR_MARGIN_CENTS", 300, minimum=0)
if FLOOR_MARGIN_CENTS > MIN_FEE_CENTS:
    # otherwise the best hauler's own quote could fail the guard
    raise ImproperlyConfigured("FLOOR_MARGIN_CENTS: must not exceed MIN_FEE_CENTS")
QUOTE_TTL = env.duration("QUOTE_TTL", "24h")
OFFER_TTL = env.duration("OFFER_TTL", "2h")
SAME_DAY_OFFER_TTL = env.duration("SAME_DAY_OFFER_TTL", "30m")
OFFER_FANOUT = env.integer("OFFER_FANOUT", 1, minimum=1, maximum=20)
BOOKING_MIN_NOTICE = env.duration("BOOKING_MIN_NOTICE", "2h")
# Cancelling later than this before the window opens costs CANCELLATION_FEE_CENTS.
CANCELLATION_CUTOFF = env.duration("CANCELLATION_CUTOFF", "24h")
CANCELLATION_FEE_CENTS = env.integer("CANCELLATION_FEE_CENTS", 2500, minimum=0)
if 0 < CANCELLATION_FEE_CENTS < 50:  # Stripe charges nothing smaller: such a fee could never be collected
    raise ImproperlyConfigured("CANCELLATION_FEE_CENTS: must be 0 or at least 50")
# Cases: a visit can be reported this many days after its service date; staff settle a case within these hours.
CASE_REPORT_DAYS = env.integer("CASE_REPORT_DAYS", 30, minimum=1, maximum=365)
CASE_RESPONSE_HOURS = env.integer("CASE_RESPONSE_HOURS", 48, minimum=1, maximum=24 * 30)
# The arrival windows a business picks from when it books (local time at the location); the first is the default.
ARRIVAL_WINDOWS = env.time_windows("ARRIVAL_WINDOWS", "07:00-17:00,07:00-11:00,11:00-15:00,13:00-17:00")
PICKUP_WINDOW = ARRIVAL_WINDOWS[0]
# Routes: distances from an OSRM-compatible road-network service when ROUTING_URL is set, otherwise straight
# lines times ROUTING_CIRCUITY at ROUTING_SPEED_KMH. A re-plan searches as long as its day's size
# needs (routing.solver.production_time_limit_s), at most ROUTE_SOLVE_SECONDS.
ROUTING_URL = env.string("ROUTING_URL", "")
ROUTING_CIRCUITY = float(env.decimal("ROUTING_CIRCUITY", "1.3", minimum="1", maximum="3"))
ROUTING_SPEED_KMH = float(env.decimal("ROUTING_SPEED_KMH", "35", minimum="5", maximum="120"))
# In-process (no REDIS_URL) a re-plan holds up the request that caused it, so it gets a short limit.
ROUTE_SOLVE_SECONDS = float(
    env.decimal("ROUTE_SOLVE_SECONDS", "0.5" if CELERY_TASK_ALWAYS_EAGER else "2", minimum="0.05", maximum="60")
)
# Map tiles for route maps, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty draws stops and lines only.
MAP_TILE_URL = env.string("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env.string("MAP_TILE_ATTRIBUTION", "")
# Rank equally priced haulers by the km the stop adds to their route that day (an empty truck's opening trip
# shared over its stops per shift) instead of depot distance. Off: over a simulated market day of requests
# matched as they arrive (make bench, market_km_ratio_route_aware) it drove about as many km, not fewer.
MATCH_ROUTE_AWARE = env.boolean("MATCH_ROUTE_AWARE", False)
# Matching ranks by payout x (1 + MATCH_RELIABILITY_WEIGHT x (1 - reliability score)); haulers scoring under
# MATCH_MIN_RELIABILITY get no offer while one at or above it is eligible (marketplace/matching.py).
MATCH_RELIABILITY_WEIGHT = env.decimal("MATCH_RELIABILITY_WEIGHT", "0.5", minimum="0", maximum="5")
MATCH_MIN_RELIABILITY = env.decimal("MATCH_MIN_RELIABILITY", "0.6", minimum="0", maximum="1")
# More than LOCKOUT_MAX_GIVE_BACKS jobs given back or offers let expire within LOCKOUT_PERIOD pause a hauler's
# offers for LOCKOUT_PERIOD (marketplace/lockouts.py); staff can lift a pause in the Hauler admin.
LOCKOUT_MAX_GIVE_BACKS = env.integer("LOCKOUT_MAX_GIVE_BACKS", 3, minimum=1)
LOCKOUT_PERIOD = env.duration("LOCKOUT_PERIOD", "24h")
# How far ahead a plan's visits are created (and so show up in schedules).
PLAN_HORIZON = env.duration("PLAN_HORIZON", "14d")
# How long after a visit is done the business may rate it (or change its rating).
RATING_WINDOW_DAYS = env.integer("RATING_WINDOW_DAYS", 14, minimum=1, maximum=365)
STAFF_ALERT_EMAILS = env.csv("STAFF_ALERT_EMAILS", [])
# Text messages (new offers to haulers): "console" logs them, "email" mails <number>@SMS_EMAIL_DOMAIN.
SMS_BACKEND = env.choice("SMS_BACKEND", ("console", "email"), "console")
SMS_EMAIL_DOMAIN = env.string("SMS_EMAIL_DOMAIN", "sms.example.invalid")
# Links in emails point here.
SITE_URL = env.string("SITE_URL", "http://127.0.0.1:8000")

# --- Bin sensors: fleet alarms (sensors/alarms.py, marketplace/alarms.py) ---------------
# Each alarm opens once per bin and kind and closes itself when its condition clears. The rules run for every bin
# every five minutes (CELERY_BEAT_SCHEDULE, check-alarms) and for a bin right after its readings arrive.
# Offline: no reading for this many of the device's reporting intervals.
SENSOR_ALARM_OFFLINE_INTERVALS = env.integer("SENSOR_ALARM_OFFLINE_INTERVALS", 2, minimum=1, maximum=100)
# Battery low: forecast to run out within this long, or its latest level at or below this percent.
SENSOR_ALARM_BATTERY_WITHIN = env.duration("SENSOR_ALARM_BATTERY_WITHIN", "30d")
SENSOR_ALARM_BATTERY_PERCENT = env.integer("SENSOR_ALARM_BATTERY_PERCENT", 10, minimum=0, maximum=100)
# Impossible values close once the device has sent only valid readings for this long.
SENSOR_ALARM_VALID_FOR = env.duration("SENSOR_ALARM_VALID_FOR", "1d")
# Physically implausible: fill rising faster than this many points an hour, sustained over at least this long
# (three readings or more): no bin fills that fast for hours, a sensor seeing its own lid or a wall does.
SENSOR_ALARM_MAX_FILL_PER_HOUR = env.integer("SENSOR_ALARM_MAX_FILL_PER_HOUR", 30, minimum=1, maximum=100)
SENSOR_ALARM_MAX_FILL_OVER = env.duration("SENSOR_ALARM_MAX_FILL_OVER", "2h")
# Fire: the latest reading at or above this temperature (°C).
SENSOR_ALARM_TEMPERATURE_C = env.decimal("SENSOR_ALARM_TEMPERATURE_C", "70", minimum="0", maximum="150")
# Tipped over: the latest reading's tilt from upright at or above this many degrees.
SENSOR_ALARM_TILT_DEGREES = env.integer("SENSOR_ALARM_TILT_DEGREES", 45, minimum=1, maximum=180)
# Overflow risk: forecast full before the next visit's window opens, or, with no visit booked, within this long.
SENSOR_ALARM_OVERFLOW_HORIZON = env.duration("SENSOR_ALARM_OVERFLOW_HORIZON", "2d")
# Fill not dropping: the readings from this long after a completed visit (at least SENSOR_ALARM_EMPTIED_READINGS
# of them, looked at for SENSOR_ALARM_EMPTIED_LOOKBACK after it) all still at or above the bin's collect mark.
SENSOR_ALARM_EMPTIED_GRACE = env.duration("SENSOR_ALARM_EMPTIED_GRACE", "2h")
SENSOR_ALARM_EMPTIED_READINGS = env.integer("SENSOR_ALARM_EMPTIED_READINGS", 2, minimum=1, maximum=50)
SENSOR_ALARM_EMPTIED_LOOKBACK = env.duration("SENSOR_ALARM_EMPTIED_LOOKBACK", "3d")

# --- Billing (Stripe) -------------------------------------------------------------------
# Without a secret key payments are off: nothing is charged and booking needs no card.
STRIPE_SECRET_KEY = env.string("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env.string("STRIPE_PUBLISHABLE_KEY", "")
# Where the Stripe client sends requests (empty: Stripe itself; e.g. a local stand-in in development).
STRIPE_API_BASE = env.string("STRIPE_API_BASE", "")
STRIPE_API_VERSION = env.string("STRIPE_API_VERSION", "")
STRIPE_WEBHOOK_SECRET = env.string("STRIPE_WEBHOOK_SECRET", "")
# Webhooks signed longer ago than this (seconds) are refused, as replays.
STRIPE_WEBHOOK_TOLERANCE = env.integer("STRIPE_WEBHOOK_TOLERANCE", 300, minimum=1)
STRIPE_MAX_NETWORK_RETRIES = env.integer("STRIPE_MAX_NETWORK_RETRIES", 2, minimum=0, maximum=5)
# Seconds one request to Stripe may take; with its retries it stays inside a task's time limit.
STRIPE_TIMEOUT_SECONDS = env.integer("STRIPE_TIMEOUT_SECONDS", 15, minimum=1, maximum=80)
# Prepended to every idempotency key: environments sharing one Stripe account must not share keys.
STRIPE_IDEMPOTENCY_PREFIX = env.string("STRIPE_IDEMPOTENCY_PREFIX", "")
STRIPE_CONNECT_COUNTRY = env.string("STRIPE_CONNECT_COUNTRY", "US")
if PRODUCTION and STRIPE_SECRET_KEY and STRIPE_API_BASE:
    raise ImproperlyConfigured("STRIPE_API_BASE: must be empty in production")
# A declined payment is retried after each of these delays; after the last it waits for a new card.
PAYMENT_RETRY_SCHEDULE = [env.duration("PAYMENT_RETRY_" + str(n), d) for n, d in enumerate(("1d", "3d", "5d"), 1)]
# This many failed payments in a row pause the business's new bookings until its card is fixed.
PAYMENT_FAILURES_BEFORE_PAUSE = env.integer("PAYMENT_FAILURES_BEFORE_PAUSE", 3, minimum=1)
# A month is invoiced this long after it ends, so visits on its last evening (anywhere in the US) are done by then.
INVOICE_GRACE = env.duration("INVOICE_GRACE", "2d")
# A pickup the hauler missed credits the business this much (0 turns it off).
MISSED_PICKUP_CREDIT_CENTS = env.integer("MISSED_PICKUP_CREDIT_CENTS", 2500, minimum=0)

# --- Outbound webhooks ------------------------------------------------------------------
# One attempt waits this long (seconds) for the receiver's answer.
WEBHOOK_TIMEOUT_SECONDS = env.integer("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=30)
# A failed delivery is tried again after each of these delays (the last one repeating) ...
WEBHOOK_RETRY_SCHEDULE = [
    env.duration(f"WEBHOOK_RETRY_{n}", d) for n, d in enumerate(("1m", "5m", "30m", "2h", "6h", "12h"), 1)
]
# ... until this long after the event (the last attempt falls exactly then); after that it has failed.
WEBHOOK_RETRY_FOR = env.duration("WEBHOOK_RETRY_FOR", "1d")
# After a secret is rotated, the old one keeps signing (a second v1 signature) this long by default.
WEBHOOK_SECRET_OVERLAP = env.duration("WEBHOOK_SECRET_OVERLAP", "1d")
# Private, loopback and reserved addresses are refused in production (a webhook must not reach the
# platform's own network); development, tests and the demo deliver to 127.0.0.1.
WEBHOOK_ALLOW_PRIVATE_URLS = env.boolean("WEBHOOK_ALLOW_PRIVATE_URLS", default=not PRODUCTION)
WEBHOOK_REQUIRE_HTTPS = env.boolean("WEBHOOK_REQUIRE_HTTPS", default=PRODUCTION)
# The delivery log keeps sent and given-up deliveries this long (a daily beat prunes older ones).
WEBHOOK_LOG_RETENTION = env.duration("WEBHOOK_LOG_RETENTION", "30d")

# --- Content-Security-Policy (django-csp) ----------------------------------------------
# Every page, in every environment: scripts and styles only from this site's own files (no inline ones), images
# also from data: URLs and the map tile server, no plugins, no framing. The card page adds exactly what Stripe.js
# needs, on that view alone (billing/views.py).
_TILE_ORIGIN = urlsplit(MAP_TILE_URL)
# A tile URL's {s} subdomain placeholder becomes a wildcard: the map asks a.tile..., b.tile... in turn.
_TILE_HOST = _TILE_ORIGIN.netloc.replace("{s}", "*")
# A policy names hosts, at most with a leading "*.": anything else would be ignored by browsers, and the tiles refused.
if MAP_TILE_URL and (
    _TILE_ORIGIN.scheme not in ("http", "https")
    or "{" in _TILE_HOST
    or not _TILE_HOST.removeprefix("*.").strip("*")
    or "*" in _TILE_HOST.removeprefix("*.")
):
    raise ImproperlyConfigured("MAP_TILE_URL: must be an http(s) URL whose host is a name (or {s}. before one)")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"] + ([f"{_TILE_ORIGIN.scheme}://{_TILE_HOST}"] if _TILE_HOST else []),
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Security (production) --------------------------------------------------------------
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    X_FRAME_OPTIONS = "DENY"

# --- Operations: logs, errors, metrics, the proxy in front (config/logging.py, sentry.py, metrics.py) ---------
# One JSON object a line in production, with the request id that follows a request into its tasks.
LOG_FORMAT = env.choice("LOG_FORMAT", ("json", "console"), "json" if PRODUCTION else "console")
LOG_LEVEL = env.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# LOG_FILE (`make run` sets run.log): every log line and runserver's access log go to the file instead, and only
# errors still show on the console, so the terminal keeps what needs a person: errors, emails, the server's address.
LOG_FILE = env.string("LOG_FILE", "")
if LOG_FILE:
    LOGGING["handlers"]["file"] = {**LOGGING["handlers"]["console"], "class": "logging.FileHandler"}
    LOGGING["handlers"]["file"].update(filename=LOG_FILE, encoding="utf-8")
    LOGGING["handlers"]["console"]["level"] = "ERROR"
    LOGGING["root"]["handlers"] = ["console", "file"]
    LOGGING["loggers"]["django.server"] = {"handlers": ["file"], "level": "INFO", "propagate": False}
# The worker and beat log as LOGGING says, not in Celery's own format (config/celery.py).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Errors (web and tasks) to Sentry when set; without it the SDK is not even started.
SENTRY_DSN = env.string("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env.string("SENTRY_ENVIRONMENT", DJANGO_ENV)
SENTRY_TRACES_SAMPLE_RATE = float(env.decimal("SENTRY_TRACES_SAMPLE_RATE", "0", minimum="0", maximum="1"))
if SENTRY_DSN:
    sentry.start(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
# /metrics/ (Prometheus) answers a staff session or `Authorization: Bearer <METRICS_TOKEN>`; others get a 404.
METRICS_TOKEN = env.string("METRICS_TOKEN", "")
# The login rate limits (allauth) count the same client address as the API's (NUM_PROXIES above): the
# X-Forwarded-For entry the nearest trusted proxy added (deploy/nginx: one proxy, so the last entry).
ALLAUTH_TRUSTED_PROXY_COUNT = REST_FRAMEWORK["NUM_PROXIES"]
