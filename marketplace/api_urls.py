"""/api/: the OpenAPI schema, its interactive docs, and version 1 of the business and hauler APIs."""

from django.urls import path

from marketplace import api, hauler_api, sensor_api

app_name = "api"

urlpatterns = [
    path("schema/", api.SchemaView.as_view(), name="schema"),
    path("docs/", api.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token/", api.TokenView.as_view(), name="token"),
    path("v1/locations/", api.LocationListView.as_view(), name="locations"),
    path("v1/locations/<int:id>/", api.LocationDetailView.as_view(), name="location"),
    path("v1/quotes/", api.QuoteView.as_view(), name="quotes"),
    path("v1/pickups/", api.PickupListView.as_view(), name="pickups"),
    path("v1/pickups/<int:id>/", api.PickupDetailView.as_view(), name="pickup"),
    path("v1/pickups/<int:id>/cancel/", api.PickupCancelView.as_view(), name="pickup-cancel"),
]
urlpatterns += [
    path("v1/hauler/offers/", hauler_api.OfferListView.as_view(), name="hauler-offers"),
    path("v1/hauler/offers/<int:id>/accept/", hauler_api.OfferAcceptView.as_view(), name="hauler-offer-accept"),
    path("v1/hauler/offers/<int:id>/decline/", hauler_api.OfferDeclineView.as_view(), name="hauler-offer-decline"),
    path("v1/hauler/jobs/", hauler_api.JobListView.as_view(), name="hauler-jobs"),
    path("v1/hauler/jobs/<int:id>/", hauler_api.JobDetailView.as_view(), name="hauler-job"),
    path("v1/hauler/jobs/<int:id>/complete/", hauler_api.JobCompleteView.as_view(), name="hauler-job-complete"),
    path("v1/hauler/jobs/<int:id>/exception/", hauler_api.JobExceptionView.as_view(), name="hauler-job-exception"),
    path("v1/hauler/service-area/", hauler_api.ServiceAreaView.as_view(), name="hauler-service-area"),
    path("v1/hauler/rates/", hauler_api.RatesView.as_view(), name="hauler-rates"),
]
urlpatterns += [
    path("v1/sensors/readings/", sensor_api.ReadingIngestView.as_view(), name="sensor-readings"),
]
