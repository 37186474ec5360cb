"""Billing's web edges: the Stripe webhook endpoint, a business's card, payments and invoices, a hauler's payouts."""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import cards, payouts, pdf, receipts, selectors, webhooks
from billing import stripe_gateway as gateway
from billing.forms import TestCardForm
from billing.models import BillingAccount
from billing.stripe_gateway import BadSignature, GatewayError, verify_event
from core.enqueue import enqueue
from core.errors import Conflict
from core.next_url import safe_next
from core.permissions import may, require
from core.views import apply_errors, business_required, hauler_required, role_required

PAYMENTS_OFF = "Payments are not set up on this installation."


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Verify, store once, answer fast; the handler runs in a task. A bad signature writes nothing (400)."""
    try:
        event = verify_event(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except BadSignature as exc:
        return HttpResponseBadRequest(f"Webhook refused: {exc}", content_type="text/plain")
    row, created = webhooks.record(event)
    if created:
        enqueue("billing.process_event", row.pk)
    return HttpResponse("ok" if created else "already received", content_type="text/plain")


# --- A business's billing ---------------------------------------------------------------------------------


@business_required
@require_GET
def billing(request, customer):
    """The card on file, credit and where it came from and went, payments with their refunds, and invoices."""
    overview = selectors.billing_overview(customer=customer)
    context = {
        "customer": customer,
        "may_change_card": may(user=request.user, organisation=customer, action="billing"),
        **overview,
        **receipts.billing_money(customer=customer, payments=overview["payments"]),
    }
    return render(request, "billing/billing.html", context)


def _card_page(request, customer, *, mode: str, status: int = 200, **context):
    """The card page in one mode: off, test (the server form), stripe (the Payment Element), refused or unavailable."""
    account = BillingAccount.objects.filter(customer=customer).first()
    context = {"customer": customer, "account": account, "mode": mode, "next_url": safe_next(request), **context}
    return render(request, "billing/card.html", context, status=status)


# What Stripe.js and its Payment Element need, on the card page alone: its script, its frames (the card fields and
# a bank's 3-D Secure check) and its API. The rest of the site allows none of it.
STRIPE_JS_POLICY = {
    "script-src": ["https://js.stripe.com", "https://*.js.stripe.com"],
    "frame-src": [SELF, "https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": [SELF, "https://api.stripe.com"],
}


@csp_update(STRIPE_JS_POLICY)
@business_required
@role_required("billing")
@require_http_methods(["GET", "POST"])
def card(request, customer):
    """Add or change the card: Stripe's Payment Element, or against a local Stripe stand-in, a test-card form."""
    if not gateway.configured():
        return _card_page(request, customer, mode="off", status=409 if request.method == "POST" else 200)
    if gateway.test_cards_allowed():
        return _test_card(request, customer)
    if request.method == "POST":
        return _card_page(request, customer, mode="refused", status=409)
    if not settings.STRIPE_PUBLISHABLE_KEY:
        problem = "The card form cannot load: no Stripe publishable key is configured."
        return _card_page(request, customer, mode="unavailable", problem=problem, status=503)
    try:
        _, client_secret = cards.start_card_setup(customer=customer, by=request.user)
    except GatewayError as error:
        return _card_page(request, customer, mode="unavailable", problem=str(error), status=503)
    stripe_config = {
        "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
        "clientSecret": client_secret,
        # Stripe adds its setup_intent to this URL's query and keeps ours: the return goes on to `next`.
        "returnUrl": request.build_absolute_uri(_with_next(reverse("billing_card_return"), safe_next(request))),
    }
    return _card_page(request, customer, mode="stripe", stripe_config=stripe_config)


def _test_card(request, customer):
    form = TestCardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = cards.save_test_card(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except (Conflict, GatewayError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Saved your card: {account.card_label()}.")
            return redirect(safe_next(request) or "billing")
    return _card_page(request, customer, mode="test", form=form, status=400 if form.errors else 200)


@business_required
@role_required("billing")
@require_GET
def card_return(request, customer):
    """Where Stripe sends the browser after the Payment Element confirmed (or failed to confirm) a card: on to
    the page that asked for the card (`next`, e.g. the quote), or back to the card form to try again."""
    setup_intent_id = request.GET.get("setup_intent", "")
    next_url = safe_next(request)
    if not gateway.configured():
        messages.error(request, PAYMENTS_OFF)
        return redirect("billing")
    problem = None
    if not setup_intent_id.startswith("seti_"):
        problem = "The card was not saved: the card form did not finish. Try again."
    else:
        try:
            account = cards.save_card(customer=customer, setup_intent_id=setup_intent_id, by=request.user)
        except ValidationError as error:
            problem = f"The card was not saved: {' '.join(error.messages)}"
        except (Conflict, GatewayError) as error:
            problem = f"The card was not saved: {error}"
    if problem:
        messages.error(request, problem)
        return redirect(_with_next(reverse("billing_card"), next_url) if next_url else "billing")
    messages.success(request, f"Saved your card: {account.card_label()}.")
    return redirect(next_url or "billing")


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


@business_required
@require_GET
def invoice_detail(request, customer, invoice_id: int):
    """A monthly invoice: a line per visit, the totals and whether it is paid."""
    invoice = selectors.invoice_of(customer=customer, invoice_id=invoice_id)
    return render(request, "billing/invoice_detail.html", pdf.invoice_context(invoice=invoice))


@business_required
@require_GET
def invoice_print(request, customer, invoice_id: int):
    """The invoice as a standalone page to print or save as PDF."""
    invoice = selectors.invoice_of(customer=customer, invoice_id=invoice_id)
    return render(request, "billing/invoice_print.html", pdf.invoice_context(invoice=invoice))


# --- A hauler's payouts -----------------------------------------------------------------------------------


def _stripe_onboarding_origin() -> str:
    """Where Stripe's onboarding pages are: Stripe's own, or in development the local stand-in's address."""
    base = urlsplit(settings.STRIPE_API_BASE)
    return f"{base.scheme}://{base.netloc}" if base.netloc else "https://connect.stripe.com"


def allows_stripe_onboarding(view):
    """For a page with the "Set up payouts" form: its POST answers a redirect to Stripe's onboarding, and the
    browser follows a form's redirects only where the page's form-action allows (the site's alone otherwise)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return csp_update({"form-action": [_stripe_onboarding_origin()]})(view)(request, *args, **kwargs)

    return wrapped


def _owner(request, hauler) -> None:
    require(user=request.user, organisation=hauler, action="payouts")


@allows_stripe_onboarding
@hauler_required
@require_http_methods(["GET", "POST"])
def payout_connect(request, hauler):
    """Owners: on to Stripe's onboarding for the payout account. A GET (Stripe's refresh link) asks to continue."""
    _owner(request, hauler)
    if request.method == "GET":
        return render(request, "billing/payout_connect.html", {"hauler": hauler, "payouts_on": gateway.configured()})
    if not gateway.configured():
        messages.error(request, "Payouts are not set up on this installation.")
        return redirect("hauler_earnings")
    try:
        url = payouts.start_payout_onboarding(
            hauler=hauler,
            by=request.user,
            email=request.user.email,
            refresh_url=request.build_absolute_uri(reverse("payout_connect")),
            return_url=request.build_absolute_uri(reverse("payout_return")),
        )
    except GatewayError as error:
        messages.error(request, f"Payout setup could not start: {error}")
        return redirect("hauler_earnings")
    return redirect(url)


@hauler_required
@role_required("payouts")
@require_GET
def payout_return(request, hauler):
    """Back from Stripe's onboarding: ask Stripe whether payouts are on now."""
    account = payouts.payout_account_of(hauler=hauler)
    if account is None:
        messages.info(request, "Payout setup has not started yet.")
        return redirect("hauler_earnings")
    try:
        account = payouts.refresh_payout_account(stripe_account_id=account.stripe_account_id)
    except GatewayError as error:
        messages.error(request, f"Could not check your payout account with Stripe: {error}")
        return redirect("hauler_earnings")
    if account.payouts_enabled:
        messages.success(request, "Payouts are on: jobs paid for by the customer are paid out to you weekly.")
    elif account.details_submitted:
        messages.info(request, "Thanks: Stripe is checking your details. Payouts start once it has.")
    else:
        messages.warning(request, "Payout setup is not finished yet: continue where you left off.")
    return redirect("hauler_earnings")


@hauler_required
@role_required("see")
@require_GET
def payout_detail(request, hauler, payout_id: int):
    """A payout statement: the transfer and each job it paid for."""
    context = {"hauler": hauler, **selectors.payout_statement(hauler=hauler, payout_id=payout_id)}
    return render(request, "billing/payout_detail.html", context)
