"""The website's pages: the business side, its bin pages, accounts of either side, and the hauler portal."""

from django.urls import include, path

from marketplace.web import case_pages, public, webhooks
from marketplace.web.accounts import views as accounts
from marketplace.web.business import bins
from marketplace.web.business import cases as business_cases
from marketplace.web.business import ratings as business_ratings
from marketplace.web.business import views as business
from marketplace.web.operations import views as operations

urlpatterns = [
    path("", business.home, name="home"),
    path("start/", accounts.start, name="start"),
    path("coverage/", business.coverage, name="coverage"),
    path("onboarding/", business.onboarding, name="onboarding"),
    path("dashboard/", business.dashboard, name="dashboard"),
    path("book/", business.book, name="book"),
    path("quotes/<int:quote_id>/book/", business.book_quote, name="book_quote"),
    path("pickups/<int:pickup_id>/", business.pickup_detail, name="pickup_detail"),
    path("pickups/<int:pickup_id>/cancel/", business.pickup_cancel, name="pickup_cancel"),
    path("pickups/<int:pickup_id>/move/", business.pickup_move, name="pickup_move"),
    path("pickups/<int:pickup_id>/proof/photo/", business.pickup_proof_photo, name="pickup_proof_photo"),
    path("pickups/<int:pickup_id>/rating/", business_ratings.pickup_rating, name="pickup_rating"),
    path("pickups/<int:pickup_id>/report/", business_cases.case_report, name="case_report"),
    path("cases/", business_cases.case_list, name="case_list"),
    path("cases/<int:case_id>/", business_cases.case_detail, name="case_detail"),
    # A case's photos and its visit's proof, to the case's business, its hauler's office and staff alike.
    path("cases/<int:case_id>/photos/<int:message_id>/", case_pages.case_photo, name="case_photo"),
    path("cases/<int:case_id>/proof/", case_pages.case_proof_photo, name="case_proof_photo"),
    path("plans/<int:plan_id>/", business.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/<str:action>/", business.plan_change, name="plan_change"),
    path("notifications/", accounts.notification_list, name="notifications"),
    path("notifications/preferences/", accounts.notification_preferences, name="notification_preferences"),
    path("locations/<int:location_id>/sensors/", bins.location_sensors, name="location_sensors"),
    # Outbound webhooks (the hauler's are under /hauler/webhooks/).
    path("webhooks/", webhooks.business_webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", webhooks.business_webhook, name="webhook"),
    path("webhooks/<int:endpoint_id>/<str:action>/", webhooks.business_webhook_action, name="webhook_action"),
    path("hauler/", include("marketplace.web.hauler.urls")),
    path("operations/", operations.operations_map, name="operations_map"),
    path("operations/bins.json", operations.operations_bins, name="operations_bins"),
    path("operations/bins/<int:device_id>/", operations.operations_bin, name="operations_bin"),
    path("invitations/<str:token>/", accounts.invitation, name="invitation"),
    path("team/", accounts.team, name="team"),
    path("team/<str:kind>/<int:membership_id>/remove/", accounts.remove_member, name="remove_member"),
    path("team/<str:kind>/<int:membership_id>/role/", accounts.change_role, name="change_role"),
    path("team/<str:kind>/<int:membership_id>/make-owner/", accounts.transfer_ownership, name="transfer_ownership"),
    path("accounts/signup/", accounts.SignupView.as_view(), name="account_signup"),
    # Pages anyone may read, and the icon browsers ask for on pages that name none.
    path("how-it-works/", public.how_it_works, name="how_it_works"),
    path("pricing/", public.pricing, name="pricing"),
    path("for-haulers/", public.for_haulers, name="for_haulers"),
    path("terms/", public.terms, name="terms"),
    path("privacy/", public.privacy, name="privacy"),
    path("favicon.ico", public.favicon, name="favicon"),
]
