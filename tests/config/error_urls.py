"""The project's URLconf and error handlers, plus views that fail in each way, for the error-page tests."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from config import urls as project
from core.errors import Forbidden


def broken(request):
    raise RuntimeError("the pickup list fell over")


def unreadable(request):
    raise BadRequest("a cursor that does not parse")


def refused(request):
    raise PermissionDenied("This page is for haulers.")


def role_refused(request):
    raise Forbidden("Only an owner of Congress Avenue Café can change the card.")


urlpatterns = [
    path("broken/", broken),
    path("unreadable/", unreadable),
    path("refused/", refused),
    path("role-refused/", role_refused),
    path("api/v1/broken/", broken),
    path("api/v1/unreadable/", unreadable),
    path("api/v1/refused/", refused),
    *project.urlpatterns,
]
handler400, handler403 = project.handler400, project.handler403
handler404, handler500 = project.handler404, project.handler500
