"""The Stripe stand-in is as strict as Stripe where the project leans on it: Connect's checks and idempotent requests.

Driven with the real stripe client (as billing/stripe_gateway.py uses it) and with bare HTTP where the client could
not send the mistake.
"""

import json
import urllib.error
import urllib.request

import pytest
import stripe

from tests.services.billing_support import open_without_redirect, stripe_request

pytestmark = pytest.mark.services

EXPRESS = {"type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}}


@pytest.fixture
def api(stripe_server):
    stripe_request(stripe_server, "DELETE", "/_config/data")
    return stripe.StripeClient(
        "sk_test_haulmatch", base_addresses={"api": stripe_server, "connect": stripe_server}, max_network_retries=0
    )


def key(name: str) -> dict:
    return {"idempotency_key": name}


def raw_post(base: str, path: str, body: str, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def onboarded(api) -> str:
    account = api.v1.accounts.create(params=EXPRESS, options=key("acct-onboarded"))
    link = api.v1.account_links.create(
        params={"account": account.id, "refresh_url": "http://x.example/r", "return_url": "http://x.example/ok",
                "type": "account_onboarding"},
        options=key("link-onboarded"),
    )  # fmt: skip
    assert open_without_redirect(link.url) == (302, "http://x.example/ok")
    return account.id


def test_an_express_account_is_made_once_per_key_and_refused_when_malformed(api):
    made = api.v1.accounts.create(params={**EXPRESS, "metadata": {"hauler": "3"}}, options=key("acct-1"))
    assert (made.object, made.type, made.country, made.payouts_enabled) == ("account", "express", "US", False)
    assert made.metadata.to_dict() == {"hauler": "3"}
    again = api.v1.accounts.create(params={**EXPRESS, "metadata": {"hauler": "3"}}, options=key("acct-1"))
    assert again.id == made.id
    assert api.v1.accounts.retrieve(made.id).id == made.id

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        api.v1.accounts.create(params={**EXPRESS, "metadata": {"hauler": "4"}}, options=key("acct-1"))
    refused = [
        ({**EXPRESS, "colour": "red"}, "Received unknown parameter: colour"),
        ({**EXPRESS, "type": "standard"}, "type must be 'express'"),
        ({**EXPRESS, "country": "USA"}, "Invalid country"),
        ({"type": "express", "country": "US"}, "capabilities"),
        ({**EXPRESS, "capabilities": {"transfers": {"requested": False}}}, "transfers capability"),
    ]
    for n, (params, message) in enumerate(refused):
        with pytest.raises(stripe.InvalidRequestError, match=message):
            api.v1.accounts.create(params=params, options=key(f"bad-{n}"))
    with pytest.raises(stripe.InvalidRequestError, match="No such account") as missing:
        api.v1.accounts.retrieve("acct_nobody")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


def test_connect_requests_need_a_secret_key_and_an_idempotency_key(stripe_server, api):
    body = "type=express&country=US&capabilities[transfers][requested]=true"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, answer = raw_post(stripe_server, "/v1/accounts", body, form)
    assert (status, answer["error"]["type"]) == (401, "invalid_request_error")
    status, answer = raw_post(stripe_server, "/v1/accounts", body, {**form, "Authorization": "Bearer sk_test_x"})
    assert status == 400 and "Idempotency-Key" in answer["error"]["message"]
    with_key = {**form, "Authorization": "Bearer sk_test_x", "Idempotency-Key": "raw-1"}
    status, answer = raw_post(stripe_server, "/v1/accounts", body, with_key)
    assert (status, answer["object"]) == (200, "account")


def test_account_links_check_their_urls_and_open_once(api):
    account = api.v1.accounts.create(params=EXPRESS, options=key("acct-links"))
    link_params = {"account": account.id, "refresh_url": "http://x.example/r", "return_url": "http://x.example/ok",
                   "type": "account_onboarding"}  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError, match="absolute http"):
        api.v1.account_links.create(params={**link_params, "return_url": "/ok"}, options=key("link-bad"))
    with pytest.raises(stripe.InvalidRequestError, match="No such account"):
        api.v1.account_links.create(params={**link_params, "account": "acct_nobody"}, options=key("link-none"))
    link = api.v1.account_links.create(params=link_params, options=key("link-1"))
    assert link.object == "account_link" and link.expires_at - link.created == 300
    assert api.v1.accounts.retrieve(account.id).details_submitted is False

    assert open_without_redirect(link.url) == (302, "http://x.example/ok")
    assert open_without_redirect(link.url) == (302, "http://x.example/r")
    done = api.v1.accounts.retrieve(account.id)
    assert (done.details_submitted, done.payouts_enabled, done.charges_enabled) == (True, True, True)
    assert open_without_redirect(link.url.replace("link=", "link=x"))[0] == 404


def test_transfers_go_only_to_onboarded_accounts_once_per_key_and_are_listed(stripe_server, api):
    waiting = api.v1.accounts.create(params=EXPRESS, options=key("acct-waiting"))
    with pytest.raises(stripe.InvalidRequestError, match="capabilities enabled: transfers"):
        api.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": waiting.id}, options=key("tr-waiting")
        )
    ready = onboarded(api)
    with pytest.raises(stripe.InvalidRequestError, match="positive integer"):
        api.v1.transfers.create(params={"amount": 0, "currency": "usd", "destination": ready}, options=key("tr-0"))

    made = [
        api.v1.transfers.create(
            params={"amount": amount, "currency": "usd", "destination": ready, "transfer_group": group},
            options=key(f"tr-{amount}"),
        )
        for amount, group in ((100, "payout_1"), (200, "payout_2"), (300, "payout_2"))
    ]
    replay = api.v1.transfers.create(
        params={"amount": 100, "currency": "usd", "destination": ready, "transfer_group": "payout_1"},
        options=key("tr-100"),
    )
    assert replay.id == made[0].id
    assert api.v1.transfers.retrieve(made[1].id).amount == 200
    assert [t.amount for t in api.v1.transfers.list()] == [300, 200, 100]
    assert [t.amount for t in api.v1.transfers.list(params={"transfer_group": "payout_2"})] == [300, 200]
    page = api.v1.transfers.list(params={"destination": ready, "limit": 2})
    assert ([t.amount for t in page], page.has_more) == ([300, 200], True)
    rest = api.v1.transfers.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert ([t.amount for t in rest], rest.has_more) == ([100], False)

    stripe_request(stripe_server, "DELETE", "/_config/connect")
    assert list(api.v1.transfers.list()) == []


def test_a_declined_charge_names_its_payment_intent_and_is_replayed_for_its_key(api):
    customer = api.v1.customers.create(params={"name": "Decline Diner"}, options=key("cus-1"))
    card = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    method = api.v1.payment_methods.create(params={"type": "card", "card": card})
    api.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    charge = {"amount": 3_000, "currency": "usd", "customer": customer.id, "payment_method": method.id,
              "off_session": True, "confirm": True}  # fmt: skip

    declines = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as declined:
            api.v1.payment_intents.create(params=charge, options=key("charge-1"))
        declines.append(declined.value)

    assert declines[0].code == "card_declined"
    assert declines[0].error.payment_intent.status == "requires_payment_method"
    assert declines[1].error.payment_intent.id == declines[0].error.payment_intent.id
    assert declines[1].headers.get("Idempotent-Replayed") == "true"
    assert len(api.v1.payment_intents.list().data) == 1
