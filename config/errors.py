"""The project's error handlers: an API path answers in JSON, as every API error does; the website gets its pages.

The 404 handler stays in marketplace.api.errors (the API's translation of errors); these are the other three, and
the page for a form that fails the CSRF check (CSRF_FAILURE_VIEW).
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

from core.errors import Forbidden

logger = logging.getLogger(__name__)


def _api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    """400: a request the site could not read (a SuspiciousOperation, a BadRequest)."""
    if _api(request):
        return JsonResponse({"detail": "The request could not be read.", "code": "bad_request"}, status=400)
    try:
        body = loader.render_to_string("400.html", request=request)
    except Exception:  # the request itself may be what is wrong (a bad Host): the page without it
        logger.exception("The 400 page could not use the request")
        return defaults.bad_request(request, exception)
    return HttpResponse(body, status=400)


def permission_denied(request, exception):
    """403 with the reason the code gave ("This page is for haulers.", "Only an owner of ... can ...")."""
    reason = str(exception) if exception is not None and str(exception) else ""
    if _api(request):
        return JsonResponse(
            {"detail": reason or "You do not have permission to do this.", "code": "permission_denied"}, status=403
        )
    # A role refusal names the roles that may: the next step is the team, not another page.
    context = {"exception": reason, "role_refusal": isinstance(exception, Forbidden)}
    return HttpResponse(loader.render_to_string("403.html", context, request=request), status=403)


def csrf_failure(request, reason=""):
    """A form posted from a page too old for the session (signed out or in again elsewhere) or from another site:
    Django's own answer is a bare "403 Forbidden" page, whose inline style the site's policy even blocks."""
    said = "This form was out of date, or did not come from this site, so nothing was done."
    if _api(request):
        return JsonResponse({"detail": said, "code": "csrf_failed"}, status=403)
    context = {"exception": said, "stale_form": True, "technical": reason if settings.DEBUG else ""}
    return HttpResponse(loader.render_to_string("403.html", context, request=request), status=403)


def server_error(request):
    """500: the page needs neither the database nor the request, since either may be what failed."""
    if _api(request):
        return JsonResponse({"detail": "Something went wrong on our side.", "code": "server_error"}, status=500)
    try:
        body = loader.get_template("500.html").render({"support_email": settings.SUPPORT_EMAIL})
    except Exception:
        logger.exception("The 500 page could not be rendered")
        text = "Something went wrong on our side. Please try again."
        return HttpResponse(text, status=500, content_type="text/plain")
    return HttpResponse(body, status=500)
