from django.contrib import admin
from django.urls import include, path

from marketplace import bin_views, health, views

admin.site.site_header = "HaulMatch administration"
admin.site.site_title = "HaulMatch admin"
admin.site.index_title = "Run the market"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("coverage/", views.coverage, name="coverage"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("book/", views.book, name="book"),
    path("quotes/<int:quote_id>/book/", views.book_quote, name="book_quote"),
    path("pickups/<int:pickup_id>/", views.pickup_detail, name="pickup_detail"),
    path("pickups/<int:pickup_id>/cancel/", views.pickup_cancel, name="pickup_cancel"),
    path("pickups/<int:pickup_id>/move/", views.pickup_move, name="pickup_move"),
    path("pickups/<int:pickup_id>/proof/photo/", views.pickup_proof_photo, name="pickup_proof_photo"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_id>/<str:action>/", views.plan_change, name="plan_change"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("locations/<int:location_id>/sensors/", bin_views.location_sensors, name="location_sensors"),
    path("", include("customers.urls")),
    path("", include("sensors.urls")),
    path("hauler/", include("marketplace.hauler_urls")),
    path("billing/", include("billing.urls")),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("team/", views.team, name="team"),
    path("team/<str:kind>/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("accounts/signup/", views.SignupView.as_view(), name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("marketplace.api_urls")),
]
