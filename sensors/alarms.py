"""Opening and closing alarms: each opens once per device and kind, and closes itself when its condition clears.

The rules that decide when (offline, battery, values, the bin's fill against its visits) call these two;
opening an alarm that is already open, or closing one that is not, does nothing, so a sweep can run as
often as it likes and a retried task changes nothing.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from sensors.models import Alarm, Device


def open_alarm(
    *, device: Device, kind: str, detail: str, context: dict | None = None, now: dt.datetime | None = None
) -> Alarm | None:
    """Open the device's alarm of this kind; returns it if this call opened it, None if one was already open."""
    if Alarm.objects.filter(device=device, kind=kind, closed_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            return Alarm.objects.create(
                device=device, kind=kind, detail=detail[:300], context=context or {}, opened_at=now or timezone.now()
            )
    except IntegrityError:  # opened by a concurrent sweep: the partial unique index keeps it one
        return None


def close_alarm(*, device: Device, kind: str, now: dt.datetime | None = None) -> bool:
    """Close the device's open alarm of this kind, if there is one; returns whether one was closed."""
    return bool(
        Alarm.objects.filter(device=device, kind=kind, closed_at__isnull=True).update(closed_at=now or timezone.now())
    )


def set_alarm(
    *,
    device: Device,
    kind: str,
    active: bool,
    detail: str = "",
    context: dict | None = None,
    now: dt.datetime | None = None,
) -> Alarm | None:
    """Open the alarm when its condition holds and close it when it does not; returns an alarm this call opened."""
    if active:
        return open_alarm(device=device, kind=kind, detail=detail, context=context, now=now)
    close_alarm(device=device, kind=kind, now=now)
    return None
