"""The business's rating of a visit: the panel on the pickup page (the form, or the rating it saved) and the page
that saves it. marketplace.ratings decides; these show and hand over."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import Conflict
from core.views import apply_errors, business_required
from marketplace import ratings, selectors
from marketplace.models import Pickup, Rating

STAR_CHOICES = [
    ("5", "5 stars: excellent"),
    ("4", "4 stars: good"),
    ("3", "3 stars: all right"),
    ("2", "2 stars: poor"),
    ("1", "1 star: very poor"),
]


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label="How was this visit?",
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose from 1 to 5 stars."},
    )
    tags = forms.MultipleChoiceField(
        label="What stood out? (optional)",
        choices=Rating.Tag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)",
        required=False,
        max_length=ratings.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The hauler sees it with your business's name.",
    )


@dataclass(frozen=True)
class Panel:
    """What the pickup page shows about rating the visit."""

    rating: Rating | None
    open: bool  # it can be rated (or its rating changed) now
    until: dt.datetime | None  # when that ends
    days: int  # how long a visit stays open to rating
    form: RatingForm


def panel(pickup: Pickup, *, form: RatingForm | None = None) -> Panel | None:
    """The panel for a completed visit; None for any other (and then no query is made)."""
    if pickup.status != Pickup.Status.COMPLETED:
        return None
    rating = ratings.rating_of(pickup=pickup)
    if form is None:
        initial = {"stars": str(rating.stars), "tags": rating.tags, "comment": rating.comment} if rating else None
        form = RatingForm(initial=initial, auto_id="rating_%s")
    return Panel(
        rating=rating,
        open=ratings.refusal(pickup) is None,
        until=ratings.rate_until(pickup),
        days=ratings.window().days,
        form=form,
    )


@business_required
@require_http_methods(["GET", "POST"])
def pickup_rating(request, customer, pickup_id: int):
    """Save the business's rating of a visit; a GET (or a form with errors) shows the form on a page of its own."""
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    form = RatingForm(request.POST or None, auto_id="rating_%s")
    if request.method == "POST" and form.is_valid():
        try:
            ratings.rate_pickup(pickup=pickup, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect("pickup_detail", pickup_id=pickup.pk)
        else:
            messages.success(request, "Thank you: your rating is saved and the hauler can see it.")
            return redirect(reverse("pickup_detail", args=[pickup.pk]) + "#rating")
    context = {"pickup": pickup, "panel": panel(pickup, form=form if request.method == "POST" else None)}
    status = 400 if request.method == "POST" else 200
    return render(request, "marketplace/pickup_rating.html", context, status=status)
