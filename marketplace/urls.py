from django.contrib import admin
from django.urls import include, path

from marketplace import health, views

admin.site.site_header = "HaulMatch administration"
admin.site.site_title = "HaulMatch admin"
admin.site.index_title = "Run the market"

urlpatterns = [
    path("", views.home, name="home"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("team/", views.team, name="team"),
    path("team/<str:kind>/<int:membership_id>/remove/", views.remove_member, name="remove_member"),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("accounts/signup/", views.SignupView.as_view(), name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
