"""{% rating_panel pickup as panel %}: what the pickup page shows about rating a visit (marketplace/_rating.html),
so the page's view needs no line of its own for it."""

from django import template

from marketplace.models import Rating
from marketplace.web.business import ratings

register = template.Library()


@register.simple_tag
def rating_panel(pickup):
    """The visit's rating panel, or None when the visit is not completed (then nothing is read)."""
    return ratings.panel(pickup)


@register.filter
def tag_labels(tags) -> list[str]:
    """A rating's tags in words: ["on_time"] -> ["On time"]; a tag no longer offered is left out."""
    labels = dict(Rating.Tag.choices)
    return [str(labels[tag]) for tag in tags or [] if tag in labels]
