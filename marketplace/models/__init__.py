"""The market's records: quotes, pickups and their offers and proof, plans, routes, notifications, webhooks,
ratings and cases."""

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
from marketplace.models.routes import DayPlan, Route, RouteStop
from marketplace.models.trust import Case, CaseMessage, Rating, case_upload_path
from marketplace.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "MAX_QUANTITY",
    "Case",
    "CaseMessage",
    "DayPlan",
    "Delivery",
    "ExceptionReason",
    "Frequency",
    "Notification",
    "NotificationPreference",
    "Offer",
    "Pickup",
    "PlanPause",
    "Quote",
    "Rating",
    "Route",
    "RouteStop",
    "ServicePlan",
    "ServiceProof",
    "UnmetDemand",
    "WebhookDelivery",
    "WebhookEndpoint",
    "case_upload_path",
    "proof_upload_path",
]
