"""Show integer cents as dollars: {{ price_cents|dollars }} -> $1,234.50."""

from django import template

register = template.Library()


@register.filter
def dollars(cents) -> str:
    if cents is None or cents == "":
        return ""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{rest:02d}"
