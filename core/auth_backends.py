"""Signing in as Django and allauth do; a signed-in page's user comes with both seats and their organisations.

Every page asks for them next (the header's links, business_required, hauler_required): loaded with the user,
that is one query instead of four (user, seat, business, the other kind's seat). The API's token check does
the same (marketplace/api/authentication.py).
"""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import backends, get_user_model

from core.compiled import CompiledQuery

# A user's seats and their organisations, as select_related() names them from the user.
SEATS = ("customer_membership__customer", "hauler_membership__hauler")


def _seated_user(*, user_id: int):
    return get_user_model()._default_manager.select_related(*SEATS).filter(pk=user_id)[:1]


_SEATED_USER = CompiledQuery(_seated_user)


class SeatedUser:
    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _SEATED_USER.objects(user_id=user_id)
        return found[0] if found and self.user_can_authenticate(found[0]) else None


class ModelBackend(SeatedUser, backends.ModelBackend):
    pass


class AllauthBackend(SeatedUser, AuthenticationBackend):
    pass
