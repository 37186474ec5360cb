"""The token check every API request passes.

Kept apart from the API's views: DRF reads DEFAULT_AUTHENTICATION_CLASSES while defining APIView itself, so this
module must not import rest_framework.views (or anything that does).
"""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from core.auth_backends import SEATS
from core.compiled import CompiledQuery


def _seated_token(*, key):
    # DRF's own lookup of the model, at the first request: importing it here would need the app registry ready.
    # A slice, not .first(): keys are unique, and ordering the join by id cost more to compile than to run.
    return (
        TokenAuthentication()
        .get_model()
        .objects.select_related(*(f"user__{seat}" for seat in SEATS))
        .filter(key=key)[:1]
    )


# Every API request runs it: the five-table join compiled once (core.compiled) instead of built for each request.
_SEATED_TOKEN = CompiledQuery(_seated_token)


class SeatedTokenAuthentication(TokenAuthentication):
    """DRF's token check, loading the user's seat and its business or hauler in the same query: every view asks for
    them next, which otherwise costs a query each (token and user, seat, organisation)."""

    def authenticate_credentials(self, key):
        found = _SEATED_TOKEN.objects(key=key)
        if not found:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
