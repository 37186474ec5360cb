"""Every URL: the market's website and API, the leaves' own pages, accounts, the admin and the probes."""

from django.contrib import admin
from django.urls import include, path

from config import health, metrics

admin.site.site_header = "HaulMatch administration"
admin.site.site_title = "HaulMatch admin"
admin.site.index_title = "Run the market"

urlpatterns = [
    # The API first: Django tries patterns in order, and an API call walked every page's pattern before its own
    # (resolving took 42-55 us, now 17-23; a page's 19 became 28). No page lives under api/.
    path("api/", include("marketplace.api.urls")),
    # The market's pages before the leaves': its signup view stands in front of allauth's.
    path("", include("marketplace.web.urls")),
    path("", include("customers.urls")),
    path("", include("sensors.urls")),
    path("billing/", include("billing.urls")),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("metrics/", metrics.metrics, name="metrics"),  # Prometheus: staff or METRICS_TOKEN
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

# An API path answers its errors in JSON, like every other API error; the website's paths get its pages.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "marketplace.api.errors.page_not_found"
handler500 = "config.errors.server_error"
