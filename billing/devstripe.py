"""The development and test stand-in for Stripe: localstripe, plus a strict fake of Stripe Connect.

    python -m billing.devstripe --port 8420 [--state FILE] [--webhook URL --webhook-secret SECRET]

localstripe serves customers, cards, SetupIntents, PaymentIntents, refunds and webhooks; it has no Connect. The
routes below add what payouts need (Express accounts, account links with a fake hosted onboarding page, transfers),
checked the way Stripe checks them: unknown or malformed parameters are refused with Stripe's error shape, and every
Connect create must carry an Idempotency-Key. Every POST under /v1/ honours Idempotency-Key as Stripe does: the same
key with the same parameters answers with the first response (no second object), with other parameters it is an
idempotency_error.

It listens on 127.0.0.1 only and starts empty: nothing is read from or written to localstripe's pickle file, and
only `--state` keeps objects across restarts (`make run` does, so the demo's saved cards survive a restart).
Card disputes and file uploads are billing/devstripe_disputes.py's. `DELETE /_config/data` empties every object
(webhooks stay); `DELETE /_config/connect` empties the Connect fake;
`DELETE /_config/webhooks/<id>` removes a webhook registered with `POST /_config/webhooks/<id>`. Opening an
account link (`GET /connect/onboard/<account>?...`) completes onboarding at once, sends account.updated to the
registered webhooks and redirects to its return_url; like Stripe's, a link works once and only for five minutes
(after that it redirects to its refresh_url). A declined card's error names the PaymentIntent it left, as Stripe's do.

With `--webhook`, events wait until that URL answers (billing/devstripe_webhooks.py): `make run` starts the
stand-in before the site, and seeding the demo makes charges while the site is still being prepared.
"""

import argparse
import asyncio
import logging
import pickle
import re
import secrets
import string
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web
from localstripe import server as localstripe
from localstripe import webhooks
from localstripe.errors import UserError
from localstripe.resources import Event, store

from billing import devstripe_disputes, devstripe_webhooks

app = localstripe.app

ACCOUNT_LINK_LIFETIME = 300  # seconds, as Stripe's
METADATA_LIMITS = (50, 40, 500)  # keys, key length, value length


class Connect:
    """The fake's state: accounts, account links and transfers by id."""

    accounts: dict[str, dict] = {}
    links: dict[str, dict] = {}
    transfers: dict[str, dict] = {}

    @classmethod
    def clear(cls) -> None:
        cls.accounts.clear()
        cls.links.clear()
        cls.transfers.clear()


# Idempotency-Key -> (path and parameters of the first request, its status, its body)
_replies: dict[str, tuple[tuple, int, bytes]] = {}
_replies_lock = asyncio.Lock()


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(16))


def _fail(status: int, message: str, *, kind: str = "invalid_request_error", param: str = "", code: str = ""):
    error = UserError(status, message, {**({"param": param} if param else {}), **({"code": code} if code else {})})
    error.body["error"]["type"] = kind
    raise error


def _missing(kind: str, object_id: str):
    _fail(404, f"No such {kind}: '{object_id}'", param="id", code="resource_missing")


# --- Parameters ----------------------------------------------------------------------------------------------


async def _params(request: web.Request, allowed: set[str]) -> dict:
    """The request's form-encoded parameters as nested dicts; Stripe's 400 for anything unknown."""
    if not re.fullmatch(r"Bearer sk_\w+", request.headers.get("Authorization", "")):
        _fail(401, "Invalid API Key provided: send a secret key as 'Authorization: Bearer sk_...'.")
    if request.method == "POST":
        if request.content_type not in ("application/x-www-form-urlencoded", ""):
            _fail(400, "Stripe's v1 API takes form-encoded parameters (application/x-www-form-urlencoded).")
        data = localstripe.unflatten_data(await request.post())
    else:
        data = localstripe.unflatten_data(request.query)
    data.pop("expand", None)
    for name in data:
        if name not in allowed:
            _fail(400, f"Received unknown parameter: {name}", param=name)
    return data


def _require_key(request: web.Request) -> None:
    if not request.headers.get("Idempotency-Key"):
        _fail(400, "Every Connect request to this stand-in must carry an Idempotency-Key header.")


def _string(data: dict, name: str, *, required: bool = True, pattern: str = r".+") -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if value is None:
        _fail(400, f"Missing required param: {name}.", param=name, code="parameter_missing")
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        _fail(400, f"Invalid {name}: {value!r}", param=name, code="parameter_invalid_string")
    return value


def _positive_int(data: dict, name: str) -> int:
    value = _string(data, name, pattern=r"[0-9]+")
    if int(value) <= 0:
        _fail(400, f"Invalid {name}: must be a positive integer", param=name, code="parameter_invalid_integer")
    return int(value)


def _metadata(data: dict) -> dict:
    metadata = data.get("metadata", {})
    if metadata == "":
        return {}
    most, key_length, value_length = METADATA_LIMITS
    if not isinstance(metadata, dict) or len(metadata) > most:
        _fail(400, f"Invalid metadata: at most {most} keys of strings.", param="metadata")
    for key, value in metadata.items():
        if len(key) > key_length or not isinstance(value, str) or len(value) > value_length:
            _fail(400, f"Invalid metadata[{key}]: keys up to {key_length}, values up to {value_length} characters.")
    return metadata


def _absolute_url(data: dict, name: str) -> str:
    value = _string(data, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        _fail(400, f"Not a valid URL: {name} must be an absolute http(s) URL.", param=name, code="url_invalid")
    return value


# --- Accounts ------------------------------------------------------------------------------------------------


async def create_account(request: web.Request) -> web.Response:
    data = await _params(request, {"type", "country", "email", "capabilities", "business_type", "metadata"})
    _require_key(request)
    if _string(data, "type") != "express":
        _fail(400, "This stand-in creates Express accounts only: type must be 'express'.", param="type")
    country = _string(data, "country", pattern=r"[A-Z]{2}")
    email = _string(data, "email", required=False, pattern=r"[^@\s]+@[^@\s]+")
    business_type = _string(
        data, "business_type", required=False, pattern="individual|company|non_profit|government_entity"
    )
    capabilities = data.get("capabilities")
    if not isinstance(capabilities, dict):
        _fail(400, "Missing required param: capabilities[transfers][requested].", param="capabilities")
    for name, value in capabilities.items():
        if name not in ("transfers", "card_payments"):
            _fail(400, f"Received unknown parameter: capabilities[{name}]", param=f"capabilities[{name}]")
        if not isinstance(value, dict) or set(value) != {"requested"} or value["requested"] not in ("true", "false"):
            _fail(400, f"Invalid capabilities[{name}]: send capabilities[{name}][requested]=true.")
    if capabilities.get("transfers", {}).get("requested") != "true":
        _fail(400, "Payouts need the transfers capability: capabilities[transfers][requested]=true.")
    account = {
        "id": _new_id("acct_"),
        "object": "account",
        "type": "express",
        "country": country,
        "email": email,
        "business_type": business_type,
        "capabilities": {name: "inactive" for name, value in capabilities.items() if value["requested"] == "true"},
        "details_submitted": False,
        "payouts_enabled": False,
        "charges_enabled": False,
        "metadata": _metadata(data),
        "created": int(time.time()),
    }
    Connect.accounts[account["id"]] = account
    return web.json_response(account)


async def retrieve_account(request: web.Request) -> web.Response:
    await _params(request, set())
    account = Connect.accounts.get(request.match_info["id"])
    if account is None:
        _missing("account", request.match_info["id"])
    return web.json_response(account)


async def create_account_link(request: web.Request) -> web.Response:
    data = await _params(request, {"account", "refresh_url", "return_url", "type", "collect"})
    _require_key(request)
    account_id = _string(data, "account")
    if account_id not in Connect.accounts:
        _missing("account", account_id)
    if _string(data, "type") != "account_onboarding":
        _fail(400, "This stand-in makes onboarding links only: type must be 'account_onboarding'.", param="type")
    _string(data, "collect", required=False, pattern="currently_due|eventually_due")
    now = int(time.time())
    link = {
        "id": _new_id(""),
        "account": account_id,
        "refresh_url": _absolute_url(data, "refresh_url"),
        "return_url": _absolute_url(data, "return_url"),
        "expires_at": now + ACCOUNT_LINK_LIFETIME,
        "visited": False,
    }
    Connect.links[link["id"]] = link
    query = urlencode({"return_url": link["return_url"], "link": link["id"]})
    url = f"{request.url.origin()}/connect/onboard/{account_id}?{query}"
    return web.json_response({"object": "account_link", "url": url, "expires_at": link["expires_at"], "created": now})


async def onboard(request: web.Request) -> web.Response:
    """The hosted onboarding page: a link works once, before it expires; otherwise it sends the user to refresh_url."""
    link = Connect.links.get(request.query.get("link", ""))
    if link is None or link["account"] != request.match_info["account"]:
        return web.Response(status=404, text="This onboarding link is not valid.")
    if link["visited"] or link["expires_at"] < time.time():
        raise web.HTTPFound(link["refresh_url"])
    link["visited"] = True
    account = Connect.accounts[link["account"]]
    account.update(details_submitted=True, payouts_enabled=True, charges_enabled=True)
    account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
    webhooks.schedule_webhook(Event("account.updated", _Snapshot(account)))
    raise web.HTTPFound(link["return_url"])


class _Snapshot:
    """A Connect object as localstripe's events carry one."""

    def __init__(self, data: dict):
        self.data = dict(data)

    def _export(self) -> dict:
        return self.data


# --- Transfers -----------------------------------------------------------------------------------------------


async def create_transfer(request: web.Request) -> web.Response:
    data = await _params(request, {"amount", "currency", "destination", "transfer_group", "metadata", "description"})
    _require_key(request)
    amount = _positive_int(data, "amount")
    currency = _string(data, "currency", pattern=r"[a-z]{3}")
    destination = _string(data, "destination")
    account = Connect.accounts.get(destination)
    if account is None:
        _missing("account", destination)
    if not account["payouts_enabled"] or account["capabilities"].get("transfers") != "active":
        _fail(
            400,
            "Your destination account needs to have at least one of the following capabilities enabled: transfers.",
            param="destination",
            code="insufficient_capabilities_for_transfer",
        )
    transfer = {
        "id": _new_id("tr_"),
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "currency": currency,
        "destination": destination,
        "transfer_group": _string(data, "transfer_group", required=False),
        "description": _string(data, "description", required=False),
        "reversed": False,
        "metadata": _metadata(data),
        "created": int(time.time()),
    }
    Connect.transfers[transfer["id"]] = transfer
    return web.json_response(transfer)


async def retrieve_transfer(request: web.Request) -> web.Response:
    await _params(request, set())
    transfer = Connect.transfers.get(request.match_info["id"])
    if transfer is None:
        _missing("transfer", request.match_info["id"])
    return web.json_response(transfer)


async def list_page(request: web.Request, objects, *, filters: tuple[str, ...], url: str) -> web.Response:
    """A Stripe list: newest first, `limit` at a time (default 10, as Stripe's), filtered by `filters`' values,
    after `starting_after`."""
    data = await _params(request, {"limit", "starting_after", *filters})
    limit = int(_string(data, "limit", required=False, pattern=r"[1-9][0-9]?|100") or 10)
    found = [item for item in reversed(objects) if all(item[name] == data[name] for name in filters if name in data)]
    after = data.get("starting_after")
    if after is not None:
        ids = [item["id"] for item in found]
        if after not in ids:
            _fail(404, f"No such object: '{after}'", param="starting_after", code="resource_missing")
        found = found[ids.index(after) + 1 :]
    return web.json_response({"object": "list", "data": found[:limit], "has_more": len(found) > limit, "url": url})


async def list_transfers(request: web.Request) -> web.Response:
    """The transfers, filtered by destination and transfer_group."""
    transfers = list(Connect.transfers.values())
    return await list_page(request, transfers, filters=("destination", "transfer_group"), url="/v1/transfers")


async def clear_connect(request: web.Request) -> web.Response:
    Connect.clear()
    return web.Response()


async def unregister_webhook(request: web.Request) -> web.Response:
    """localstripe registers webhooks (POST /_config/webhooks/<id>) but has no way to remove one."""
    webhooks._webhooks.pop(request.match_info["id"], None)
    return web.Response()


# --- Middleware ----------------------------------------------------------------------------------------------


@web.middleware
async def auth_unless_onboarding(request, handler):
    """localstripe's key check, except on the onboarding page (a person's browser carries no API key) and on file
    uploads (localstripe reads every body as text; the upload checks its key itself)."""
    if request.method == "GET" and request.path.startswith("/connect/onboard/"):
        return await handler(request)
    if request.method == "POST" and request.path == "/v1/files":
        return await handler(request)
    return await localstripe.auth_middleware(request, handler)


@web.middleware
async def idempotency(request, handler):
    """Stripe's idempotent requests: the first answer to a key is kept and replayed for the same parameters."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not request.path.startswith("/v1/") or not key:
        return await handler(request)
    if request.content_type == "multipart/form-data":
        fingerprint = await devstripe_disputes.multipart_fingerprint(request)
    else:
        fingerprint = (request.path, tuple(sorted(parse_qsl((await request.read()).decode(), keep_blank_values=True))))
    async with _replies_lock:
        if key in _replies:
            first, status, body = _replies[key]
            if first != fingerprint:
                _fail(
                    400,
                    f"Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                    kind="idempotency_error",
                )
            replay = web.Response(status=status, body=body, content_type="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = await handler(request)
        except UserError as error:
            response = error.to_response()
        # Like Stripe: a request that ran is kept, including a declined card (402); one refused up front is not.
        if response.status < 400 or response.status == 402:
            _replies[key] = (fingerprint, response.status, response.body)
        return response


@web.middleware
async def reset_empties_everything(request, handler):
    """`DELETE /_config/data` empties the Connect fake and the kept idempotent replies as well as localstripe."""
    if request.method == "DELETE" and request.path == "/_config/data":
        Connect.clear()
        devstripe_disputes.Disputes.clear()
        _replies.clear()
    return await handler(request)


@web.middleware
async def declines_name_their_payment_intent(request, handler):
    """Stripe's card errors carry the PaymentIntent the decline left behind; localstripe's name only the charge."""
    try:
        return await handler(request)
    except UserError as error:
        charge = store.get(f"charge:{error.body['error'].get('charge', '')}")
        intent = store.get(f"payment_intent:{getattr(charge, 'payment_intent', '')}")
        if error.code == 402 and intent is not None:
            error.body["error"]["payment_intent"] = intent._export()
        raise


def _install() -> None:
    app.middlewares[app.middlewares.index(localstripe.auth_middleware)] = auth_unless_onboarding
    app.middlewares.extend(
        [
            reset_empties_everything,
            idempotency,
            declines_name_their_payment_intent,
            devstripe_disputes.refuse_refunds_of_disputed_charges,
        ]
    )
    app.router.add_post("/v1/accounts", create_account)
    app.router.add_get("/v1/accounts/{id}", retrieve_account)
    app.router.add_post("/v1/account_links", create_account_link)
    app.router.add_get("/connect/onboard/{account}", onboard)
    app.router.add_post("/v1/transfers", create_transfer)
    app.router.add_get("/v1/transfers/{id}", retrieve_transfer)
    app.router.add_get("/v1/transfers", list_transfers)
    app.router.add_delete("/_config/connect", clear_connect)
    app.router.add_delete("/_config/webhooks/{id}", unregister_webhook)
    devstripe_disputes.install(app)


def _keep_state_in(path: Path) -> None:
    """Load the state saved at `path` (if any) and save it there after every write, so restarts keep it."""
    if path.exists():
        saved = pickle.loads(path.read_bytes())
        store.update(saved["store"])
        for name in ("accounts", "links", "transfers"):
            getattr(Connect, name).update(saved["connect"][name])
        _replies.update(saved["replies"])
        for name in ("disputes", "files"):
            getattr(devstripe_disputes.Disputes, name).update(saved.get("disputes", {}).get(name, {}))

    def dump() -> None:
        connect = {name: getattr(Connect, name) for name in ("accounts", "links", "transfers")}
        disputes = {name: getattr(devstripe_disputes.Disputes, name) for name in ("disputes", "files")}
        state = {"store": dict(store), "connect": connect, "disputes": disputes, "replies": _replies}
        path.write_bytes(pickle.dumps(state))

    store.dump_to_disk = dump


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, help="keep the state in this file across restarts (default: none)")
    parser.add_argument("--webhook", help="send every event, signed, to this URL")
    parser.add_argument("--webhook-secret", default="", help="the signing secret for --webhook")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    store.dump_to_disk = lambda: None  # nothing is kept between runs unless --state says where
    store.clear()
    Connect.clear()
    devstripe_disputes.Disputes.clear()
    if args.state:
        _keep_state_in(args.state)
    if args.webhook:
        if not args.webhook_secret:
            parser.error("--webhook needs --webhook-secret")
        webhooks.register_webhook("devstripe", args.webhook, args.webhook_secret, None)
        devstripe_webhooks.hold_until_answered(args.webhook)
    _install()
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
