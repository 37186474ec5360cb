"""Bulk loading with PostgreSQL COPY: millions of service-ZIP rows in seconds rather than minutes.

Columns a row does not give are filled as Django would fill them on save (the field's default,
now() for auto_now fields), so a field added to a model with a default does not break the bench.
"""

import datetime as dt
import json
import random
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

from bench.market import HaulerSpec
from core import catalog, geo
from customers.models import Customer, ServiceLocation
from haulers.models import Credential, Hauler, Rate, ServiceZip, Truck
from marketplace.models import Offer, Pickup

CHUNK_CHARACTERS = 4_000_000
ROLL_OFFS = sorted(catalog.ROLL_OFFS)
COLLECTED = [c for c in catalog.Container.values if c not in catalog.ROLL_OFFS]
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def render(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, list | dict):
        value = json.dumps(value)
    return str(value).translate(_ESCAPES)


class Copier:
    """COPY rows of `model` giving `attnames`; every other column gets what save() would give it."""

    def __init__(self, model: type[models.Model], attnames: list[str]):
        fields = {field.attname: field for field in model._meta.concrete_fields}
        now = timezone.now()
        rest = []
        for field in fields.values():
            if field.attname in attnames or (field.primary_key and isinstance(field, models.AutoField)):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            else:
                value = field.get_default()
                if value is None and not field.null:
                    raise LookupError(f"the bench does not know what to put in {model.__name__}.{field.name}")
            rest.append((field.column, value))
        columns = [fields[name].column for name in attnames] + [column for column, _ in rest]
        self.table = model._meta.db_table
        self.suffix = "".join("\t" + render(value) for _, value in rest)
        self.sql = f"COPY {self.table} ({', '.join(columns)}) FROM STDIN"
        self.rows = 0
        self.seconds = 0.0

    def line(self, *values) -> str:
        return "\t".join(render(value) for value in values) + self.suffix + "\n"

    def copy(self, lines: Iterable[str]) -> int:
        """COPY the lines (each ending in a newline; several rows per string are fine); the table's rows after."""
        start = time.perf_counter()
        with connection.cursor() as cursor, cursor.cursor.copy(self.sql) as copy:
            buffer, size = [], 0
            for text in lines:
                buffer.append(text)
                size += len(text)
                if size >= CHUNK_CHARACTERS:
                    copy.write("".join(buffer))
                    buffer, size = [], 0
            if buffer:
                copy.write("".join(buffer))
        self.seconds = time.perf_counter() - start
        return self.count()

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table}")
            self.rows = cursor.fetchone()[0]
        return self.rows


class Loader:
    """Loads haulers and everything of theirs, in as many slices as the bench needs, with global ids."""

    def __init__(self, *, service_date: dt.date, today: dt.date):
        self.service_date = service_date
        self.today = today
        self.next_pickup_id = 1
        self.seconds: dict[str, float] = {}  # per table, of the last load
        self.customer = Customer.objects.create(name="Bench Bakery Group", billing_email="ap@bench.invalid")
        info = geo.lookup("84101")
        self.location = ServiceLocation.objects.create(
            customer=self.customer,
            name="Main St store",
            street="1 Main St",
            city=info.city,
            state=info.state,
            zip_code=info.zip_code,
            latitude=info.latitude,
            longitude=info.longitude,
            timezone=info.timezone,
        )
        self.verified_at = timezone.now() - dt.timedelta(days=30)
        self.answer_by = timezone.now() + dt.timedelta(hours=2)

    def load(self, haulers: list[HaulerSpec]) -> dict[str, int]:
        """COPY the haulers and their service ZIPs, rates, credentials, pickups and offers; row counts after."""
        counts = {}
        hauler = Copier(
            Hauler,
            [
                "id",
                "name",
                "status",
                "depot_zip",
                "depot_latitude",
                "depot_longitude",
                "reliability_score",
                "verified_at",
            ],
        )
        counts["haulers"] = hauler.copy(
            hauler.line(
                spec.id,
                spec.name,
                spec.status,
                spec.depot,
                geo.lookup(spec.depot).latitude,
                geo.lookup(spec.depot).longitude,
                spec.reliability,
                self.verified_at if spec.verified else None,
            )
            for spec in haulers
        )
        service_zip = Copier(ServiceZip, ["hauler_id", "zip_code"])
        if service_zip.suffix:
            raise LookupError("ServiceZip grew columns the fast path does not fill")

        def areas() -> Iterator[str]:
            for spec in haulers:
                prefix = f"{spec.id}\t"
                yield prefix + ("\n" + prefix).join(spec.service_zips) + "\n"

        counts["service_zips"] = service_zip.copy(areas())
        # Its capacity: a collection truck, and a roll-off truck where it prices roll-offs, `capacity` stops each.
        truck = Copier(
            Truck, ["hauler_id", "name", "kind", "containers", "capacity_per_trip", "stops_per_shift",
                    "depot_latitude", "depot_longitude"],
        )  # fmt: skip

        def fleets() -> Iterator[str]:
            for spec in haulers:
                depot = geo.lookup(spec.depot)
                priced = {container for _, container, _, _ in spec.rates}
                for name, kind, containers, per_trip in (
                    ("Truck 1", "front_load", [c for c in COLLECTED if c in priced], 30),
                    ("Roll-off 1", "roll_off", [c for c in ROLL_OFFS if c in priced], 1),
                ):
                    if containers:
                        yield truck.line(
                            spec.id, name, kind, containers, per_trip, spec.capacity, depot.latitude, depot.longitude
                        )

        counts["trucks"] = truck.copy(fleets())
        rate = Copier(Rate, ["hauler_id", "waste_stream", "container", "price_cents", "extra_container_cents"])
        counts["rates"] = rate.copy(rate.line(spec.id, *row) for spec in haulers for row in spec.rates)
        # Checked by staff, as matching requires (an unchecked credential counts for nothing).
        credential = Copier(
            Credential, ["hauler_id", "kind", "number", "issuer", "valid_from", "expires_on", "verified_at"]
        )
        counts["credentials"] = credential.copy(
            credential.line(
                spec.id, kind, f"{kind[:3].upper()}-{spec.id}-{number}", "State of Bench", start, end, self.verified_at
            )
            for spec in haulers
            for number, (kind, start, end) in enumerate(spec.credentials)
        )
        pickups, offers = self._workload(haulers)
        pickup = Copier(
            Pickup,
            [
                "id",
                "customer_id",
                "location_id",
                "hauler_id",
                "waste_stream",
                "container",
                "quantity",
                "service_date",
                "status",
                "price_cents",
                "payout_cents",
            ],
        )
        counts["pickups"] = pickup.copy(pickup.line(*row) for row in pickups)
        offer = Copier(Offer, ["pickup_id", "hauler_id", "status", "payout_cents", "answer_by", "service_date"])
        counts["offers"] = offer.copy(offer.line(*row) for row in offers)
        copiers = (hauler, service_zip, truck, rate, credential, pickup, offer)
        self.seconds = {name: copier.seconds for name, copier in zip(counts, copiers, strict=True)}
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Hauler, Pickup]):
                cursor.execute(sql)
        return counts

    def _workload(self, haulers: list[HaulerSpec]) -> tuple[list[tuple], list[tuple]]:
        """Booked days, history and open offers, so the capacity checks have rows to count."""
        pickups, offers = [], []

        def add(hauler_id, rate, day, status, quantity=1) -> int:
            stream, container, price, extra = rate
            payout = price + extra * (quantity - 1)
            pickup_id = self.next_pickup_id
            self.next_pickup_id += 1
            customer_price = payout + max(500, payout // 5)
            pickups.append(
                (
                    pickup_id,
                    self.customer.pk,
                    self.location.pk,
                    hauler_id,
                    stream,
                    container,
                    quantity,
                    day,
                    status,
                    customer_price,
                    payout,
                )
            )
            return pickup_id

        for spec in haulers:
            if not (spec.status == "active" and spec.verified):
                continue
            rng = random.Random(spec.id * 7_919 + 17)
            if rng.random() < 0.35:  # already has work on the bench's day; some are full
                booked = spec.capacity if rng.random() < 0.1 else rng.randint(1, max(1, spec.capacity // 2))
                for _ in range(booked):
                    add(spec.id, rng.choice(spec.rates), self.service_date, "scheduled", rng.choice((1, 1, 2)))
            for _ in range(2):  # history and the weeks ahead
                day = self.service_date + dt.timedelta(days=rng.choice([d for d in range(-14, 15) if d]))
                add(spec.id, rng.choice(spec.rates), day, "completed" if day < self.today else "scheduled")
            if rng.random() < 0.08:  # open offers hold a slot until answered
                for _ in range(rng.randint(1, 2)):
                    rate = rng.choice(spec.rates)
                    pickup_id = add(None, rate, self.service_date, "offered")
                    offers.append((pickup_id, spec.id, "pending", rate[2], self.answer_by, self.service_date))
            if rng.random() < 0.05:
                rate = rng.choice(spec.rates)
                pickup_id = add(None, rate, self.service_date, "requested")
                offers.append((pickup_id, spec.id, "declined", rate[2], self.answer_by, self.service_date))
        return pickups, offers
