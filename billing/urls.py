from django.urls import path

from billing import receipt_views, views

urlpatterns = [
    path("", views.billing, name="billing"),
    path("card/", views.card, name="billing_card"),
    path("card/return/", views.card_return, name="billing_card_return"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:invoice_id>/print/", views.invoice_print, name="invoice_print"),
    path("receipts/<int:payment_id>/", receipt_views.receipt_detail, name="receipt_detail"),
    path("receipts/pickup/<int:pickup_id>/", receipt_views.receipt_for_pickup, name="receipt_for_pickup"),
    path("payouts/connect/", views.payout_connect, name="payout_connect"),
    path("payouts/return/", views.payout_return, name="payout_return"),
    path("payouts/<int:payout_id>/", views.payout_detail, name="payout_detail"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
