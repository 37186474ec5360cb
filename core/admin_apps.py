"""The admin app with HaulMatch's staff site as its default site (named in INSTALLED_APPS instead of
django.contrib.admin). Kept apart from core.admin_site so loading the app registry imports no admin code."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "core.admin_site.StaffAdminSite"
