"""What a caller's role must allow, per HTTP method, for an API view (core.permissions decides).

A view names its needs, `actions = {"GET": "see", "PUT": "commercial"}`, and its organisation
(`view.organisation`); a method it does not name needs nothing beyond membership. A refusal is a 403
`{"detail": "Only an owner of ... can ...", "code": "permission_denied"}`.
"""

from rest_framework.permissions import BasePermission

from core.permissions import require


class RoleAllows(BasePermission):
    def has_permission(self, request, view):
        action = getattr(view, "actions", {}).get(request.method)
        if action is not None:
            require(user=request.user, organisation=view.organisation, action=action)  # raises Forbidden
        return True
