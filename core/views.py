"""What every app's pages share: who may open them, and showing a service's errors on a form."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError

from core.permissions import require


def membership_required(kind: str, *, refused: str):
    """Signed in and a member of a `kind` ("customer" or "hauler"); the view gets it as its second argument."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = getattr(request.user, f"{kind}_membership", None)
            if membership is None:
                raise PermissionDenied(refused)
            return view(request, getattr(membership, kind), *args, **kwargs)

        return wrapper

    return decorator


business_required = membership_required("customer", refused="This page is for businesses.")
hauler_required = membership_required("hauler", refused="This page is for haulers.")


def role_required(action: str, *, post: str | None = None):
    """Under business_required or hauler_required: the user's role must allow `action` (`post` for a POST).

    A refusal is a 403 page saying which roles may; the service behind a POST checks again on its own."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, organisation, *args, **kwargs):
            wanted = post if post and request.method == "POST" else action
            require(user=request.user, organisation=organisation, action=wanted)
            return view(request, organisation, *args, **kwargs)

        return wrapper

    return decorator


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)
