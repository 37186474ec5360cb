"""The hauler portal's pages, under /hauler/."""

from django.urls import path
from django.views.generic import RedirectView

from marketplace.web.hauler import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="hauler_offers"), name="hauler_home"),
    path("company/", views.company, name="hauler_company"),
    path("credentials/", views.credentials, name="hauler_credentials"),
    path("credentials/<int:credential_id>/document/", views.credential_document, name="hauler_credential_document"),
    path("area/", views.area, name="hauler_area"),
    path("rates/", views.rates, name="hauler_rates"),
    path("offers/", views.offers, name="hauler_offers"),
    path("offers/list/", views.offer_list, name="hauler_offer_list"),
    path("offers/<int:offer_id>/accept/", views.offer_accept, name="hauler_offer_accept"),
    path("offers/<int:offer_id>/decline/", views.offer_decline, name="hauler_offer_decline"),
    path("jobs/", views.jobs, name="hauler_jobs"),
    path("jobs/<int:pickup_id>/", views.job_detail, name="hauler_job"),
    path("jobs/<int:pickup_id>/complete/", views.job_complete, name="hauler_job_complete"),
    path("jobs/<int:pickup_id>/could-not-service/", views.job_exception, name="hauler_job_exception"),
    path("earnings/", views.earnings, name="hauler_earnings"),
]
