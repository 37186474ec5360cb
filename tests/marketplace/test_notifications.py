"""Who is told what: text and HTML email, in-app rows, preferences, dedupe, and texts for new offers."""

import datetime as dt
import logging

import pytest
from django.core import mail
from django.utils import timezone

from marketplace import notifications, sms
from marketplace.models import Notification, Offer, Pickup
from tests import factories


@pytest.fixture
def offer(location, in_area_hauler):
    in_area_hauler.phone = "(512) 555-0199"
    in_area_hauler.save(update_fields=["phone"])
    factories.HaulerMembershipFactory(hauler=in_area_hauler)
    pickup = Pickup.objects.create(
        customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=2), status="offered", price_cents=10_200,
        payout_cents=8_500,
    )  # fmt: skip
    return Offer.objects.create(
        pickup=pickup, hauler=in_area_hauler, payout_cents=8_500, answer_by=timezone.now() + dt.timedelta(hours=2)
    )


@pytest.mark.django_db
def test_each_message_is_text_and_html_and_an_in_app_row(offer):
    assert notifications.send("offer_made", offer.pk) == 1
    message = mail.outbox[0]
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    assert "$85.00" in message.body and "$85.00" in html and "<h1" in html
    note = Notification.objects.get()
    assert (note.kind, note.title, note.emailed) == ("offer_made", message.subject, True)


@pytest.mark.django_db
def test_a_retried_task_sends_once(offer):
    notifications.send("offer_made", offer.pk)
    assert notifications.send("offer_made", offer.pk) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_a_new_offer_is_also_texted_to_the_haulers_phone(offer, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace.sms"):
        notifications.send("offer_made", offer.pk)
        notifications.send("offer_made", offer.pk)  # a retry does not text again
    texts = [r.getMessage() for r in caplog.records if r.name == "marketplace.sms"]
    assert texts == [f"SMS to 5125550199: {mail.outbox[0].subject}"]


@pytest.mark.django_db
def test_the_email_sms_backend_uses_the_carrier_gateway(settings):
    settings.SMS_BACKEND = "email"
    settings.SMS_EMAIL_DOMAIN = "txt.example.net"
    assert sms.send_sms(to="+1 512 555 0100", text="x" * 200)
    assert mail.outbox[0].to == ["5125550100@txt.example.net"]
    assert len(mail.outbox[0].body) == 160


@pytest.mark.parametrize("number", ["", "555-0100", "12345678901234", "not a number"])
def test_unusable_numbers_are_not_texted(number):
    assert sms.send_sms(to=number, text="hello") is False


@pytest.mark.django_db
def test_a_deleted_object_sends_nothing(offer):
    offer_id = offer.pk
    offer.delete()
    assert notifications.send("offer_made", offer_id) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_staff_alias_and_text_go_out_once_even_when_no_member_gets_email(offer, settings, caplog):
    from marketplace.models import NotificationPreference

    for member in offer.hauler.memberships.all():
        NotificationPreference.objects.create(user=member.user, kind="offer_made")  # email muted
    with caplog.at_level(logging.INFO, logger="marketplace.sms"):
        assert notifications.send("offer_made", offer.pk) == 0
        notifications.send("offer_made", offer.pk)
    assert [r.getMessage()[:17] for r in caplog.records if r.name == "marketplace.sms"] == ["SMS to 5125550199"]

    settings.STAFF_ALERT_EMAILS = ["dispatch@haulmatch.example"]
    offer.pickup.status = "unmatched"
    offer.pickup.save(update_fields=["status"])
    mail.outbox.clear()
    notifications.send("pickup_unmatched", offer.pickup.pk)
    notifications.send("pickup_unmatched", offer.pickup.pk)  # a retried task
    assert [m.to for m in mail.outbox].count(["dispatch@haulmatch.example"]) == 1
