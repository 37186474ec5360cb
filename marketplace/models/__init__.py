"""The market's records: quotes, pickups and their offers and proof, plans, notifications."""

from marketplace.models.notifications import Delivery, Notification, NotificationPreference
from marketplace.models.pickups import (
    MAX_QUANTITY,
    ExceptionReason,
    Frequency,
    Offer,
    Pickup,
    Quote,
    ServiceProof,
    UnmetDemand,
    proof_upload_path,
)
from marketplace.models.plans import PlanPause, ServicePlan

__all__ = [
    "MAX_QUANTITY",
    "Delivery",
    "ExceptionReason",
    "Frequency",
    "Notification",
    "NotificationPreference",
    "Offer",
    "Pickup",
    "PlanPause",
    "Quote",
    "ServicePlan",
    "ServiceProof",
    "UnmetDemand",
    "proof_upload_path",
]
