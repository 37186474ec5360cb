"""Market use cases. Each is a keyword-only function that views, API, admin and tasks share."""

from django.core.exceptions import ValidationError
from django.db import transaction

from customers import services as customer_services
from haulers import services as hauler_services


class AccountType:
    BUSINESS = "business"
    HAULER = "hauler"
    CHOICES = [(BUSINESS, "A business that needs pickups"), (HAULER, "A hauler that does pickups")]


@transaction.atomic
def onboard_user(
    *,
    user,
    account_type: str,
    company_name: str = "",
    phone: str = "",
    depot_zip: str = "",
    invitation: str = "",
):
    """Give a new user their organisation: a new business or hauler, or the one that invited them."""
    if invitation:
        for accept in (customer_services.accept_invitation, hauler_services.accept_invitation):
            try:
                return accept(token=invitation, user=user)
            except ValidationError as error:
                if "does not exist" not in str(error):
                    raise
        raise ValidationError("This invitation does not exist or was withdrawn.")
    if account_type == AccountType.BUSINESS:
        return customer_services.create_customer(owner=user, name=company_name, phone=phone)
    if account_type == AccountType.HAULER:
        return hauler_services.register_hauler(owner=user, name=company_name, depot_zip=depot_zip, phone=phone)
    raise ValidationError({"account_type": "Choose business or hauler."})
