"""A business registers a sensor at its location, copies its token (shown once), rotates it and sets its rules."""

import re

import pytest
from django.test import Client

from sensors import services
from sensors.models import Device, hash_token
from tests import factories

FORM = {
    "serial": "FS-1001",
    "waste_stream": "cardboard",
    "container": "dumpster_4yd",
    "collect_at_percent": "85",
    "skip_below_percent": "25",
    "auto_book": "on",
}


def token_on(page) -> str | None:
    found = re.search(r'value="(hmd_[^"]+)"', page.content.decode())
    return found.group(1) if found else None


@pytest.fixture
def device(location):
    return services.register_device(
        by=None, location=location, serial="FS-0001", waste_stream="trash", container="dumpster_4yd"
    )[0]


@pytest.mark.django_db
def test_the_form_is_shown(owner_client, location):
    page = owner_client.get(f"/locations/{location.pk}/sensors/new/")

    assert page.status_code == 200
    html = page.content.decode()
    assert location.name in html
    for name in FORM:
        assert f'name="{name}"' in html
    assert '<label for="id_serial"' in html


@pytest.mark.django_db
def test_registering_shows_the_token_once_and_stores_only_its_hash(owner_client, location):
    response = owner_client.post(f"/locations/{location.pk}/sensors/new/", FORM)

    device = Device.objects.get()
    assert response.status_code == 302
    assert response.url == f"/sensors/{device.pk}/token/"
    first = owner_client.get(response.url)
    token = token_on(first)
    assert token is not None
    assert "Copy this token now" in first.content.decode()
    assert "no-store" in first.headers["Cache-Control"] or "max-age=0" in first.headers["Cache-Control"]
    assert device.token_hash == hash_token(token)
    assert (device.location, device.waste_stream, device.container) == (location, "cardboard", "dumpster_4yd")
    assert (device.collect_at_percent, device.skip_below_percent, device.auto_book) == (85, 25, True)

    second = owner_client.get(response.url)
    assert second.status_code == 200
    assert token not in second.content.decode()
    assert token_on(second) is None
    assert f"…{token[-4:]}" in second.content.decode()
    assert token not in str(owner_client.session.items())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"serial": ""}, "serial"),
        ({"serial": "FS-0001"}, "serial"),  # taken
        ({"waste_stream": "asbestos"}, "waste_stream"),
        ({"collect_at_percent": "0"}, "collect_at_percent"),
        ({"skip_below_percent": "90"}, "skip_below_percent"),
    ],
)
def test_bad_registrations_are_shown_on_the_form(owner_client, location, device, changes, field):
    response = owner_client.post(f"/locations/{location.pk}/sensors/new/", {**FORM, **changes})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "Please check the form." in response.content.decode()
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_rotating_shows_the_new_token_once_and_the_old_one_stops_working(owner_client, location):
    device, old = services.register_device(
        by=None, location=location, serial="FS-0002", waste_stream="trash", container="dumpster_4yd"
    )

    assert owner_client.get(f"/sensors/{device.pk}/rotate/").status_code == 405
    response = owner_client.post(f"/sensors/{device.pk}/rotate/")

    assert response.status_code == 302
    new = token_on(owner_client.get(response.url))
    assert new and new != old
    assert services.device_for_token(old) is None
    assert services.device_for_token(new) == device
    assert token_on(owner_client.get(response.url)) is None


@pytest.mark.django_db
def test_the_rules_page_changes_thresholds_auto_booking_and_active(owner_client, device):
    page = owner_client.get(f"/sensors/{device.pk}/rules/")
    assert page.status_code == 200
    assert page.context["form"].initial["collect_at_percent"] == 80
    assert page.context["form"].initial["use_forecast"] is True
    assert "Use the forecast" in page.content.decode()

    response = owner_client.post(
        f"/sensors/{device.pk}/rules/", {"collect_at_percent": "90", "skip_below_percent": "15", "auto_book": "on"}
    )

    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.collect_at_percent, device.skip_below_percent, device.auto_book, device.active) == (
        90,
        15,
        True,
        False,
    )
    assert device.use_forecast is False  # unticked: the thresholds alone decide
    assert "Saved the rules" in owner_client.get(response.url).content.decode()


@pytest.mark.django_db
def test_rules_with_skip_above_collect_are_refused(owner_client, device):
    response = owner_client.post(
        f"/sensors/{device.pk}/rules/", {"collect_at_percent": "40", "skip_below_percent": "60", "active": "on"}
    )

    assert response.status_code == 400
    assert "skip_below_percent" in response.context["form"].errors
    device.refresh_from_db()
    assert (device.collect_at_percent, device.skip_below_percent) == (80, 30)


@pytest.mark.django_db
def test_another_business_gets_404_for_my_location_and_sensor(client, location, device):
    rival = factories.CustomerMembershipFactory(customer__name="Rival Diner").user
    client.force_login(rival)

    assert client.get(f"/locations/{location.pk}/sensors/new/").status_code == 404
    assert client.post(f"/locations/{location.pk}/sensors/new/", FORM).status_code == 404
    assert client.get(f"/sensors/{device.pk}/rules/").status_code == 404
    assert client.post(f"/sensors/{device.pk}/rules/", {"collect_at_percent": "50"}).status_code == 404
    assert client.post(f"/sensors/{device.pk}/rotate/").status_code == 404
    assert client.get(f"/sensors/{device.pk}/token/").status_code == 404
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_someone_elses_token_page_never_shows_a_token(owner_client, location):
    owner_client.post(f"/locations/{location.pk}/sensors/new/", FORM)
    device = Device.objects.get()
    rival = Client()  # another browser, another session
    rival.force_login(factories.CustomerMembershipFactory().user)

    assert rival.get(f"/sensors/{device.pk}/token/").status_code == 404
    assert token_on(owner_client.get(f"/sensors/{device.pk}/token/")) is not None


@pytest.mark.django_db
def test_a_hauler_gets_403_and_a_visitor_is_sent_to_log_in(client, location, device):
    hauler = factories.HaulerMembershipFactory().user
    client.force_login(hauler)
    assert client.get(f"/locations/{location.pk}/sensors/new/").status_code == 403
    assert client.get(f"/sensors/{device.pk}/rules/").status_code == 403
    assert client.post(f"/sensors/{device.pk}/rotate/").status_code == 403

    client.logout()
    response = client.get(f"/sensors/{device.pk}/rules/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
