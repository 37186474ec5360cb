"""/api/: the OpenAPI schema, its interactive docs, and version 1 of the business, hauler and sensor APIs."""

from django.urls import path

from marketplace.api import auth, docs, integrations, sensors
from marketplace.api import webhooks as webhook_api
from marketplace.api.business import billing as business_billing
from marketplace.api.business import cases as business_cases
from marketplace.api.business import plans as business_plans
from marketplace.api.business import quotes as business_quotes
from marketplace.api.business import ratings as business_ratings
from marketplace.api.business import receipts as business_receipts
from marketplace.api.business import sensors as business_sensors
from marketplace.api.business import views as business
from marketplace.api.hauler import cases as hauler_cases
from marketplace.api.hauler import fleet
from marketplace.api.hauler import ratings as hauler_ratings
from marketplace.api.hauler import routes as hauler_routes
from marketplace.api.hauler import views as hauler

app_name = "api"

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token/", auth.TokenView.as_view(), name="token"),
    path("v1/locations/", business.LocationListView.as_view(), name="locations"),
    path("v1/locations/<int:id>/", business.LocationDetailView.as_view(), name="location"),
    path("v1/quotes/", business.QuoteView.as_view(), name="quotes"),
    path("v1/pickups/", business.PickupListView.as_view(), name="pickups"),
    path("v1/pickups/<int:id>/", business.PickupDetailView.as_view(), name="pickup"),
    path("v1/pickups/<int:id>/cancel/", business.PickupCancelView.as_view(), name="pickup-cancel"),
]
urlpatterns += [
    path("v1/hauler/offers/", hauler.OfferListView.as_view(), name="hauler-offers"),
    path("v1/hauler/offers/<int:id>/accept/", hauler.OfferAcceptView.as_view(), name="hauler-offer-accept"),
    path("v1/hauler/offers/<int:id>/decline/", hauler.OfferDeclineView.as_view(), name="hauler-offer-decline"),
    path("v1/hauler/jobs/", hauler.JobListView.as_view(), name="hauler-jobs"),
    path("v1/hauler/jobs/<int:id>/", hauler.JobDetailView.as_view(), name="hauler-job"),
    path("v1/hauler/jobs/<int:id>/complete/", hauler.JobCompleteView.as_view(), name="hauler-job-complete"),
    path("v1/hauler/jobs/<int:id>/exception/", hauler.JobExceptionView.as_view(), name="hauler-job-exception"),
    path("v1/hauler/service-area/", hauler.ServiceAreaView.as_view(), name="hauler-service-area"),
    path("v1/hauler/rates/", hauler.RatesView.as_view(), name="hauler-rates"),
    path("v1/hauler/trucks/", fleet.TruckListView.as_view(), name="hauler-trucks"),
    path("v1/hauler/trucks/<int:id>/", fleet.TruckDetailView.as_view(), name="hauler-truck"),
    path("v1/hauler/disposal-sites/", fleet.DisposalSiteListView.as_view(), name="hauler-disposal-sites"),
    path("v1/hauler/disposal-sites/<int:id>/", fleet.DisposalSiteDetailView.as_view(), name="hauler-disposal-site"),
    path("v1/hauler/routes/", hauler_routes.RouteDayView.as_view(), name="hauler-routes"),
    path("v1/hauler/routes/move/", hauler_routes.RouteMoveView.as_view(), name="hauler-route-move"),
]
urlpatterns += [
    path("v1/sensors/readings/", sensors.ReadingIngestView.as_view(), name="sensor-readings"),
    path("v1/integrations/readings/", integrations.BatchIngestView.as_view(), name="integration-readings"),
    path(
        "v1/integrations/things-stack/uplink/",
        integrations.ThingsStackUplinkView.as_view(),
        name="integration-things-stack-uplink",
    ),
]
# Outbound webhooks: a business's or a hauler's endpoints, their secrets, test events and delivery logs.
urlpatterns += [
    path("v1/webhooks/endpoints/", webhook_api.EndpointListView.as_view(), name="webhook-endpoints"),
    path("v1/webhooks/endpoints/<int:id>/", webhook_api.EndpointDetailView.as_view(), name="webhook-endpoint"),
    path(
        "v1/webhooks/endpoints/<int:id>/rotate-secret/",
        webhook_api.EndpointRotateView.as_view(),
        name="webhook-endpoint-rotate",
    ),
    path("v1/webhooks/endpoints/<int:id>/test/", webhook_api.EndpointTestView.as_view(), name="webhook-endpoint-test"),
    path(
        "v1/webhooks/endpoints/<int:id>/deliveries/",
        webhook_api.DeliveryListView.as_view(),
        name="webhook-endpoint-deliveries",
    ),
]
# A business's money, recurring plans, quotes read back, arrival windows and bin sensors.
urlpatterns += [
    path("v1/payments/", business_billing.PaymentListView.as_view(), name="payments"),
    path("v1/payments/<int:id>/", business_billing.PaymentDetailView.as_view(), name="payment"),
    path("v1/payments/<int:id>/receipt/", business_billing.PaymentReceiptView.as_view(), name="payment-receipt"),
    path("v1/billing/receipts/", business_receipts.ReceiptListView.as_view(), name="receipts"),
    path("v1/billing/receipts/<int:id>/", business_receipts.ReceiptDetailView.as_view(), name="receipt"),
    path("v1/billing/receipts/<int:id>/pdf/", business_receipts.ReceiptPdfView.as_view(), name="receipt-pdf"),
    path("v1/invoices/", business_billing.InvoiceListView.as_view(), name="invoices"),
    path("v1/invoices/<int:id>/", business_billing.InvoiceDetailView.as_view(), name="invoice"),
    path("v1/invoices/<int:id>/pdf/", business_billing.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("v1/plans/", business_plans.PlanListView.as_view(), name="plans"),
    path("v1/plans/<int:id>/", business_plans.PlanDetailView.as_view(), name="plan"),
    path("v1/plans/<int:id>/skip/", business_plans.PlanSkipView.as_view(), name="plan-skip"),
    path("v1/plans/<int:id>/pause/", business_plans.PlanPauseView.as_view(), name="plan-pause"),
    path("v1/plans/<int:id>/resume/", business_plans.PlanResumeView.as_view(), name="plan-resume"),
    path("v1/plans/<int:id>/weekdays/", business_plans.PlanWeekdaysView.as_view(), name="plan-weekdays"),
    path("v1/plans/<int:id>/end/", business_plans.PlanEndView.as_view(), name="plan-end"),
    path("v1/quotes/<int:id>/", business_quotes.QuoteDetailView.as_view(), name="quote"),
    path("v1/arrival-windows/", business_quotes.ArrivalWindowListView.as_view(), name="arrival-windows"),
    path("v1/sensors/", business_sensors.SensorListView.as_view(), name="sensors"),
    path("v1/sensors/<int:id>/", business_sensors.SensorDetailView.as_view(), name="sensor"),
    path("v1/sensors/<int:id>/rotate-token/", business_sensors.SensorRotateTokenView.as_view(), name="sensor-rotate"),
]
# Ratings: a business's of its visits, and a hauler's list of its own.
urlpatterns += [
    path("v1/pickups/<int:id>/rating/", business_ratings.PickupRatingView.as_view(), name="pickup-rating"),
    path("v1/hauler/ratings/", hauler_ratings.RatingListView.as_view(), name="hauler-ratings"),
]
# Cases: a business's problem reports and their threads, and the hauler's side of those about its visits.
urlpatterns += [
    path("v1/cases/", business_cases.CaseListView.as_view(), name="cases"),
    path("v1/cases/<int:id>/", business_cases.CaseDetailView.as_view(), name="case"),
    path("v1/cases/<int:id>/messages/", business_cases.CaseMessageView.as_view(), name="case-messages"),
    path("v1/hauler/cases/", hauler_cases.HaulerCaseListView.as_view(), name="hauler-cases"),
    path("v1/hauler/cases/<int:id>/", hauler_cases.HaulerCaseDetailView.as_view(), name="hauler-case"),
    path(
        "v1/hauler/cases/<int:id>/messages/", hauler_cases.HaulerCaseMessageView.as_view(), name="hauler-case-messages"
    ),
]
