"""Who may do what in an organisation (a business or a hauler), decided in one place.

Each side's Membership model carries its table, `PERMISSIONS = {action: Rule(roles, what)}`, next to its roles.
Services that change something call `require()` with the person acting; pages and API views may ask `may()` to
show or hide a control, but the service is what holds. `by=None` is the platform itself (a task, the demo seed,
a management command), which every rule allows.
"""

from dataclasses import dataclass

from core.errors import Forbidden

OWNER = "owner"  # the one role both sides share: the last owner cannot leave, only an owner makes owners


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    what: str  # completes "Only ... can <what>", e.g. "replace the card"


def rule(*roles: str, what: str) -> Rule:
    """A rule: these roles may do `what`."""
    return Rule(frozenset(roles), what)


def kind_of(organisation) -> str:
    """ "customer" or "hauler": the model's name, which is also its membership's foreign key and user relation."""
    return organisation._meta.model_name


def membership_in(*, user, organisation):
    """The user's accepted seat in `organisation`, or None (another organisation's seat included)."""
    if user is None or not user.is_authenticated:
        return None
    kind = kind_of(organisation)
    membership = getattr(user, f"{kind}_membership", None)  # one seat per side, cached on the user
    if membership is None or getattr(membership, f"{kind}_id") != organisation.pk:
        return None
    return membership


def _rule(organisation, action: str) -> Rule:
    table = organisation.memberships.model.PERMISSIONS
    if action not in table:
        raise ValueError(f"No permission rule {action!r} for a {kind_of(organisation)}; known: {sorted(table)}.")
    return table[action]


def allows(membership, action: str) -> bool:
    """Whether this seat's role may do `action` (a pending invitation may do nothing)."""
    rule_ = type(membership).PERMISSIONS[action]
    return membership.user_id is not None and membership.role in rule_.roles


def may(*, user, organisation, action: str) -> bool:
    """Whether `user` may do `action` in `organisation` (staff outside it act as the platform)."""
    rule_ = _rule(organisation, action)
    if user is None:
        return True
    membership = membership_in(user=user, organisation=organisation)
    if membership is None:
        return bool(getattr(user, "is_staff", False))
    return membership.role in rule_.roles


def require(*, user, organisation, action: str):
    """Raise Forbidden unless `user` may do `action` in `organisation`; return their seat (None for the platform)."""
    if may(user=user, organisation=organisation, action=action):
        return membership_in(user=user, organisation=organisation)
    rule_ = _rule(organisation, action)
    membership = membership_in(user=user, organisation=organisation)
    labels = dict(organisation.memberships.model._meta.get_field("role").choices)
    allowed = [str(labels.get(role, role)).lower() for role in _ordered(organisation, rule_.roles)]
    named = [f"{'an' if name[0] in 'aeiou' else 'a'} {name}" for name in allowed]
    who = " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    mine = f" Your role at {organisation} is {str(labels[membership.role]).lower()}." if membership else ""
    raise Forbidden(f"Only {who} of {organisation} can {rule_.what}.{mine}")


def _ordered(organisation, roles: frozenset[str]) -> list[str]:
    field = organisation.memberships.model._meta.get_field("role")
    return [value for value, _ in field.choices if value in roles]
