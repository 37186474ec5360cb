"""Pages for anyone with an account, of either side: signup, invitations, the team and its roles, notifications.

The team page shows each side's roles with what each may do; who may invite, re-role, remove or hand on
ownership is the role table's (core.permissions), and the services check it again whatever a page shows."""

from allauth.account import views as allauth_views
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotFound
from core.permissions import OWNER, may, require
from customers.models import BUSINESS_ROLE_DESCRIPTIONS, BusinessRole
from customers.models import Membership as CustomerMembership
from haulers.models import HAULER_ROLE_DESCRIPTIONS, HaulerRole
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

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["side"] = getattr(context.get("form"), "side", AccountType.BUSINESS)
        return context


ROLES = {
    "business": (BusinessRole, BUSINESS_ROLE_DESCRIPTIONS, BusinessRole.MEMBER),
    "hauler": (HaulerRole, HAULER_ROLE_DESCRIPTIONS, HaulerRole.DRIVER),
}


def _role_choices(kind: str, *, with_owner: bool) -> list[tuple[str, str]]:
    roles, _, _ = ROLES[kind]
    return [(value, label) for value, label in roles.choices if with_owner or value != OWNER]


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=BusinessRole.choices)

    def __init__(self, *args, kind: str, with_owner: bool, **kwargs):
        super().__init__(*args, prefix=kind, **kwargs)
        self.fields["role"].choices = _role_choices(kind, with_owner=with_owner)
        self.fields["role"].initial = ROLES[kind][2]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[*BusinessRole.choices, *HaulerRole.choices])


def _teams(user) -> list[dict]:
    teams = []
    for kind, label in (("business", "Your business"), ("hauler", "Your hauling company")):
        try:
            mine = services.team_of(user=user, kind=kind)
        except NotFound:
            continue
        organisation = mine.customer if kind == "business" else mine.hauler
        roles, descriptions, _ = ROLES[kind]
        may_team = may(user=user, organisation=organisation, action="team")
        may_own = may(user=user, organisation=organisation, action="ownership")
        members = []
        for member in organisation.memberships.select_related("user").order_by("email"):
            is_me = member.pk == mine.pk
            touches_owner = member.role == OWNER
            members.append(
                {
                    "member": member,
                    "is_me": is_me,
                    # Anyone may leave; managers may re-role and remove everyone but owners.
                    "may_remove": is_me or (may_team and (may_own or not touches_owner)),
                    "may_change_role": may_team and (may_own or not touches_owner),
                    "role_choices": _role_choices(kind, with_owner=may_own),
                    "may_make_owner": mine.role == OWNER and not is_me and member.user_id and not touches_owner,
                }
            )
        teams.append(
            {
                "kind": kind,
                "label": label,
                "organisation": organisation,
                "mine": mine,
                "members": sorted(members, key=lambda row: (row["member"].role != OWNER, row["member"].email)),
                "roles": [{"label": name, "description": descriptions[value]} for value, name in roles.choices],
                "may_invite": may_team,
                "form": InviteForm(kind=kind, with_owner=may_own),
            }
        )
    return teams


@login_required
@require_http_methods(["GET", "POST"])
def team(request):
    """The people in the user's business and hauler, the roles and what each may do; invitations."""
    teams = _teams(request.user)
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        entry = next((entry for entry in teams if entry["kind"] == kind), None)
        if entry is None:
            raise Http404("You are not part of one.")
        # Refused before the form is read: whoever may not invite hears that, not what was wrong with the form.
        require(user=request.user, organisation=entry["organisation"], action="team")
        form = InviteForm(request.POST, kind=kind, with_owner=True)  # the service decides who may invite an owner
        if form.is_valid():
            try:
                services.invite_to_team(user=request.user, kind=kind, **form.cleaned_data)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("team")
        entry["form"] = form
        return render(request, "marketplace/team.html", {"teams": teams}, status=400)
    return render(request, "marketplace/team.html", {"teams": teams})


def _back_to_team(request, kind: str):
    return redirect("team" if services.has_team(user=request.user, kind=kind) else "home")


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
    return _back_to_team(request, kind)


@login_required
@require_POST
def change_role(request, kind: str, membership_id: int):
    """Give a teammate or an invitation another role."""
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles listed.")
        return redirect("team")
    try:
        member = services.change_team_role(
            user=request.user, kind=kind, membership_id=membership_id, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{member.email} is now {member.get_role_display().lower()}.")
    return _back_to_team(request, kind)


@login_required
@require_POST
def transfer_ownership(request, kind: str, membership_id: int):
    """The owner makes a teammate the owner and steps down."""
    try:
        member = services.transfer_team_ownership(user=request.user, kind=kind, membership_id=membership_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        mine = services.team_of(user=request.user, kind=kind)
        messages.success(request, f"{member.email} is the owner now; you are {mine.get_role_display().lower()}.")
    return _back_to_team(request, kind)


@login_required
def start(request):
    """Where people land after logging in or signing up."""
    membership = getattr(request.user, "customer_membership", None)
    if membership is not None:
        setting_up = may(user=request.user, organisation=membership.customer, action="sites")
        if setting_up and not membership.customer.locations.exists():
            return redirect("onboarding")
        return redirect("dashboard")
    if request.user.is_staff:
        return redirect("admin:index")
    crew = getattr(request.user, "hauler_membership", None)
    if crew is None:
        return redirect("home")
    # A driver's work is the day's route; the offers are the office's.
    answers_offers = may(user=request.user, organisation=crew.hauler, action="offers")
    return redirect("hauler_offers" if answers_offers else "hauler_day")


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
