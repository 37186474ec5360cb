"""A URLconf with one view that fails, for the Sentry test's own process."""

from django.urls import path


def broken(request):
    raise RuntimeError("the pickup list fell over")


urlpatterns = [path("broken/", broken)]
