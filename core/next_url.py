"""Where a page sends the browser back to afterwards (?next=), kept to this site's own paths."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "") -> str:
    """The request's `next` (POST first, then the query) if it is a path on this site, else `default`.

    A link from elsewhere with ?next=https://evil.example (or //evil.example, or javascript:) must not turn a
    saved card or location into a redirect off the site; only same-site paths are followed."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default
