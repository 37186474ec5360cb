"""/api/: the OpenAPI schema, its interactive docs, and version 1 of the business API."""

from django.urls import path

from marketplace import api

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
