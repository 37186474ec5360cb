"""Business roles become owner / manager / member. Every row keeps its role: a member books and sees, as before;
managers are new (no one is one until an owner or manager says so)."""

from django.conf import settings
from django.db import migrations, models


def managers_to_members(apps, schema_editor):
    # Going back: the old table knows no manager, and a member is the role that gives nobody more than they had.
    apps.get_model("customers", "Membership").objects.filter(role="manager").update(role="member")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_pickup_contact"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="membership", name="customer_membership_role_valid"),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("manager", "Manager"), ("member", "Member")],
                default="member",
                max_length=10,
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, managers_to_members, elidable=False),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["owner", "manager", "member"])),
                name="customer_membership_role_valid",
            ),
        ),
    ]
