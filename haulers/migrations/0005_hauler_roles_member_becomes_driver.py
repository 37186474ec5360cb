"""Hauler roles become owner / dispatcher / driver.

A member today works the day of the truck they are assigned to (DriverAssignment.driver) and may not plan
routes, change the fleet or set up payouts: that is a driver, so every "member" row becomes "driver". Owners
stay owners; who should dispatch is the owner's call, on the team page.
"""

from django.conf import settings
from django.db import migrations, models


def member_to_driver(apps, schema_editor):
    apps.get_model("haulers", "Membership").objects.filter(role="member").update(role="driver")


def driver_to_member(apps, schema_editor):
    apps.get_model("haulers", "Membership").objects.filter(role__in=["driver", "dispatcher"]).update(role="member")


class Migration(migrations.Migration):
    dependencies = [
        ("haulers", "0004_trucks_and_disposal_sites"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="membership", name="hauler_membership_role_valid"),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("dispatcher", "Dispatcher"), ("driver", "Driver")],
                default="driver",
                max_length=10,
            ),
        ),
        migrations.RunPython(member_to_driver, driver_to_member, elidable=False),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["owner", "dispatcher", "driver"])),
                name="hauler_membership_role_valid",
            ),
        ),
    ]
