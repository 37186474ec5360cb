"""The hauler portal's pages, under /hauler/."""

from django.urls import path
from django.views.generic import RedirectView

from marketplace.web import webhooks
from marketplace.web.hauler import area, cases, day, dispatcher, ratings, reliability, trucks, views

urlpatterns = [
    # The start page sends each role on: the office to its offers, a driver to the day's route.
    path("", RedirectView.as_view(pattern_name="start"), name="hauler_home"),
    path("company/", views.company, name="hauler_company"),
    path("credentials/", views.credentials, name="hauler_credentials"),
    path("credentials/<int:credential_id>/document/", views.credential_document, name="hauler_credential_document"),
    path("area/", area.area, name="hauler_area"),
    path("rates/", views.rates, name="hauler_rates"),
    path("offers/", views.offers, name="hauler_offers"),
    path("offers/list/", views.offer_list, name="hauler_offer_list"),
    path("offers/<int:offer_id>/accept/", views.offer_accept, name="hauler_offer_accept"),
    path("offers/<int:offer_id>/decline/", views.offer_decline, name="hauler_offer_decline"),
    path("jobs/", views.jobs, name="hauler_jobs"),
    path("jobs/<int:pickup_id>/", views.job_detail, name="hauler_job"),
    path("jobs/<int:pickup_id>/complete/", views.job_complete, name="hauler_job_complete"),
    path("jobs/<int:pickup_id>/could-not-service/", views.job_exception, name="hauler_job_exception"),
    path("cases/", cases.hauler_cases, name="hauler_cases"),
    path("cases/<int:case_id>/", cases.hauler_case, name="hauler_case"),
    path("earnings/", views.earnings, name="hauler_earnings"),
    path("ratings/", ratings.hauler_ratings, name="hauler_ratings"),
    path("reliability/", reliability.hauler_reliability, name="hauler_reliability"),
    path("trucks/", trucks.trucks, name="hauler_trucks"),
    path("trucks/<int:truck_id>/", trucks.truck_detail, name="hauler_truck"),
    path("disposal-sites/", trucks.disposal_sites, name="hauler_disposal_sites"),
    path("disposal-sites/<int:site_id>/", trucks.disposal_site_detail, name="hauler_disposal_site"),
    path("day/", day.driver_day, name="hauler_day"),
    path("day/<int:pickup_id>/complete/", day.day_complete, name="hauler_day_complete"),
    path("day/<int:pickup_id>/could-not-service/", day.day_exception, name="hauler_day_exception"),
    path("routes/", dispatcher.routes_day, name="hauler_routes"),
    path("routes/move/", dispatcher.move, name="hauler_route_move"),
    path("routes/replan/", dispatcher.replan, name="hauler_route_replan"),
    path("routes/assign/", dispatcher.assign, name="hauler_route_assign"),
    path("routes/<int:truck_id>/sheet/", dispatcher.route_sheet, name="hauler_route_sheet"),
    # Outbound webhooks (marketplace/web/webhooks.py serves both sides).
    path("webhooks/", webhooks.hauler_webhooks, name="hauler_webhooks"),
    path("webhooks/<int:endpoint_id>/", webhooks.hauler_webhook, name="hauler_webhook"),
    path("webhooks/<int:endpoint_id>/<str:action>/", webhooks.hauler_webhook_action, name="hauler_webhook_action"),
]
