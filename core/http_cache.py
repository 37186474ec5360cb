"""What browsers and proxies may keep of the app's answers (static files are whitenoise's: hashed names, cached
for a year).

Everything the app answers is someone's own by default (a business's pickups, a page with a CSRF token, a
session cookie being set): `Cache-Control: private, no-cache`, so no shared proxy stores it and a browser asks
again each time. Asking again is cheap with Django's ConditionalGetMiddleware, which sits outside this one: it
tags each 200 with an ETag of its body and answers a matching If-None-Match with an empty 304. A view that
knows better (the API schema, the same for everyone) says so itself and is left alone.
"""

from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateByDefaultMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        if "HTTP_AUTHORIZATION" in request.META:
            # The API's answers differ by token, as pages differ by session cookie (Django adds Vary: Cookie).
            patch_vary_headers(response, ("Authorization",))
        return response
