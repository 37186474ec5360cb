"""On the case queue, card disputes' one action: send the dispute's staged evidence to the bank before its deadline.

The same service as the Dispute admin's action (billing.disputes.submit_evidence): once per dispute, before
due_by, a 409 sentence otherwise. The action joins the registered Case admin's own actions.
"""

from django.contrib import admin, messages

from billing import disputes
from core.errors import Conflict
from marketplace.admin import cases  # noqa: F401  (registers the Case admin these actions join)
from marketplace.models import Case


@admin.action(description="Send the card dispute's staged evidence to the bank")
def submit_dispute_evidence(modeladmin, request, queryset):
    if not request.user.has_perm("billing.change_dispute"):
        modeladmin.message_user(request, "You may not send dispute evidence.", messages.ERROR)
        return
    sent = 0
    for case in queryset.select_related("dispute").order_by("respond_by", "pk"):
        if case.kind != Case.Kind.DISPUTE:
            modeladmin.message_user(request, f"Case {case.pk} is not a card dispute.", messages.WARNING)
            continue
        try:
            disputes.submit_evidence(dispute=case.dispute, by=request.user)
        except Conflict as error:
            modeladmin.message_user(request, f"Case {case.pk}: {error}", messages.ERROR)
        else:
            sent += 1
    if sent:
        modeladmin.message_user(request, f"Sent the evidence of {sent} card dispute(s) to the bank.", messages.SUCCESS)


case_admin = admin.site.get_model_admin(Case)
case_admin.actions = (*case_admin.actions, submit_dispute_evidence)
