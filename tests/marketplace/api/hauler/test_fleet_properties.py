"""Whatever JSON is posted to the fleet endpoints, the answer is a success or a 400 (never a 500), and a 400
leaves nothing half-saved."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalog import Container, WasteStream
from haulers.models import DisposalSite, Truck
from tests.marketplace.api.hauler.conftest import site_body, site_row, truck_body, truck_row

TRUCKS = "/api/v1/hauler/trucks/"
SITES = "/api/v1/hauler/disposal-sites/"
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-2, max_value=300),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["06:00", "17:30", "24:00", "6:0", "06:00:00", "00:00", "23:59:59.5", "78701", "78725", "00000"]),
    st.sampled_from([*Container.values, *WasteStream.values, *Truck.Kind.values, *DisposalSite.Kind.values]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=8,
)


def bodies(valid: dict):
    """A valid body with some fields replaced, dropped or added at random; sometimes not an object at all."""
    fields = sorted({*valid, "disposal_sites", "active", "latitude", "longitude", "waste_streams", "address"})
    changed = st.dictionaries(st.sampled_from(fields) | st.text(max_size=8), json_values, max_size=3)
    dropped = st.sets(st.sampled_from(sorted(valid)), max_size=2)
    edited = st.builds(
        lambda changes, drop: {k: v for k, v in {**valid, **changes}.items() if k not in drop}, changed, dropped
    )
    return st.one_of(edited, edited, edited, json_values)


def fleet_rows(hauler) -> tuple:
    trucks = [truck_row(truck) for truck in Truck.objects.filter(hauler=hauler).order_by("pk")]
    sites = list(DisposalSite.objects.filter(hauler=hauler).order_by("pk").values())
    return trucks, sites, Truck.disposal_sites.through.objects.count()


@pytest.mark.django_db
def test_posting_any_json_adds_a_truck_or_is_a_400_that_adds_nothing(hauler_api, hauler, site):
    @EXAMPLES
    @given(body=bodies(truck_body(disposal_sites=[site.pk])))
    def check(body):
        before = fleet_rows(hauler)
        response = hauler_api.post(TRUCKS, body, format="json")
        assert response.status_code in {201, 400}, (body, response.content)
        if response.status_code == 400:
            assert fleet_rows(hauler) == before, body
        else:
            Truck.objects.filter(pk=response.json()["id"]).delete()  # names stay free for the next example

    check()


@pytest.mark.django_db
def test_putting_any_json_replaces_the_truck_or_is_a_400_that_changes_nothing(hauler_api, hauler, truck, site):
    @EXAMPLES
    @given(body=bodies(truck_body(name=truck.name, disposal_sites=[site.pk], active=True)))
    def check(body):
        before = fleet_rows(hauler)
        response = hauler_api.put(f"{TRUCKS}{truck.pk}/", body, format="json")
        assert response.status_code in {200, 400}, (body, response.content)
        if response.status_code == 400:
            assert fleet_rows(hauler) == before, body

    check()


@pytest.mark.django_db
def test_posting_any_json_adds_a_site_or_is_a_400_that_adds_nothing(hauler_api, hauler):
    @EXAMPLES
    @given(body=bodies(site_body()))
    def check(body):
        before = fleet_rows(hauler)
        response = hauler_api.post(SITES, body, format="json")
        assert response.status_code in {201, 400}, (body, response.content)
        if response.status_code == 400:
            assert fleet_rows(hauler) == before, body

    check()


@pytest.mark.django_db
def test_putting_any_json_replaces_the_site_or_is_a_400_that_changes_nothing(hauler_api, hauler, site):
    @EXAMPLES
    @given(body=bodies(site_body()))
    def check(body):
        before = site_row(site)
        response = hauler_api.put(f"{SITES}{site.pk}/", body, format="json")
        assert response.status_code in {200, 400}, (body, response.content)
        if response.status_code == 400:
            assert site_row(site) == before, body

    check()
