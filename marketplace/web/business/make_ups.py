"""The pickup page's make-up panel: the make-up visit on its way for a missed or poorly done visit, or, on a make-up,
the visit it makes up for and what it costs."""

from marketplace.models import Pickup
from marketplace.web.formatting import booked_window, day

# Visits that can have a make-up (marketplace.makeups.MAKEABLE): only these pay the query for one.
MADE_UP = (Pickup.Status.COMPLETED, Pickup.Status.MISSED)


def make_up_panel(pickup: Pickup) -> dict:
    """What the panel says; a missed visit with a make-up on its way is not offered a move (dispatch refuses it)."""
    panel = {"make_up": None, "makes_up": None}
    if pickup.make_up_of_id is not None:
        original = pickup.make_up_of
        panel["makes_up"] = {"pickup": original, "day": day(original.service_date)}
    if pickup.status in MADE_UP:
        make_up = pickup.make_ups.exclude(status=Pickup.Status.CANCELLED).order_by("pk").first()
        if make_up is not None:
            window = booked_window(
                service_date=make_up.service_date, start=make_up.window_start, end=make_up.window_end,
                tz_name=pickup.location.timezone,
            )  # fmt: skip
            panel["make_up"] = {"pickup": make_up, "day": day(make_up.service_date), "window": window}
            panel["can_move"] = False
    return panel
