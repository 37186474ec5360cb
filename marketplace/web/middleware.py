"""Website pages translate domain errors the same way everywhere (the API has its own handler)."""

from django.http import Http404
from django.shortcuts import render

from core.errors import Conflict, NotFound


class DomainErrorMiddleware:
    """NotFound becomes a 404; Conflict a 409 page that says what happened."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(str(exception)) from exception
        if isinstance(exception, Conflict):
            return render(request, "409.html", {"message": str(exception)}, status=409)
        return None
