"""Text from strangers holds no control characters: the rule, and the middleware that applies it to the website.

Django's form CharField refuses NUL but lets every other control character through (escape codes then reach
pages, emails and log lines), and its DateTimeField reads "2026-05-01\\x0014:30" as a time, because Python's
ISO 8601 parser takes any character between the date and the time. The API's parsers hold JSON and multipart
bodies to this rule (marketplace/api/parsers.py); the middleware holds every other form to it (the website's,
allauth's, the admin's) before a view runs, so nothing is half-saved.
"""

import re

from django.http import HttpResponseBadRequest

# C0 controls except tab, newline and carriage return (a textarea sends CRLF), and DEL.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refusal(name: str, character: str) -> str:
    """The sentence that refuses a field for the control character it holds."""
    return f"The field “{name}” holds a control character (U+{ord(character):04X}); send plain text."


class PlainTextMiddleware:
    """A query string or form post (not the API's, nor a webhook's) holding a control character: a 400 naming it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The API answers in JSON through its own parsers; a CSRF-exempt view (Stripe's webhook) reads its raw body.
        if request.path.startswith("/api/") or getattr(view_func, "csrf_exempt", False):
            return None
        fields = [request.GET] + ([request.POST] if request.method == "POST" else [])
        for query in fields:
            for name, values in query.lists():
                for text in (name, *values):
                    found = CONTROL.search(text)
                    if found:
                        shown = CONTROL.sub("?", name)
                        return HttpResponseBadRequest(refusal(shown, found.group()), content_type="text/plain")
        return None
