"""Pages for anyone with an account, of either side: signup, invitations, the team, notifications."""

from allauth.account import views as allauth_views
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotFound
from core.models import Role
from customers.models import Membership as CustomerMembership
from haulers.models import Membership as HaulerMembership
from marketplace import notifications, selectors, services
from marketplace.services import AccountType, onboard_user
from marketplace.web.accounts.forms import EmailPreferencesForm


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


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


def _teams(user) -> list[dict]:
    teams = []
    for kind, label in (("business", "Your business"), ("hauler", "Your hauling company")):
        try:
            mine = services.team_of(user=user, kind=kind)
        except NotFound:
            continue
        organisation = mine.customer if kind == "business" else mine.hauler
        teams.append(
            {
                "kind": kind,
                "label": label,
                "organisation": organisation,
                "mine": mine,
                "members": organisation.memberships.select_related("user").order_by("-role", "email"),
                "form": InviteForm(prefix=kind),
            }
        )
    return teams


@login_required
@require_http_methods(["GET", "POST"])
def team(request):
    """The people in the user's business and hauler; owners invite and remove."""
    teams = _teams(request.user)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        form = InviteForm(request.POST, prefix=kind)
        if form.is_valid():
            try:
                services.invite_to_team(user=request.user, kind=kind, **form.cleaned_data)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("team")
        for entry in teams:
            if entry["kind"] == kind:
                entry["form"] = form
        return render(request, "marketplace/team.html", {"teams": teams}, status=400)
    return render(request, "marketplace/team.html", {"teams": teams})


@login_required
@require_POST
def remove_member(request, kind: str, membership_id: int):
    """Remove a member, withdraw an invitation, or leave."""
    try:
        services.remove_from_team(user=request.user, kind=kind, membership_id=membership_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Done.")
    return redirect("team" if services.has_team(user=request.user, kind=kind) else "home")


@login_required
def start(request):
    """Where people land after logging in or signing up."""
    membership = getattr(request.user, "customer_membership", None)
    if membership is not None:
        if not membership.customer.locations.exists():
            return redirect("onboarding")
        return redirect("dashboard")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("hauler_offers" if hasattr(request.user, "hauler_membership") else "home")


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    """In-app notifications; POST marks them all read."""
    if request.method == "POST":
        services.mark_notifications_read(user=request.user)
        return redirect("notifications")
    notes = selectors.notifications_of(user=request.user)
    return render(request, "marketplace/notifications.html", {"notes": notes})


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """Which kinds of event are emailed."""
    muted = set(request.user.muted_emails.values_list("kind", flat=True))
    form = EmailPreferencesForm(request.POST or None, muted=muted)
    if request.method == "POST" and form.is_valid():
        notifications.set_email_preferences(user=request.user, muted_kinds=form.muted_kinds())
        messages.success(request, "Saved your email preferences.")
        return redirect("notification_preferences")
    return render(request, "marketplace/preferences.html", {"form": form})
