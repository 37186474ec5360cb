"""What every page's frame names without a view passing it: the support address."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def support_email() -> str:
    """SUPPORT_EMAIL, for the footer and the error pages (a tag, so no view has to remember it)."""
    return settings.SUPPORT_EMAIL
