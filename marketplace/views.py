"""Website pages of the market."""

from allauth.account import views as allauth_views
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.catalog import Container, WasteStream
from customers.models import Membership as CustomerMembership
from haulers.models import Membership as HaulerMembership
from marketplace.services import AccountType, onboard_user


def home(request):
    """What HaulMatch is, and where a signed-in person goes next."""
    context = {"waste_streams": WasteStream.choices, "containers": Container.choices}
    if request.user.is_authenticated:
        context["customer_membership"] = (
            CustomerMembership.objects.filter(user=request.user).select_related("customer").first()
        )
        context["hauler_membership"] = (
            HaulerMembership.objects.filter(user=request.user).select_related("hauler").first()
        )
    return render(request, "marketplace/home.html", context)


def _invitation(token: str):
    return (
        CustomerMembership.objects.select_related("customer").filter(token=token).first()
        or HaulerMembership.objects.select_related("hauler").filter(token=token).first()
    )


@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """Show an invitation; a signed-in invitee accepts it, a new one signs up through it."""
    membership = _invitation(token)
    if membership is None:
        return render(request, "marketplace/invitation.html", {"membership": None}, status=404)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        try:
            onboard_user(user=request.user, account_type="", invitation=token)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return render(request, "marketplace/invitation.html", {"membership": membership}, status=409)
        messages.success(request, "Welcome aboard: you have joined the team.")
        return redirect("home")
    return render(request, "marketplace/invitation.html", {"membership": membership})


class SignupView(allauth_views.SignupView):
    """allauth's signup, preset from the link that led here (?as=hauler, ?invitation=...)."""

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("as") in (AccountType.BUSINESS, AccountType.HAULER):
            initial["account_type"] = self.request.GET["as"]
        for key in ("invitation", "email"):
            if self.request.GET.get(key):
                initial[key] = self.request.GET[key]
        return initial
